import CTGDomain
import EventLog
import Foundation
import LMDB
import StrictJSON

/// One NDJSON line, parsed and decoded off the writer's thread.
struct ParsedLine: Sendable {
    var line: Int
    var bytes: Int
    /// The checked envelope; nil when the line was refused, `refusal` saying why. Two
    /// optionals rather than a `Result`: the applying thread reads the envelope of every
    /// event in place, where matching a result copied it whole (the error's strings too).
    var envelope: Envelope?
    var refusal: Rejection?

    /// The envelope, or why the line was refused, for a caller holding the line by
    /// address (reading the fields copies nothing else).
    static func envelope(_ parsed: UnsafePointer<ParsedLine>) throws(Rejection) -> Envelope {
        if let envelope = parsed.pointee.envelope { return envelope }
        throw parsed.pointee.refusal ?? Rejection("internal", "a line was neither parsed nor refused")
    }

    /// The decoded payload; decoded ahead even for events that will turn out to be
    /// retries, whose decoding error (if any) is then never reported. When set, the
    /// envelope does not carry its payload tree (see `Envelope.parsingPayload`).
    var event: Result<DomainEvent, Rejection>?
    var sniffedId: String?

    /// `tape`: the parsing thread's, reused from line to line.
    static func parse(_ line: UnsafeBufferPointer<UInt8>, number: Int, actor: String?, tape: JSONTape) -> ParsedLine {
        do {
            var (envelope, data) = try Envelope.parsingPayload(line: line, defaultActor: actor, tape: tape)
            let event = Result { () throws(Rejection) in try DomainEvent.decode(type: envelope.type, schema: envelope.schema, data: &data) }
            return ParsedLine(line: number, bytes: line.count + 1, envelope: envelope, refusal: nil, event: event, sniffedId: nil)
        } catch {
            return ParsedLine(line: number, bytes: line.count + 1, envelope: nil, refusal: error, event: nil, sniffedId: Envelope.sniffId(line))
        }
    }

    /// Parsing threads for an import: a core is left to the applying thread, which
    /// limits an import (parsing an event costs about what applying it does). On 2 cores,
    /// one parsing thread beside it imported 200 000 events 6 % faster than two that
    /// shared its core, with less CPU in all; verify, whose reading threads also hash,
    /// keeps one per core.
    static var importWorkers: Int { max(1, min(4, ProcessInfo.processInfo.activeProcessorCount - 1)) }

    /// Input bytes per chunk when a file is split between workers.
    static var chunkBytes: Int { 256 << 10 }

    /// The lines of a regular file (an import copies standard input and pipes to one
    /// first), parsed by worker threads and handed over in file order: the file is split
    /// into byte ranges, one worker per core, each line going to the range it starts in.
    /// Line numbers in a chunk count from its first line: the caller adds the lines of
    /// the chunks before. A read failure (a line too long, an I/O error, a file gone) is
    /// the last item.
    static func pipeline(path: String, actor: String?, workers: Int = importWorkers) -> OrderedWorkers<ParsedLine> {
        let size = Ledger.fileSize(path) ?? 0
        let chunks = max(1, (size + chunkBytes - 1) / chunkBytes)
        return OrderedWorkers(workers: min(workers, chunks), chunks: chunks, helper: {
            let ranges = FileRanges(path: path, actor: actor, chunks: chunks)
            return { ranges.chunk($0) }
        }) { _, claim, emit in
            let ranges = FileRanges(path: path, actor: actor, chunks: chunks)
            while let index = claim() {
                let chunk = ranges.chunk(index)
                emit(chunk)
                if chunk.isLast { return }
            }
        }
    }

    /// The chunks of a file split into `chunkBytes` byte ranges, made by one thread (with
    /// its own file descriptor and tape) in any order.
    private final class FileRanges {
        let path: String
        let actor: String?
        let chunks: Int
        let tape = JSONTape()
        var reader: LineReader?

