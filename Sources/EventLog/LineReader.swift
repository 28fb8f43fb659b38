#if canImport(Glibc)
import Glibc
#endif

/// Reads NDJSON lines from a file in fixed-size chunks, so a file of any
/// size is streamed with bounded memory. Lines longer than `maxLineBytes` are refused.
public final class LineReader {
    public static let defaultMaxLineBytes = 1 << 20

    private let fd: Int32
    private let maxLineBytes: Int
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var eof = false
    /// The 1-based number of the line last returned.
    public private(set) var lineNumber = 0

    /// Opens `path` for reading.
    public init(path: String, maxLineBytes: Int = LineReader.defaultMaxLineBytes) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw Rejection("cannot-open", "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        self.maxLineBytes = maxLineBytes
        self.buffer = [UInt8](repeating: 0, count: max(maxLineBytes + 1, 1 << 16) + (1 << 16))
    }

    deinit {
        close(fd)
    }

    /// Calls `body` with the next line (without its newline), or returns false at the end.
    public func next(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Bool {
        while true {
            if let newline = buffer[start..<end].firstIndex(of: 0x0A) {
                lineNumber += 1
                let lineStart = start
                start = newline + 1
                guard newline - lineStart <= maxLineBytes else { throw tooLong() }
                try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[lineStart..<newline])) }
                return true
            }
            if end - start > maxLineBytes { lineNumber += 1; throw tooLong() }
            if eof {
                guard start < end else { return false }
                lineNumber += 1
                let lineStart = start
                start = end
                try buffer.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[lineStart..<end])) }
                return true
            }
            try fill()
        }
    }

    private func tooLong() -> Rejection {
        Rejection("line-too-long", "line \(lineNumber) is longer than \(maxLineBytes) bytes")
    }

    private func fill() throws {
        if start > 0 {
            let count = end - start
            buffer.withUnsafeMutableBufferPointer { b in
                _ = memmove(b.baseAddress!, b.baseAddress! + start, count)
            }
            start = 0
            end = count
        }
        let n = buffer.withUnsafeMutableBufferPointer { b in
            read(fd, b.baseAddress! + end, b.count - end)
        }
        if n < 0 {
            if errno == EINTR { return }
            throw Rejection("read-failed", "read failed: \(String(cString: strerror(errno)))")
        }
        if n == 0 { eof = true } else { end += n }
    }
}
