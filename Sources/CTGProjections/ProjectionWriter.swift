import CTGDomain
import EventLog
import StrictJSON
#if canImport(Glibc)
import Glibc
#endif

/// Keeps the projections in `KeyValueTables` as events are applied: the `LedgerState`
/// the rules read and change.
///
/// Convention and decision states and total deltas are cached for the batch and written
/// by `flush()`, so a batch touching a convention a thousand times encodes it once.
public struct ProjectionWriter<KV: KeyValueTables>: LedgerState {
    public let kv: KV
    private let codec = StateCodec()
    /// Conventions read or opened in this batch, each written at flush (an event that
    /// reads one changes it, if only its version; one that is refused leaves it as read).
    private var conventions: [Key: ConventionSlot] = [:]
    /// The convention looked up last: most events follow one of the same convention.
    private var lastConvention: (key: Key, slot: ConventionSlot)?
    private var decisions: [Key: CachedDecision] = [:]
    /// The decision read last and where it sits: valid until a key is added, so it is
    /// taken by the next `putDecision` and forgotten by any other change.
    private var lastDecision: (key: Key, index: Dictionary<Key, CachedDecision>.Index)?
    /// Total cells moved by decisions already flushed, written at the final `flush()`
    /// (or past `limits.totals` cells): a cell moves by many decisions, and a batch
    /// that flushes decisions several times then writes it once. Only the finest scope's
    /// cells (one convention in one year) are kept: every other cell is a sum of those
    /// (over years, conventions or both), derived at `flushTotals` from far fewer cells
    /// than the decisions that moved them.
    private var pendingTotals = CellTable()
    private var checkpoint: UInt64?
    private let limits: CacheLimits

    /// How much a writer holds before writing part of it out, to bound memory. A
    /// convention is touched often and costs a decoding each time it is read again, so
    /// the cache is bounded by the conventions' estimated memory rather than their
    /// number: the default holds every convention of a national import, however many
    /// small ones it has; decisions are small and mostly settle within a year, so they
    /// go out more often. What the tables hold after `flush()` does not depend on these.
    public struct CacheLimits: Sendable {
        /// How many conventions are cached before their memory is first weighed.
        public var conventions: Int
        /// The estimated memory (`ConventionState.estimatedMemory`, bytes) of the cached
        /// conventions past which they are written out.
        public var conventionMemory: Int
        public var decisions: Int
        /// Finest total cells moved by decisions already written (see `pendingTotals`).
        public var totals: Int

        public init(conventions: Int = 16_384, conventionMemory: Int = 256 << 20, decisions: Int = 65_536, totals: Int = 262_144) {
            precondition(conventions > 0 && conventionMemory > 0 && decisions > 0 && totals > 0, "cache limits must be positive")
            self.conventions = conventions
            self.conventionMemory = conventionMemory
            self.decisions = decisions
            self.totals = totals
        }
    }

    /// The number of cached conventions at which their memory is weighed next (see
    /// `weighConventions`).
    private var conventionsWeighedAt: Int

    public init(_ kv: KV, limits: CacheLimits = CacheLimits()) {
        self.kv = kv
        self.limits = limits
        conventionsWeighedAt = limits.conventions
    }

    /// Checks and applies one event, then records it as the checkpoint.
    public mutating func apply(_ envelope: Envelope, at position: Rules.Position) throws {
        try apply(envelope, event: DomainEvent.decode(type: envelope.type, schema: envelope.schema, data: envelope.data), at: position)
    }

    /// Checks and applies an event whose payload may have been decoded ahead (on a
    /// parsing thread); a decoding failure found then is thrown now, in order.
    public mutating func apply(_ envelope: Envelope, decoded: Result<DomainEvent, Rejection>?, at position: Rules.Position) throws {
        switch decoded {
        case .success(let event)?: try apply(envelope, event: event, at: position)
        case .failure(let rejection)?: throw rejection
        case nil: try apply(envelope, at: position)
        }
    }

