import CTGDomain
import EventLog
import Foundation
import StrictJSON

/// One NDJSON line, parsed and decoded off the writer's thread.
struct ParsedLine: Sendable {
    var line: Int
    var bytes: Int
    var envelope: Result<Envelope, Rejection>
    /// The decoded payload; decoded ahead even for events that will turn out to be
    /// retries, whose decoding error (if any) is then never reported.
    var event: Result<DomainEvent, Rejection>?
    var sniffedId: String?
}

/// Parses a file on a second thread while the writer applies what is parsed: the two
/// halves of an import (strict JSON, envelope and payload checks / rules, hash chain and
/// LMDB) run on two cores. Lines come out in file order, so the first rejected line is
/// reported exactly as a single-threaded import would.
final class ParsePipeline: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [[ParsedLine]] = []
    private var done = false
    private var cancelled = false
    private let finishedProducing = DispatchSemaphore(value: 0)
    /// Lines per hand-over and hand-overs in flight: bounds memory whatever the file size.
    static let chunkLines = 512
    static let maxChunks = 8

    init(path: String, display: String, actor: String?) {
        let thread = Thread { [self] in
            defer { finishedProducing.signal() }
            produce(path: path, display: display, actor: actor)
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    private func produce(path: String, display: String, actor: String?) {
        var chunk: [ParsedLine] = []
        chunk.reserveCapacity(Self.chunkLines)
        var reader: LineReader?
        do {
            let lines = try LineReader(path: path)
            reader = lines
            while try lines.next({ line in
                if Ledger.isBlank(line) { return }
                let parsed: Result<Envelope, Rejection> = Result { () throws(Rejection) in try Envelope(line: line, defaultActor: actor) }
                var event: Result<DomainEvent, Rejection>?
                var sniffed: String?
                switch parsed {
                case .success(let e):
                    event = Result { () throws(Rejection) in try DomainEvent.decode(type: e.type, schema: e.schema, data: e.data) }
                case .failure:
                    sniffed = Envelope.sniffId(line)
                }
                chunk.append(ParsedLine(line: lines.lineNumber, bytes: line.count + 1, envelope: parsed, event: event, sniffedId: sniffed))
            }) {
                if chunk.count >= Self.chunkLines {
                    guard put(chunk) else { return }
                    chunk.removeAll(keepingCapacity: true)
                }
            }
        } catch let rejection as Rejection {
            // A read failure (a line too long, an I/O error) is the next line's result.
            let line = reader?.lineNumber ?? 0
            chunk.append(ParsedLine(line: line, bytes: 0, envelope: .failure(rejection), event: nil, sniffedId: nil))
        } catch {
            chunk.append(ParsedLine(line: 0, bytes: 0, envelope: .failure(Rejection("read-failed", "\(error)")), event: nil, sniffedId: nil))
        }
        if !chunk.isEmpty { _ = put(chunk) }
        condition.lock()
        done = true
        condition.broadcast()
        condition.unlock()
    }

    private func put(_ chunk: [ParsedLine]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= Self.maxChunks && !cancelled { condition.wait() }
        if cancelled { return false }
        queue.append(chunk)
        condition.broadcast()
        return true
    }

    /// The next chunk in file order, or nil at the end.
    func next() -> [ParsedLine]? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !done { condition.wait() }
        if queue.isEmpty { return nil }
        let chunk = queue.removeFirst()
        condition.broadcast()
        return chunk
    }

    /// Stops the producer and waits for it, so no thread outlives the import.
    func close() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
        finishedProducing.wait()
    }
}
