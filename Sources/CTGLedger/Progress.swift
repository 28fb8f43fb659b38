#if canImport(Glibc)
import Glibc
#endif

/// Progress of a long import or rebuild on standard error (count, rate, ETA), shown
/// only when standard error is a terminal.
public final class Progress {
    private let label: String
    private var totalBytes: Int?
    private var bytes = 0
    private var events = 0
    private var started = Progress.now()
    private var lastShown = 0.0

    /// A progress reporter when standard error is a terminal, else nil.
    public static func onTerminal(_ label: String) -> Progress? {
        isatty(2) != 0 ? Progress(label: label) : nil
    }

    init(label: String) { self.label = label }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func start(totalBytes: Int?) {
        self.totalBytes = totalBytes
        bytes = 0
        events = 0
        started = Progress.now()
    }

    func advance(bytes n: Int = 0) {
        bytes += n
        events += 1
        guard events % 4096 == 0 else { return }
        let t = Progress.now()
        guard t - lastShown > 0.5 else { return }
        lastShown = t
        let elapsed = max(t - started, 1e-6)
        let rate = Double(events) / elapsed
        var line = "\r\(label): \(events) events, \(Int(rate)) events/s"
        if let total = totalBytes, total > 0, bytes > 0 {
            let eta = elapsed * Double(total - bytes) / Double(bytes)
            line += ", \(bytes * 100 / total)%, ETA \(Int(eta.rounded()))s"
        }
        StandardError.write(line + "   ")
    }

    func finish(events total: Int) {
        guard lastShown > 0 else { return }
        let elapsed = max(Progress.now() - started, 1e-6)
        StandardError.write("\r\(label): \(total) events in \(format1(elapsed))s\u{1B}[K\n")
        lastShown = 0
    }

    private func format1(_ v: Double) -> String {
        let tenths = Int((v * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