    /// Checks and applies an event whose payload was decoded already.
    public mutating func apply(_ envelope: Envelope, event: DomainEvent, at position: Rules.Position) throws {
        try Rules.apply(event, envelope: envelope, at: position, to: &self)
        checkpoint = position.seq
        if decisions.count > limits.decisions { try flushDecisions() }
        if conventions.count > conventionsWeighedAt { try weighConventions() }
    }

    public mutating func convention(_ key: Key) throws -> ConventionSlot? {
        if let last = lastConvention, last.key == key { return last.slot }
        if let slot = conventions[key] {
            lastConvention = (key, slot)
            return slot
        }
        guard let bytes = try kv.get(.conventions, Array(key.string.utf8)) else { return nil }
        let slot = ConventionSlot(try codec.decode(ConventionState.self, bytes))
        conventions[key] = slot
        lastConvention = (key, slot)
        return slot
    }

    public mutating func addConvention(_ state: ConventionState) throws {
        let key = Key(state.id)
        let slot = ConventionSlot(state)
        conventions[key] = slot
        lastConvention = (key, slot)
    }

    public mutating func decision(_ id: String) throws -> DecisionState? {
        let key = Key(id)
        if let index = decisions.index(forKey: key) {
            // A decision read is mostly put back next: its place is kept for that.
            lastDecision = (key, index)
            return decisions.values[index].state
        }
        lastDecision = nil
        guard let bytes = try kv.get(.decisions, Array(id.utf8)) else { return nil }
        let d = try codec.decode(DecisionState.self, bytes)
        decisions[key] = CachedDecision(state: d)
        return d
    }

    public mutating func putDecision(_ new: DecisionState, old: DecisionState?) throws {
        if old == nil {
            // stream ‖ 0 ‖ id, made on the stack.
            try new.stream.withUTF8Bytes { stream in
                try new.id.withUTF8Bytes { id in
                    try withUnsafeTemporaryAllocation(byteCount: stream.count + 1 + id.count, alignment: 1) { key in
                        key.copyMemory(from: UnsafeRawBufferPointer(stream))
                        key[stream.count] = 0
                        UnsafeMutableRawBufferPointer(rebasing: key[(stream.count + 1)...]).copyMemory(from: UnsafeRawBufferPointer(id))
                        try kv.put(.conventionDecisions, key: UnsafeRawBufferPointer(key), value: UnsafeRawBufferPointer(start: nil, count: 0), appending: false)
                    }
                }
            }
        }
        // The totals move from the state first cached (see `CachedDecision`).
        if let last = lastDecision.take(), last.key.string.sameBytes(new.id) {
            decisions.values[last.index].put(new, old: old)
        } else {
            decisions[Key(new.id), default: CachedDecision(state: new)].put(new, old: old)
        }
    }

    public mutating func paymentExists(_ id: String) throws -> Bool { try contains(.payments, id) }
    public mutating func putPayment(_ id: String, decision: String) throws { try put(.payments, id, decision) }
    public mutating func recoveryExists(_ id: String) throws -> Bool { try contains(.recoveries, id) }
    public mutating func putRecovery(_ id: String, decision: String) throws { try put(.recoveries, id, decision) }

    public mutating func slotHolder(_ slot: FundingSlot) throws -> String? {
        try kv.get(.slots, slot.keyBytes).map { String(decoding: $0, as: UTF8.self) }
    }

    public mutating func setSlotHolder(_ slot: FundingSlot, decision: String?) throws {
        if let decision {
            try slot.keyBytes.withUnsafeBytes { key in
                try decision.withUTF8Bytes { try kv.put(.slots, key: key, value: UnsafeRawBufferPointer($0), appending: false) }
            }
        } else {
            try kv.delete(.slots, slot.keyBytes)
        }
    }

    // Keys and values read where the strings keep their bytes: these run per event, and
    // an array made of each one was an allocation apiece.
    private func contains(_ table: Table, _ key: String) throws -> Bool {
        try key.withUTF8Bytes { try kv.contains(table, key: UnsafeRawBufferPointer($0)) }
    }

    private func put(_ table: Table, _ key: String, _ value: String) throws {
        try key.withUTF8Bytes { k in
            try value.withUTF8Bytes { v in try kv.put(table, key: UnsafeRawBufferPointer(k), value: UnsafeRawBufferPointer(v), appending: false) }
        }
    }

