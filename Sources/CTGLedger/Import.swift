import CTGDomain
import CTGProjections
import EventLog
import LMDB
import StrictJSON

#if canImport(Glibc)
import Glibc
#endif

/// What one batch did.
public struct BatchSummary: Sendable, Equatable {
    public var appended: Int
    public var skipped: Int
    public var lastSeq: UInt64
}

extension Ledger {
    /// Appends the NDJSON events of one file (`-`: standard input) as one atomic batch:
    /// all of them, or — at the first rejected event — none. `actor` (else `$CTG_ACTOR`)
    /// is written into events that name none.
    @discardableResult
    public func importFile(_ file: String, actor: String?, progress: Progress? = nil) throws -> BatchSummary {
        let display = file == "-" ? "<stdin>" : file
        var source = file
        var spooled: String?
        var size = file == "-" ? nil : Ledger.fileSize(file)
        if size == nil {
            // Standard input or a pipe (`<(zcat …)`) cannot be read twice, and a batch is
            // re-run from its start when the map fills: it is copied to a file first.
            guard file == "-" || FileManagerShim.isReadable(file) else {
                throw LedgerError(code: "cannot-open", message: "cannot open \(file)", file: display)
            }
            let temp = try Ledger.spool(file)
            source = temp
            spooled = temp
            size = Ledger.fileSize(temp)
        }
        defer { if let spooled { unlink(spooled) } }
        let resolvedActor = actor ?? Ledger.environmentActor
        if let size { reserveMap(forInputBytes: size) }
        return try appendBatch(label: display, progress: progress) { apply in
            progress?.start(totalBytes: size)
            let pipeline = ParsedLine.pipeline(path: source, actor: resolvedActor)
            defer { pipeline.close() }
            let prefetcher = environment.isWriteMap ? MapPrefetcher(environment, from: environment.usedSize) : nil
            defer { prefetcher?.stop() }
            var linesBefore = 0
            var bytesApplied = 0
            while let chunk = pipeline.nextChunk() {
                // Through the buffer: each event is lent to `apply`, not copied out of the
                // chunk (a copy retains every string of its payload).
                try chunk.items.withUnsafeBufferPointer { items in
                    for i in items.indices {
                        try apply(items.baseAddress! + i, linesBefore)
                        progress?.advance(bytes: items[i].bytes)
                        bytesApplied += items[i].bytes
                    }
                }
                linesBefore += chunk.lines
                pipeline.discard(chunk)
                prefetcher?.applied(inputBytes: bytesApplied)
            }
        }
    }

    /// Grows the map, before the batch starts, to what a file of `bytes` needs (a stored
    /// event with its indexes and projections takes about three times its line), so that
    /// a large import is not aborted and re-run each time the map fills. When the disk
    /// cannot hold the estimate the map stays as it is: it grows on demand, and only a
    /// batch that truly does not fit fails.
    private func reserveMap(forInputBytes bytes: Int) {
        let step = 64 << 20
        let needed = environment.usedSize + 3 * bytes + (1 << 20)
        guard needed > environment.mapSize else { return }
        try? environment.setMapSize((needed + step - 1) / step * step)
    }

    /// Appends one event given as a JSON value (for `ctg record`), through the same checks.
    public func record(_ event: JSONValue, actor: String?) throws -> BatchSummary {
        let parsed: Result<Envelope, Rejection> = Result { () throws(Rejection) in try Envelope(event, defaultActor: actor ?? Ledger.environmentActor) }
        let id = event.objectValue?["id"]?.stringValue
        return try appendBatch(label: nil, progress: nil) { apply in
            var line = switch parsed {
            case .success(let envelope): ParsedLine(line: 0, bytes: 0, envelope: envelope, refusal: nil, event: nil, sniffedId: id)
            case .failure(let rejection): ParsedLine(line: 0, bytes: 0, envelope: nil, refusal: rejection, event: nil, sniffedId: id)
            }
            try apply(&line, 0)
        }
    }

    /// What a batch is fed by: it calls its argument with each event in order, and the
    /// number of input lines before the event's chunk (its line counts from there). The
    /// event is lent by address: passed by value, it was copied (every field of its
    /// payload retained, then released) on the applying thread.
    private typealias Feed = ((UnsafePointer<ParsedLine>, Int) throws -> Void) throws -> Void

