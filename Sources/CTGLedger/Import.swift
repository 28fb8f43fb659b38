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
        var source = file
        var spooled: String?
        if file == "-" {
            // Standard input cannot be read twice, and a batch is re-run when the map grows.
            let temp = try Ledger.spoolStandardInput()
            source = temp
            spooled = temp
        }
        defer { if let spooled { unlink(spooled) } }
        let display = file == "-" ? "<stdin>" : file
        return try appendBatch(label: display, actor: actor, progress: progress) { appendLine in
            let reader = try Ledger.openLines(source, display: display)
            progress?.start(totalBytes: Ledger.fileSize(source))
            do {
                while try reader.next({ line in
                    try appendLine(line, reader.lineNumber)
                    progress?.advance(bytes: line.count + 1)
                }) {}
            } catch let rejection as Rejection {
                throw LedgerError(rejection, file: display, line: reader.lineNumber)
            }
        }
    }

    /// Appends one event given as a JSON value (for `ctg record`), through the same checks.
    public func record(_ event: JSONValue, actor: String?) throws -> BatchSummary {
        let bytes = JSONWriter.canonical(event)
        return try appendBatch(label: nil, actor: actor, progress: nil) { appendLine in
            try bytes.withUnsafeBufferPointer { try appendLine($0, nil) }
        }
    }

    private typealias LineSink = (UnsafeBufferPointer<UInt8>, Int?) throws -> Void

    /// One write transaction: the log append and the projections together, or nothing.
    private func appendBatch(label: String?, actor: String?, progress: Progress?, _ feed: (LineSink) throws -> Void) throws -> BatchSummary {
        let actor = actor ?? Ledger.environmentActor
        return try environment.write { txn in
            var appender = try BatchAppender(txn: txn, tables: log, now: LedgerClock.now())
            var projector = ProjectionWriter(try LMDBTables(txn))
            try feed { line, lineNumber in
                if Ledger.isBlank(line) { return }
                var eventId: String?
                do {
                    let envelope = try Envelope(line: line, defaultActor: actor)
                    eventId = envelope.id
                    if case .appended(let record) = try appender.append(envelope) {
                        try projector.apply(envelope, at: Rules.Position(seq: record.seq, version: record.version))
                    }
                } catch let rejection as Rejection {
                    throw LedgerError(rejection, file: label, line: lineNumber, eventId: eventId ?? Envelope.sniffId(line))
                }
            }
            try projector.flush()
            try appender.finish()
            progress?.finish(events: appender.appended + appender.skipped)
            return BatchSummary(appended: appender.appended, skipped: appender.skipped, lastSeq: appender.lastSeq)
        }
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

    static func spoolStandardInput() throws -> String {
        var template = Array((String(cString: getenv("TMPDIR") ?? strdup("/tmp")) + "/ctg-stdin-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw LedgerError(code: "spool-failed", message: "cannot create a temporary file for standard input") }
        defer { close(fd) }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            var written = 0
            while written < n {
                let w = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, n - written) }
                guard w > 0 else {
                    unlink(path)
                    throw LedgerError(code: "spool-failed", message: "cannot write standard input to \(path): \(String(cString: strerror(errno)))")
                }
                written += w
            }
        }
        return path
    }
}
