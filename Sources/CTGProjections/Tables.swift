import LMDB
#if canImport(Glibc)
import Glibc
#endif

/// The projection tables, the same in LMDB and in an auditor's in-memory replay, so
/// that one code path builds both and `verify` can compare them byte for byte.
public enum Table: String, CaseIterable, Sendable {
    /// stream → `ConventionState` (canonical JSON).
    case conventions = "proj-conventions"
    /// decision id → `DecisionState`.
    case decisions = "proj-decisions"
    /// stream ‖ 0x00 ‖ decision id → empty: a convention's decisions.
    case conventionDecisions = "proj-convention-decisions"
    /// funding slot → decision id of the live decision holding it.
    case slots = "proj-funding-slots"
    /// payment id → decision id.
    case payments = "proj-payments"
    /// recovery id → decision id.
    case recoveries = "proj-recoveries"
    /// scope ‖ grouping ‖ group key → decided, paid, recovered (cents, 3 × i64 LE).
    case totals = "proj-totals"
    /// `checkpoint` → the last applied seq.
    case meta = "proj-meta"
}

extension Table {
    /// The table's place in `allCases`.
    var index: Int {
        switch self {
        case .conventions: 0
        case .decisions: 1
        case .conventionDecisions: 2
        case .slots: 3
        case .payments: 4
        case .recoveries: 5
        case .totals: 6
        case .meta: 7
        }
    }
}

/// Ordered byte-keyed tables: an LMDB transaction or memory.
public protocol KeyValueTables {
    func get(_ table: Table, _ key: [UInt8]) throws -> [UInt8]?
    func put(_ table: Table, _ key: [UInt8], _ value: [UInt8]) throws
    func delete(_ table: Table, _ key: [UInt8]) throws
    /// Whether `table` has no entry.
    func isEmpty(_ table: Table) throws -> Bool
    /// `put` of bytes borrowed for the call; with `appending`, the key sorts after every
    /// key of `table` (a store may then skip the search).
    func put(_ table: Table, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, appending: Bool) throws
    /// Whether `table` has an entry at `key`, borrowed for the call (nothing is copied).
    func contains(_ table: Table, key: UnsafeRawBufferPointer) throws -> Bool
    /// Entries whose key starts with `prefix`, in key byte order, until `body` returns false.
    func scan(_ table: Table, prefix: [UInt8], _ body: ([UInt8], [UInt8]) throws -> Bool) throws
}

/// The handles of the projection databases, opened once per environment.
public struct ProjectionDatabases: Sendable {
    /// By `Table.index` (see `MemoryTables`).
    let handles: [Database]

    /// Opens (in a write transaction, creates) every projection database.
    public init(_ txn: Transaction) throws {
        handles = try Table.allCases.map { try txn.openDatabase($0.rawValue, create: !txn.isReadOnly) }
    }
}

/// The projection tables inside an LMDB transaction.
public struct LMDBTables: KeyValueTables {
    public let txn: Transaction
    let databases: [Database]

    public init(_ txn: Transaction, _ databases: ProjectionDatabases) {
        self.txn = txn
        self.databases = databases.handles
    }

    public func database(_ t: Table) -> Database { databases[t.index] }

    public func get(_ table: Table, _ key: [UInt8]) throws -> [UInt8]? { try txn.get(database(table), key: key) }
    public func put(_ table: Table, _ key: [UInt8], _ value: [UInt8]) throws { try txn.put(database(table), key: key, value: value) }
    public func delete(_ table: Table, _ key: [UInt8]) throws { try txn.delete(database(table), key: key) }
    public func isEmpty(_ table: Table) throws -> Bool { try count(table) == 0 }
    /// The number of entries of `table`.
    public func count(_ table: Table) throws -> Int { try txn.count(database(table)) }
    public func put(_ table: Table, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, appending: Bool) throws {
        try txn.put(database(table), key: key, value: value, flags: appending ? .append : [])
    }
    public func contains(_ table: Table, key: UnsafeRawBufferPointer) throws -> Bool {
        try txn.withValue(database(table), key: key) { _ in true } ?? false
    }

    public func scan(_ table: Table, prefix: [UInt8], _ body: ([UInt8], [UInt8]) throws -> Bool) throws {
        try txn.forEach(database(table), prefix: prefix) { entry in try body(entry.keyBytes, entry.valueBytes) }
    }

    /// Every entry of `table` in key order, read in place (valid during the call), until
    /// `body` returns false.
    public func scanInPlace(_ table: Table, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        try txn.forEach(database(table)) { entry in try body(entry.key, entry.value) }
    }

    /// Empties every projection table (for a rebuild).
    public func emptyAll() throws {
        for t in Table.allCases { try txn.empty(database(t)) }
    }
}

