import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Runs independent pieces of a flush on every core. A batch's flush comes after its last
/// event, when the parsing threads are idle and only the applying thread works: what
/// does not touch the store (encoding states, moving totals, sorting keys) is spread.
public enum Parallel {
    /// Calls `body(task)` for each task in `0..<tasks`, on as many threads as there are
    /// cores, and returns when all are done. Tasks must not touch the same memory.
    /// `spread` false runs the tasks one after the other on this thread: for work too
    /// small to pay for handing it to others.
    static func run(tasks: Int, spread: Bool = true, _ body: (Int) -> Void) {
        if tasks <= 1 || !spread {
            for task in 0..<tasks { body(task) }
            return
        }
        // The tasks share nothing but what their caller hands each of them, which
        // `concurrentPerform`'s `@Sendable` cannot see: that is the caller's contract.
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let task = body
            DispatchQueue.concurrentPerform(iterations: tasks) { task($0) }
        }
    }

    /// Lets go of `value` on another thread. A batch's caches hold hundreds of thousands
    /// of strings and arrays, made by other threads and cold in this one: freeing them
    /// is work the writer need not wait for (at the end of an import, nobody does); a
    /// verify's or replay's in-memory tables likewise, once its answer is known (a
    /// command that exits first leaves the memory to the system). The caller hands over
    /// the last reference: nothing else may reach the value afterwards.
    public static func free<T>(_ value: consuming T) {
        let box = Box(value)
        DispatchQueue.global(qos: .utility).async { box.drop() }
    }

    /// Holds a value until it is dropped, by the thread that drops it.
    private final class Box<T>: @unchecked Sendable {
        // @unchecked: `value` is only touched by `drop()`, called once by one thread, and
        // its owner handed over the last reference to it.
        private var value: T?
        init(_ value: consuming T) { self.value = value }
        func drop() { value = nil }
    }

    /// Work started on another thread, its result waited for when wanted — or, when
    /// `spread` is false (work too small to pay for a thread), done right away here.
    public final class Background<T: Sendable>: @unchecked Sendable {
        // @unchecked: `result` is written once, by the worker, before `done` is signalled,
        // and taken only after waiting for it.
        private var result: T?
        private let done = DispatchSemaphore(value: 0)

        public init(spread: Bool = true, _ work: @escaping @Sendable () -> T) {
            guard spread else {
                result = work()
                done.signal()
                return
            }
            DispatchQueue.global().async { [self] in
                result = work()
                done.signal()
            }
        }

        /// The result, once the work is done; taken (moved out), so call it once.
        public func take() -> T {
            done.wait()
            guard let taken = result.take() else { preconditionFailure("a background result is taken once") }
            return taken
        }
    }

    /// `transform` of each element, worked out in slices on every core (`spread`), in
    /// order. `transform` must touch nothing shared but what it reads.
    public static func map<T, R>(_ elements: [T], spread: Bool = true, _ transform: (T) -> R) -> [R] {
        guard spread, elements.count > 1 else { return elements.map(transform) }
        var results = [R?](repeating: nil, count: elements.count)
        results.withUnsafeMutableBufferPointer { results in
            elements.withUnsafeBufferPointer { elements in
                forEachSlice(of: elements.count) { range in
                    for i in range { results[i] = transform(elements[i]) }
                }
            }
        }
        return results.map { $0! }
    }

    /// Calls `body` with slices of `0..<count`, side by side on every core. Eight slices
    /// per core, taken by whichever thread is free: a core shared with other work (a
    /// flush's background chain) takes fewer, rather than being waited for.
    static func forEachSlice(of count: Int, spread: Bool = true, _ body: (Range<Int>) -> Void) {
        let slices = spread ? min(count, 8 * max(1, ProcessInfoShim.cores)) : 1
        guard slices > 1 else { return body(0..<count) }
        run(tasks: slices) { i in body(count * i / slices..<count * (i + 1) / slices) }
    }
}

/// Caches a writer's flush let go of, to be freed once the transaction has committed.
///
/// Freeing them on another thread while the commit writes the map back made the kernel
/// interrupt that thread's core for every page it cleaned (a TLB shootdown per page:
/// the process was running there), which took most of the commit's time.
public struct RetiredCaches: Sendable {
    private var values: [any Sendable] = []

    public init() {}

    mutating func add<T: Sendable>(_ value: consuming T) { values.append(value) }

    /// Frees what was retired on another thread (nobody waits for it).
    public consuming func free() {
        guard !values.isEmpty else { return }
        Parallel.free(values)
    }
}

/// The number of cores, without Foundation in this module.
enum ProcessInfoShim {
    static let cores: Int = {
        #if canImport(Glibc)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return 1
        #endif
    }()
}
