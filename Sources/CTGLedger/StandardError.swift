#if canImport(Glibc)
import Glibc
#endif

/// Writes to standard error (file descriptor 2); standard output stays clean for JSON and CSV.
public enum StandardError {
    public static func write(_ text: String) {
        var text = text
        text.withUTF8 { _ = FileDescriptor.writeAll(2, UnsafeRawBufferPointer($0)) }
    }

    public static var isTerminal: Bool { isatty(2) != 0 }
}

/// Whole writes to a file descriptor, for standard output and standard error.
public enum FileDescriptor {
    /// Writes every byte, again after an interrupted or partial write; false when the
    /// descriptor refuses them (a full disk, a closed descriptor).
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n > 0 {
                offset += n
            } else if !(n < 0 && errno == EINTR) {
                return false
            }
        }
        return true
    }
}