    /// Writes every cached change; call before the transaction commits.
    public mutating func flush() throws {
        var retired = RetiredCaches()
        try flush(retiring: &retired)
        retired.free()
    }

    /// `flush()`, handing the caches it lets go of to `retired`, for the caller to free
    /// once the transaction has committed (see `RetiredCaches`). `alongside` runs on this
    /// thread first, while another core works out the totals: the rest of the batch's
    /// writes (the log's indexes), which waited for the flush with that core idle.
    public mutating func flush(retiring retired: inout RetiredCaches, alongside: () throws -> Void = {}) throws {
        let conventions = takeConventions()
        let decisions = takeDecisions()
        let codec = codec
        // Pipelined: each table's entries are made ready on other cores while the table
        // before is written (LMDB writes stay on this thread, the transaction's) — unless
        // the batch is small (a single event's), when all of it is done here.
        let spread = conventions.count + decisions.count >= FlushWork.spreadFrom
        // With two cores: the totals on the other core from the start, while this thread
        // runs `alongside` and then encodes the states in slices, which the other core
        // takes too once the totals are done (flush and log indexes of 200 000 events:
        // 157 -> 102 ms, medians of eight runs).
        let wide = spread && ProcessInfoShim.cores > 2
        let pending = pendingTotals
        pendingTotals = CellTable()
        // The totals moved by the decisions, added to those pending, then every scope kind
        // of them summed and sorted.
        let totalsWork = Parallel.Background(spread: spread) {
            let finest = FlushWork.adding(FlushWork.moved(decisions, parts: wide ? min(ProcessInfoShim.cores - 1, 8) : 1), to: pending)
            return FlushWork.prepareTotals(finest, spread: spread)
        }
        try alongside()
        try write(.conventions, FlushWork.prepare(conventions, codec: codec, spread: spread))
        try write(.decisions, FlushWork.encode(decisions, codec: codec, spread: spread))
        try writeTotals(totalsWork.take())
        if spread {
            retired.add(consume conventions)
            retired.add(consume decisions)
        }
        if let checkpoint {
            try kv.put(.meta, Array("checkpoint".utf8), LogKey.seq(checkpoint))
            try kv.put(.meta, Array("format".utf8), Array(ProjectionReader<KV>.format.utf8))
        }
    }

    /// The cached conventions, taken whole (they are read in place: copying the entries
    /// out retained every string of every state, and emptying the cache released them).
    private mutating func takeConventions() -> [Key: ConventionSlot] {
        let taken = conventions
        conventions = Dictionary(minimumCapacity: taken.capacity)
        lastConvention = nil
        conventionsWeighedAt = limits.conventions
        return taken
    }

    private mutating func takeDecisions() -> [Key: CachedDecision] {
        let taken = decisions
        decisions = Dictionary(minimumCapacity: taken.capacity)
        lastDecision = nil
        return taken
    }

    /// Adds cells moved by decisions to those pending.
    private mutating func absorb(_ moved: [CellTable]) {
        // Taken out first, so the merge changes the only reference in place.
        let pending = pendingTotals
        pendingTotals = CellTable()
        pendingTotals = FlushWork.adding(moved, to: pending)
    }

    /// More conventions are cached than when last weighed: they are written out if
    /// their estimated memory passed the limit, else kept and weighed again once half as
    /// many more are cached (so each is weighed a few times at most over a batch). A
    /// count alone wrote out every convention of a file with more of them than it, again
    /// and again, each read back and decoded at its next event: 20 000 conventions of
    /// ten events each imported 17 % slower, and were rebuilt 37 % slower.
    private mutating func weighConventions() throws {
        var memory = 0
        for slot in conventions.values { memory += slot.state.estimatedMemory }
        if memory > limits.conventionMemory {
            try flushConventions()
        } else {
            conventionsWeighedAt = conventions.count + max(1, conventions.count / 2)
        }
    }

    private mutating func flushConventions() throws {
        let taken = takeConventions()
        try write(.conventions, FlushWork.prepare(taken, codec: codec, spread: true))
        Parallel.free(consume taken)
    }