    /// One write transaction: the log append and the projections together, or nothing.
    private func appendBatch(label: String?, progress: Progress?, _ feed: Feed) throws -> BatchSummary {
        do {
            return try appendBatchTransaction(label: label, progress: progress, feed)
        } catch let error as LMDBError {
            throw Ledger.writeFailure(error, label: label)
        }
    }

    /// An LMDB failure while writing, told as what it means for the user: nothing of the
    /// batch was recorded (the transaction aborted), and what to look at.
    static func writeFailure(_ error: LMDBError, label: String?) -> LedgerError {
        let hint: String
        switch error {
        case .noSpace, LMDBError(rawValue: 5): hint = " — is the disk full? Free space and run the import again"
        case .readOnlyFileSystem, .accessDenied: hint = " — the store is read-only for this user"
        case .readersFull: hint = " — too many readers; close other ctg processes"
        default: hint = ""
        }
        return LedgerError(code: "store-write-failed", message: "the store could not be written (\(error))\(hint); nothing of this batch was recorded", file: label)
    }

    private func appendBatchTransaction(label: String?, progress: Progress?, _ feed: Feed) throws -> BatchSummary {
        let (summary, retired) = try environment.write { txn in
            var appender = try BatchAppender(txn: txn, tables: log, now: LedgerClock.now())
            var projector = ProjectionWriter(LMDBTables(txn, projectionDatabases))
            try feed { parsed, linesBefore in
                let line = linesBefore + parsed.pointee.line > 0 ? linesBefore + parsed.pointee.line : nil
                do {
                    let envelope = try ParsedLine.envelope(parsed)
                    do {
                        if case let .appended(seq, version) = try appender.append(envelope) {
                            try projector.apply(envelope, decoded: parsed.pointee.event, at: Rules.Position(seq: seq, version: version))
                        }
                    } catch let rejection as Rejection {
                        throw LedgerError(rejection, file: label, line: line, eventId: envelope.id)
                    }
                } catch let rejection as Rejection {
                    throw LedgerError(rejection, file: label, line: line, eventId: parsed.pointee.sniffedId)
                }
            }
            var retired = RetiredCaches()
            // The log's indexes are written while another core sums the totals.
            try projector.flush(retiring: &retired, alongside: { try appender.finish() })
            progress?.finish(events: appender.appended + appender.skipped)
            return (BatchSummary(appended: appender.appended, skipped: appender.skipped, lastSeq: appender.lastSeq), retired)
        }
        // Committed: the caches can go now.
        retired.free()
        return summary
    }

    /// The actor for events that lack one when no `--actor` is given: `$CTG_ACTOR`.
    public static var environmentActor: String? {
        if let env = getenv("CTG_ACTOR"), let s = String(validatingCString: env), !s.isEmpty { return s }
        return nil
    }

    static func openLines(_ path: String, display: String? = nil) throws -> LineReader {
        do {
            return try LineReader(path: path)
        } catch let error as Rejection {
            throw LedgerError(error, file: display ?? path)
        }
    }

    static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }

    static func fileSize(_ path: String) -> Int? {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int(st.st_size)
    }

    /// Copies standard input (`-`) or the pipe at `path` into a temporary file, and returns its path.
    static func spool(_ path: String) throws -> String {
        let name = path == "-" ? "standard input" : path
        let input = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else {
            throw LedgerError(code: "cannot-open", message: "cannot open \(path): \(String(cString: strerror(errno)))", file: path)
        }
        defer { if input != 0 { close(input) } }
        let directory = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array((directory + "/ctg-stdin-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw LedgerError(code: "spool-failed", message: "cannot create a temporary file for \(name)") }
        defer { close(fd) }
        let spoolPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 {
                unlink(spoolPath)
                throw LedgerError(code: "read-failed", message: "read failed: \(String(cString: strerror(errno)))", file: path == "-" ? "<stdin>" : path)
            }
            if n == 0 { break }
            var written = 0
            while written < n {
                let w = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, n - written) }
                guard w > 0 else {
                    unlink(spoolPath)
                    throw LedgerError(code: "spool-failed", message: "cannot write \(name) to \(spoolPath): \(String(cString: strerror(errno)))")
                }
                written += w
            }
        }
        return spoolPath
    }
}

/// Whether a path can be opened for reading, to fail before starting the parser thread.
enum FileManagerShim {
    static func isReadable(_ path: String) -> Bool { access(path, R_OK) == 0 }
}