        init(path: String, actor: String?, chunks: Int) {
            (self.path, self.actor, self.chunks) = (path, actor, chunks)
        }

        /// The lines starting in range `index`; a read failure is the last item, of a last chunk.
        func chunk(_ index: Int) -> OrderedWorkers<ParsedLine>.Chunk {
            var items: [ParsedLine] = []
            do {
                let lines = try reader ?? LineReader(path: path)
                reader = lines
                let isLast = index == chunks - 1
                // The last range runs to the end of the file, as a sequential read would.
                try lines.restrict(from: index * chunkBytes, until: isLast ? .max : (index + 1) * chunkBytes)
                items.reserveCapacity(chunkBytes / 200)
                let (actor, tape) = (actor, tape)
                while try lines.next({ line in
                    if Ledger.isBlank(line) { return }
                    items.append(parse(line, number: lines.lineNumber, actor: actor, tape: tape))
                }) {}
                return OrderedWorkers.Chunk(items: items, isLast: isLast, lines: lines.lineNumber)
            } catch {
                items.append(failure(error, line: reader?.lineNumber ?? 0))
                return OrderedWorkers.Chunk(items: items, isLast: true, lines: reader?.lineNumber ?? 0)
            }
        }
    }

    private static func failure(_ error: any Error, line: Int) -> ParsedLine {
        let rejection = error as? Rejection ?? Rejection("read-failed", "\(error)")
        return ParsedLine(line: line, bytes: 0, envelope: nil, refusal: rejection, event: nil, sniffedId: nil)
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
    /// Which of the id and stream indexes fails to point the event to this seq; only
    /// looked up when asked for (by verify's exact pass, `IndexCheck.lookups`).
    var misIndex: LogReader.MisIndex?
    /// The hashes of the index keys the event should have (`IndexCheck.hashes`).
    var indexKeyHashes: (id: UInt64, stream: UInt64) = (0, 0)
    /// The stored event's envelope; nil when it is not one, `refusal` saying why (two
    /// optionals, not a `Result`, for the same reason as `ParsedLine`'s).
    var envelope: Envelope?
    var refusal: Rejection?
    var event: Result<DomainEvent, Rejection>?

    /// The envelope, or why the stored event is not one, for a caller holding the
    /// record by address (reading the fields copies nothing else).
    static func envelope(_ parsed: UnsafePointer<ParsedRecord>) throws(Rejection) -> Envelope {
        if let envelope = parsed.pointee.envelope { return envelope }
        throw parsed.pointee.refusal ?? Rejection("store-damaged", "undecodable record")
    }

    /// How a verifying pipeline checks each event's index entries.
    enum IndexCheck: Sendable {
        case none
        /// Looks them up (two B-tree searches an event: at a million events, a seventh of
        /// verify's time).
        case lookups
        /// Hashes the keys the event should have, under `seed`, for one walk of each
        /// index to compare with (`LogReader.indexMatches`).
        case hashes(seed: Int)
    }

    /// Stored events per chunk: a chunk covers this many seqs.
    static var chunkSeqs: UInt64 { 512 }

    /// The log from seq 1, read, hash-checked and parsed by worker threads, each in a read
    /// transaction of its own over seq ranges of its own. The log only grows and a stored
    /// event never changes, so every worker sees the same events up to the seq the caller
    /// stops at. `until` must stay false once false (a seq or recording-time bound).
    /// `helping`: the caller's transaction, open on its thread for as long as the pipeline:
    /// the caller then makes chunks too, through it, rather than wait for one (as an
    /// import's applying thread parses), and one worker fewer shares the cores with it.
    static func pipeline(environment: Environment, tables: LogTables, checkHashes: Bool = false, indexCheck: IndexCheck = .none, helping caller: Transaction? = nil,
                         until: @escaping @Sendable (EventRecord) -> Bool = { _ in true }) -> (OrderedWorkers<ParsedRecord>, SnapshotProbe) {
        let probe = SnapshotProbe()
        let cores = OrderedWorkers<ParsedRecord>.defaultWorkers
        let helper: (() -> (Int) -> OrderedWorkers<ParsedRecord>.Chunk)? = caller.map { txn in
            {
                let (log, tape) = (LogReader(txn: txn, tables: tables), JSONTape())
                return { index in
                    do {
                        return try chunk(index, log: log, tape: tape, checkHashes: checkHashes, indexCheck: indexCheck, until: until)
                    } catch {
                        // Told after the last chunk (`probe.lastSeq()`), as a worker's failure is.
                        probe.set(error: error)
                        return OrderedWorkers.Chunk(items: [], isLast: true)
                    }
                }
            }
        }
        let pipeline = OrderedWorkers<ParsedRecord>(workers: caller == nil ? cores : max(1, cores - 1), helper: helper) { worker, claim, emit in
            do {
                let tape = JSONTape()
                try environment.read { txn in
                    let log = LogReader(txn: txn, tables: tables)
                    if worker == 0 { probe.set(lastSeq: try log.lastSeq()) }
                    while let index = claim() {
                        let made = try chunk(index, log: log, tape: tape, checkHashes: checkHashes, indexCheck: indexCheck, until: until)
                        emit(made)
                        if made.isLast { return }
                    }
                }
            } catch {
                probe.set(error: error)
            }
        }
        return (pipeline, probe)
    }

    /// Chunk `index` of the log (seqs `index × chunkSeqs + 1` on), read through `log`.
    private static func chunk(
        _ index: Int, log: LogReader, tape: JSONTape, checkHashes: Bool, indexCheck: IndexCheck, until: (EventRecord) -> Bool
    ) throws -> OrderedWorkers<ParsedRecord>.Chunk {
        let first = UInt64(index) * chunkSeqs + 1
        let last = first + chunkSeqs - 1
        var items: [ParsedRecord] = []
        items.reserveCapacity(Int(chunkSeqs))
        // The chunk is the log's last unless a record past its range exists.
        var isLast = true
        try log.forEach(from: first) { seq, record in
            guard seq <= last else { isLast = false; return false }
            guard let record else {
                items.append(ParsedRecord(seq: seq, record: nil, hashMatches: false, envelope: nil, refusal: Rejection("store-damaged", "undecodable record"), event: nil))
                return true
            }
            guard until(record) else { return false }
            var parsed = parse(record, checkHash: checkHashes, tape: tape)
            if let envelope = parsed.envelope {
                switch indexCheck {
                case .none:
                    break
                case .lookups:
                    // Index entries of a stored seq never change, so this snapshot answers
                    // for the caller's.
                    parsed.misIndex = try log.misIndex(envelope, at: seq, version: record.version)
                case .hashes(let seed):
                    parsed.indexKeyHashes = LogReader.indexKeyHashes(envelope, version: record.version, seed: seed)
                }
            }
            items.append(consume parsed)
            return true
        }
        return OrderedWorkers.Chunk(items: items, isLast: isLast)
    }

    /// `checkHashes` (verify): also recomputes each hash.
    /// `tape`: the reading thread's, reused from record to record.
    static func parse(_ record: EventRecord, checkHash: Bool, tape: JSONTape) -> ParsedRecord {
        let hashMatches = !checkHash || record.recomputedHash == record.hashDigest
        do {
            var (envelope, data) = try record.envelopeAndPayload(tape: tape)
            // A payload that does not decode keeps its rejection, thrown by the applying
            // thread in order.
            let event = Result { () throws(Rejection) in try DomainEvent.decode(type: envelope.type, schema: envelope.schema, data: &data) }
            return ParsedRecord(seq: record.seq, record: record, hashMatches: hashMatches, envelope: envelope, refusal: nil, event: event)
        } catch {
            return ParsedRecord(seq: record.seq, record: record, hashMatches: hashMatches, envelope: nil, refusal: error, event: nil)
        }
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
