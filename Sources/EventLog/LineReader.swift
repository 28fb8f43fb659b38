#if canImport(Glibc)
import Glibc
#endif

/// Reads NDJSON lines from a file in fixed-size chunks, so a file of any
/// size is streamed with bounded memory. Lines longer than `maxLineBytes` are refused.
///
/// A reader can also take only the lines that start in a byte range of the file, so that
/// several threads split a file between them: the line that straddles the range's start
/// belongs to the range before, and the last line is read past the range's end.
public final class LineReader {
    public static let defaultMaxLineBytes = 1 << 20
    /// How far past a range's end a read goes, for the line that straddles it.
    static let readPastRange = 16 << 10

    private let fd: Int32
    private let maxLineBytes: Int
    // Unchecked: a reader is used by one thread at a time, and a line's `body` only reads
    // `lineNumber`; checked at run time, its fields cost three access checks per line.
    @exclusivity(unchecked) private var buffer: [UInt8]
    @exclusivity(unchecked) private var start = 0
    @exclusivity(unchecked) private var end = 0
    private var eof = false
    /// The 1-based number of the line last returned (counted from the range's start).
    @exclusivity(unchecked) public private(set) var lineNumber = 0
    /// The file offset of `buffer[0]`.
    private var bufferOffset = 0
    /// Lines starting at or after this offset are not this reader's.
    private var limit = Int.max
    /// Whether the bytes up to the first newline belong to the line before the range.
    private var skippingPartialLine = false

    /// Opens `path` for reading, from its start to its end.
    public init(path: String, maxLineBytes: Int = LineReader.defaultMaxLineBytes) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw Rejection("cannot-open", "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        self.fd = fd
        self.maxLineBytes = maxLineBytes
        self.buffer = [UInt8](repeating: 0, count: max(maxLineBytes + 1, 1 << 16) + (1 << 16))
    }

    /// From now on, reads the lines that start at or after `offset` and before `limit`,
    /// numbering them from 1. The file must be a regular file.
    public func restrict(from offset: Int, until limit: Int) throws {
        var before: UInt8 = 0x0A
        if offset > 0 {
            guard pread(fd, &before, 1, off_t(offset - 1)) == 1 else {
                throw Rejection("read-failed", "cannot read byte \(offset - 1): \(String(cString: strerror(errno)))")
            }
        }
        guard lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
            throw Rejection("read-failed", "cannot seek to byte \(offset): \(String(cString: strerror(errno)))")
        }
        bufferOffset = offset
        start = 0
        end = 0
        eof = false
        lineNumber = 0
        self.limit = limit
        skippingPartialLine = before != 0x0A
    }

    deinit {
        close(fd)
    }

    /// Calls `body` with the next line (without its newline), or returns false at the end.
    public func next(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) throws -> Bool {
        while true {
            if skippingPartialLine {
                if let newline = newlineIndex() {
                    start = newline + 1
                    skippingPartialLine = false
                } else if eof {
                    return false
                } else {
                    start = end
                    try fill()
                }
                continue
            }
            if bufferOffset + start >= limit { return false }
            if let newline = newlineIndex() {
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

    /// The index of the first newline in `buffer[start..<end]`, found by `memchr` (which
    /// reads many bytes per step, where a loop over the slice reads one).
    private func newlineIndex() -> Int? {
        guard start < end else { return nil }
        return buffer.withUnsafeBufferPointer { b in
            guard let found = memchr(b.baseAddress! + start, 0x0A, end - start) else { return nil }
            return b.baseAddress!.distance(to: found.assumingMemoryBound(to: UInt8.self))
        }
    }

    private func tooLong() -> Rejection {
        Rejection("line-too-long", "the line is longer than \(maxLineBytes) bytes")
    }

    private func fill() throws {
        if start > 0 {
            let count = end - start
            buffer.withUnsafeMutableBufferPointer { b in
                _ = memmove(b.baseAddress!, b.baseAddress! + start, count)
            }
            bufferOffset += start
            start = 0
            end = count
        }
        // In a range, only the line that straddles its end is read past it: the read
        // stops a little after the end (the rest of a longer line comes by further
        // reads). Filling the whole buffer read a 256 KiB range's bytes four times over.
        let wanted = limit == .max ? Int.max : max(limit - (bufferOffset + end), 0) + LineReader.readPastRange
        let n = buffer.withUnsafeMutableBufferPointer { b in
            read(fd, b.baseAddress! + end, min(b.count - end, wanted))
        }
        if n < 0 {
            if errno == EINTR { return }
            throw Rejection("read-failed", "read failed: \(String(cString: strerror(errno)))")
        }
        if n == 0 { eof = true } else { end += n }
    }
}