    /// Writes the decisions and moves the totals by what changed since they were cached.
    private mutating func flushDecisions() throws {
        let taken = takeDecisions()
        absorb(FlushWork.moved(taken, parts: max(1, min(ProcessInfoShim.cores, 8))))
        try write(.decisions, FlushWork.encode(taken, codec: codec, spread: taken.count >= FlushWork.spreadFrom))
        Parallel.free(consume taken)
        if pendingTotals.count > limits.totals { try flushTotals() }
    }

    private mutating func flushTotals() throws {
        let finest = pendingTotals
        pendingTotals = CellTable()
        try writeTotals(FlushWork.prepareTotals(finest, spread: finest.count >= FlushWork.spreadFrom))
    }

    private func writeTotals(_ sorted: [SortedCells]) throws {
        // Into an empty table (a first import), every cell is new and comes in key order.
        let fresh = try kv.isEmpty(.totals)
        // A replay's tables in memory keep the cells as sorted, whole.
        if fresh, let memory = kv as? MemoryTables {
            memory.adoptTotals(SortedTotals(sorted))
            return
        }
        for cells in sorted {
            try cells.forEach { key, delta in
                if fresh {
                    try delta.withEncoded { try kv.put(.totals, key: key, value: $0, appending: true) }
                } else {
                    let current = try kv.get(.totals, Array(key)).map(Totals.init(encoded:)) ?? Totals()
                    try (current + delta).withEncoded { try kv.put(.totals, key: key, value: $0, appending: false) }
                }
            }
        }
    }

    /// Writes the entries in key order: appended when the table is empty.
    private func write(_ table: Table, _ ready: FlushWork.Ready) throws {
        let fresh = try kv.isEmpty(table)
        for i in ready.order {
            try ready.keys[i].withUnsafeBytes { key in
                try ready.values[i].withUnsafeBytes { value in try kv.put(table, key: key, value: value, appending: fresh) }
            }
        }
    }
}

/// A decision as cached for the batch: its state, and — once changed — the totals of
/// its state when first changed, so the totals move once per decision at flush by
/// (now − then), not 24 cells per event. Changed decisions are those with a base.
struct CachedDecision {
    var state: DecisionState
    var base: Totals?

    init(state: DecisionState) { self.state = state }

    mutating func put(_ new: DecisionState, old: DecisionState?) {
        if base == nil { base = old.map(Totals.init(of:)) ?? Totals() }
        state = new
    }
}

/// The order LMDB keeps keys in (bytes compared as unsigned, a prefix first), for writing
/// a batch's cached projections in key order: each put then lands next to the previous
/// one (see `Transaction`'s cursors) instead of searching the tree from its root.
public enum KeyOrder {
    /// The indices of `keys` in key order. The keys are copied into one buffer and
    /// compared there: comparing arrays through closures costs more than the sort.
    static func sorted(_ keys: [[UInt8]]) -> [Int] {
        var arena: [UInt8] = []
        arena.reserveCapacity(keys.reduce(0) { $0 + $1.count })
        var spans: [(offset: Int, count: Int, index: Int)] = []
        spans.reserveCapacity(keys.count)
        for (i, key) in keys.enumerated() {
            spans.append((arena.count, key.count, i))
            arena.append(contentsOf: key)
        }
        arena.withUnsafeBytes { arena in
            spans.sort { a, b in precedes(arena, a.offset, a.count, b.offset, b.count) }
        }
        return spans.map(\.index)
    }

    /// Whether the `count` bytes at `offset` in `buffer` sort before those of the second
    /// span: LMDB's default order, bytes compared as unsigned, a prefix first.
    @inline(__always)
    static func precedes(_ buffer: UnsafeRawBufferPointer, _ offset: Int, _ count: Int, _ otherOffset: Int, _ otherCount: Int) -> Bool {
        precedes(UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + count]), UnsafeRawBufferPointer(rebasing: buffer[otherOffset..<otherOffset + otherCount]))
    }

    /// Whether key `a` sorts before key `b`.
    @inline(__always)
    public static func precedes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let common = min(a.count, b.count)
        let order = common == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, common)
        return order != 0 ? order < 0 : a.count < b.count
    }
}
