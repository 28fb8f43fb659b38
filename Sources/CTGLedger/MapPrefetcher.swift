import Foundation
import LMDB

/// Brings the store's fresh pages into memory just ahead of an import, on a thread of its
/// own, so that the applying thread (the one that limits an import) does not stop at
/// each new page for the kernel to fault it in and zero it.
///
/// The import says how far it has got; the prefetcher keeps `window` bytes ahead of
/// where that puts LMDB's last page (the pages an import writes grow with its input:
/// about three bytes of store per byte of NDJSON). Prefetching only reads, so a wrong
/// estimate costs memory or a missed fault, never correctness.
final class MapPrefetcher: @unchecked Sendable {
    // @unchecked: `target` and `stopped` are guarded by `condition`.
    private let environment: Environment
    private let condition = NSCondition()
    private var target: Int
    private var stopped = false
    private let finished = DispatchSemaphore(value: 0)
    private let start: Int
    static var window: Int { 16 << 20 }
    static var step: Int { 1 << 20 }

    /// Starts prefetching from `start`, the end of the data already committed.
    init(_ environment: Environment, from start: Int) {
        self.environment = environment
        self.start = start
        target = start + Self.window
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.start()
    }

    /// The import has applied `bytes` of its input.
    func applied(inputBytes bytes: Int) {
        let newTarget = start + 3 * bytes + Self.window
        condition.lock()
        if newTarget > target {
            target = newTarget
            condition.signal()
        }
        condition.unlock()
    }

    /// Stops and waits for the thread: call before the transaction ends (the map may be
    /// moved when it grows).
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
        finished.wait()
    }

    private func run() {
        var position = start
        while true {
            condition.lock()
            while position >= target && !stopped { condition.wait() }
            if stopped {
                condition.unlock()
                return
            }
            let end = min(target, position + Self.step)
            condition.unlock()
            guard environment.readAhead(position..<end) else { return }
            position = end
        }
    }
}
