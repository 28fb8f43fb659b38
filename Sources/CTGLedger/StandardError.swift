#if canImport(Glibc)
import Glibc
#endif

/// Writes to standard error (file descriptor 2); standard output stays clean for JSON and CSV.
public enum StandardError {
    public static func write(_ text: String) {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { return }
            offset += n
        }
        bytes.removeAll()
    }

    public static var isTerminal: Bool { isatty(2) != 0 }
}
