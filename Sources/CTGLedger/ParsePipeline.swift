import CTGDomain
import EventLog
import Foundation
import LMDB
import StrictJSON

/// Runs a producer on a second thread and hands what it makes to the caller in order, in
/// chunks: parsing and checking (the producer) and applying (the caller) run on two
/// cores. At most `maxChunks` chunks wait at once, so memory is bounded whatever the input.
final class Pipeline<Item: Sendable>: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [[Item]] = []
    private var done = false
    private var cancelled = false
    private let finishedProducing = DispatchSemaphore(value: 0)
    static var chunkItems: Int { 512 }
    static var maxChunks: Int { 8 }

    /// Starts `produce`, which calls `emit` for each item in order and stops when `emit`
    /// returns false (the caller closed the pipeline).
    init(_ produce: @escaping @Sendable (_ emit: (Item) -> Bool) -> Void) {
        let thread = Thread { [self] in
            defer { finishedProducing.signal() }
            var chunk: [Item] = []
            chunk.reserveCapacity(Self.chunkItems)
            produce { item in
                chunk.append(item)
                guard chunk.count >= Self.chunkItems else { return true }
                defer { chunk.removeAll(keepingCapacity: true) }
                return put(chunk)
            }
            if !chunk.isEmpty { _ = put(chunk) }
            condition.lock()
            done = true
            condition.broadcast()
            condition.unlock()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    private func put(_ chunk: [Item]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= Self.maxChunks && !cancelled { condition.wait() }
        if cancelled { return false }
        queue.append(chunk)
        condition.broadcast()
        return true
    }

    /// The next chunk in order, or nil at the end.
    func next() -> [Item]? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !done { condition.wait() }
        if queue.isEmpty { return nil }
        let chunk = queue.removeFirst()
        condition.broadcast()
        return chunk
    }

    /// Stops the producer and waits for it, so no thread outlives its caller.
    func close() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
        finishedProducing.wait()
    }
}

/// One NDJSON line, parsed and decoded off the writer's thread.
struct ParsedLine: Sendable {
    var line: Int
    var bytes: Int
    var envelope: Result<Envelope, Rejection>
    /// The decoded payload; decoded ahead even for events that will turn out to be
    /// retries, whose decoding error (if any) is then never reported.
    var event: Result<DomainEvent, Rejection>?
    var sniffedId: String?

    static func parse(_ line: UnsafeBufferPointer<UInt8>, number: Int, actor: String?) -> ParsedLine {
        let parsed: Result<Envelope, Rejection> = Result { () throws(Rejection) in try Envelope(line: line, defaultActor: actor) }
        var event: Result<DomainEvent, Rejection>?
        var sniffed: String?
        switch parsed {
        case .success(let e):
            event = Result { () throws(Rejection) in try DomainEvent.decode(type: e.type, schema: e.schema, data: e.data) }
        case .failure:
            sniffed = Envelope.sniffId(line)
        }
        return ParsedLine(line: number, bytes: line.count + 1, envelope: parsed, event: event, sniffedId: sniffed)
    }

    /// Lines of a file in order; a read failure (a line too long, an I/O error) is the
    /// result of the line where it happened.
    static func pipeline(path: String, actor: String?) -> Pipeline<ParsedLine> {
        Pipeline { emit in
            var reader: LineReader?
            do {
                let lines = try LineReader(path: path)
                reader = lines
                var going = true
                while going, try lines.next({ line in
                    if Ledger.isBlank(line) { return }
                    going = emit(parse(line, number: lines.lineNumber, actor: actor))
                }) {}
            } catch let rejection as Rejection {
                _ = emit(ParsedLine(line: reader?.lineNumber ?? 0, bytes: 0, envelope: .failure(rejection), event: nil, sniffedId: nil))
            } catch {
                _ = emit(ParsedLine(line: reader?.lineNumber ?? 0, bytes: 0, envelope: .failure(Rejection("read-failed", "\(error)")), event: nil, sniffedId: nil))
            }
        }
    }
}

/// One stored event, read, hash-checked and decoded off the applying thread.
struct ParsedRecord: Sendable {
    var seq: UInt64
    /// Nil when the stored bytes cannot be decoded.
    var record: EventRecord?
    /// Whether the stored hash is the recomputed one; only computed when asked for
    /// (by verify), else true.
    var hashMatches: Bool
    var envelope: Result<Envelope, Rejection>
    var event: Result<DomainEvent, Rejection>?

    /// Stored events per chunk: a chunk covers this many seqs.
    static var chunkSeqs: UInt64 { 512 }

    /// The log from seq 1, read, hash-checked and parsed by worker threads, each in a read
    /// transaction of its own over seq ranges of its own. The log only grows and a stored
    /// event never changes, so every worker sees the same events up to the seq the caller
    /// stops at. `until` must stay false once false (a seq or recording-time bound).
    static func pipeline(environment: Environment, tables: LogTables, workers: Int = OrderedWorkers<ParsedRecord>.defaultWorkers,
                         checkHashes: Bool = false, until: @escaping @Sendable (EventRecord) -> Bool = { _ in true }) -> (OrderedWorkers<ParsedRecord>, SnapshotProbe) {
        let probe = SnapshotProbe()
        let pipeline = OrderedWorkers<ParsedRecord>(workers: workers) { worker, workers, emit in
            do {
                try environment.read { txn in
                    let log = LogReader(txn: txn, tables: tables)
                    if worker == 0 { probe.set(lastSeq: try log.lastSeq()) }
                    var chunkIndex = UInt64(worker)
                    while true {
                        let first = chunkIndex * chunkSeqs + 1
                        let last = first + chunkSeqs - 1
                        var items: [ParsedRecord] = []
                        items.reserveCapacity(Int(chunkSeqs))
                        // The chunk is the log's last unless a record past its range exists.
                        var isLast = true
                        try log.forEach(from: first) { seq, record in
                            guard seq <= last else { isLast = false; return false }
                            guard let record else {
                                items.append(ParsedRecord(seq: seq, record: nil, hashMatches: false, envelope: .failure(Rejection("store-damaged", "undecodable record")), event: nil))
                                return true
                            }
                            guard until(record) else { return false }
                            items.append(parse(record, checkHash: checkHashes))
                            return true
                        }
                        guard emit(OrderedWorkers.Chunk(items: items, isLast: isLast)), !isLast else { return }
                        chunkIndex += UInt64(workers)
                    }
                }
            } catch {
                probe.set(error: error)
            }
        }
        return (pipeline, probe)
    }

    static func parse(_ record: EventRecord, checkHash: Bool) -> ParsedRecord {
        let envelope: Result<Envelope, Rejection> = Result { () throws(Rejection) in try record.envelope() }
        let event = envelope.map { e in Result { () throws(Rejection) in try DomainEvent.decode(type: e.type, schema: e.schema, data: e.data) } }
        return ParsedRecord(seq: record.seq, record: record, hashMatches: !checkHash || record.recomputedHash == record.hash, envelope: envelope, event: try? event.get())
    }
}

/// What the producer's read transaction saw, for the consumer to check it reads the same snapshot.
final class SnapshotProbe: @unchecked Sendable {
    private let lock = NSLock()
    private var seq: UInt64?
    private var failure: (any Error)?

    func set(lastSeq: UInt64) { lock.lock(); seq = lastSeq; lock.unlock() }
    func set(error: any Error) { lock.lock(); failure = error; lock.unlock() }

    /// The last seq the producer's snapshot holds; throws what the producer could not read.
    func lastSeq() throws -> UInt64? {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
        return seq
    }
}