/// The projection tables in memory, for replays that must not touch the store.
public final class MemoryTables: KeyValueTables {
    /// By `Table.index`: a dictionary keyed by the table would hash its name at every
    /// access, and a replay makes hundreds of thousands of them. In memory of their own
    /// rather than an array property: changing an entry through the array checked the
    /// class's exclusive access and the array's uniqueness, and retained, at every put.
    private let tables: UnsafeMutablePointer<ByteTable>
    private static let tableCount = Table.allCases.count
    /// The totals, while they are the cells a flush sorted (`adoptTotals`); the totals'
    /// `ByteTable` is then empty. Changed only by this writer's thread.
    @exclusivity(unchecked) private var sortedTotals: SortedTotals?
    /// Room asked for the totals: made when they move into their `ByteTable`.
    @exclusivity(unchecked) private var totalsReserved = 0

    public init() {
        tables = .allocate(capacity: Self.tableCount)
        for i in 0..<Self.tableCount { (tables + i).initialize(to: ByteTable()) }
    }

    deinit {
        tables.deinitialize(count: Self.tableCount)
        tables.deallocate()
    }

    /// Makes room for `count` entries in `table` at once: a replay's tables grew by
    /// doubling, each time rehashing every entry (a tenth of verify's time at 200 000
    /// events). A hint: a table holds any number of entries. The totals' room is made
    /// only if they are ever put one by one.
    public func reserve(_ table: Table, _ count: Int) {
        if table == .totals {
            totalsReserved = count
        } else {
            tables[table.index].reserve(count)
        }
    }

    /// Takes a flush's sorted totals cells as the (empty) totals table.
    func adoptTotals(_ sorted: SortedTotals) {
        precondition(count(.totals) == 0, "totals adopted into a table that holds some")
        if sorted.count > 0 { sortedTotals = sorted }
    }

    /// The entries of `table` in key order, when held sorted (the totals a flush handed
    /// over): read by position, they can be compared with a stored table in one walk.
    public func sortedEntries(_ table: Table) -> SortedTotals? {
        table == .totals ? sortedTotals : nil
    }

    /// The totals' `ByteTable`, the sorted cells moved into it first: before any change.
    private func changing(_ table: Table) -> UnsafeMutablePointer<ByteTable> {
        if table == .totals, let sorted = sortedTotals.take() {
            tables[table.index].reserve(max(totalsReserved, sorted.count))
            for i in 0..<sorted.count {
                sorted.withEntry(i) { key, value in tables[table.index].put(key, value) }
            }
        }
        return tables + table.index
    }

    public func get(_ table: Table, _ key: [UInt8]) throws -> [UInt8]? { key.withUnsafeBytes { k in withValue(table, key: k) { Array($0) } } }
    public func put(_ table: Table, _ key: [UInt8], _ value: [UInt8]) throws {
        let target = changing(table)
        key.withUnsafeBytes { k in value.withUnsafeBytes { v in target.pointee.put(k, v) } }
    }
    public func delete(_ table: Table, _ key: [UInt8]) throws {
        let target = changing(table)
        key.withUnsafeBytes { target.pointee.remove($0) }
    }
    public func isEmpty(_ table: Table) throws -> Bool { count(table) == 0 }
    public func put(_ table: Table, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, appending: Bool) throws {
        changing(table).pointee.put(key, value)
    }
    public func contains(_ table: Table, key: UnsafeRawBufferPointer) throws -> Bool {
        if table == .totals, let sorted = sortedTotals { return sorted.withValue(key) { _ in true } ?? false }
        return tables[table.index].contains(key)
    }

    /// `body` applied to the value of `key` where it lies (valid during the call); nil
    /// when `table` has no such entry.
    public func withValue<R>(_ table: Table, key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        if table == .totals, let sorted = sortedTotals { return try sorted.withValue(key, body) }
        return try tables[table.index].withValue(key, body)
    }

    /// The number of entries of `table`.
    public func count(_ table: Table) -> Int {
        if table == .totals, let sorted = sortedTotals { return sorted.count }
        return tables[table.index].count
    }

    /// Calls `body` with every entry of `table`, in no particular order (no sort).
    public func forEachUnordered(_ table: Table, _ body: ([UInt8], [UInt8]) throws -> Void) rethrows {
        if table == .totals, let sorted = sortedTotals {
            for i in 0..<sorted.count { try sorted.withEntry(i) { key, value in try body(Array(key), Array(value)) } }
            return
        }
        try tables[table.index].forEach { key, value in try body(Array(key), Array(value)) }
    }

    public func scan(_ table: Table, prefix: [UInt8], _ body: ([UInt8], [UInt8]) throws -> Bool) throws {
        if table == .totals, let sorted = sortedTotals {
            try prefix.withUnsafeBytes { prefix in
                try sorted.scan(prefix: prefix) { key, value in try body(Array(key), Array(value)) }
            }
            return
        }
        var entries: [(key: [UInt8], value: [UInt8])] = []
        prefix.withUnsafeBytes { prefix in
            tables[table.index].forEach { key, value in
                if key.starts(with: prefix) { entries.append((Array(key), Array(value))) }
            }
        }
        entries.sort { MemoryTables.precedes($0.key, $1.key) }
        for entry in entries {
            guard try body(entry.key, entry.value) else { return }
        }
    }

    /// LMDB's default key order: bytes compared as unsigned, a prefix first.
    static func precedes(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.lexicographicallyPrecedes(b)
    }
}
