import Foundation

/// Several producer threads making numbered chunks, handed to the caller in number order.
///
/// Worker `w` of `n` makes chunks `w`, `w + n`, `w + 2n`, … and the caller takes chunk 0,
/// 1, 2, …: reading and parsing events (byte ranges of an import file, seq ranges of the
/// log), which is independent from one event to the next, runs on every core, while the
/// caller applies the events in order. Each worker holds at most `maxChunks` chunks
/// ahead, so memory is bounded whatever the input.
final class OrderedWorkers<Item: Sendable>: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `condition`.

    /// What a worker makes: the items of one chunk, and whether no chunk follows it.
    struct Chunk: Sendable {
        var items: [Item]
        var isLast: Bool
        /// The input lines the chunk covers, blank ones included (for line numbers).
        var lines = 0
    }

    private let condition = NSCondition()
    private var queues: [[Chunk]]
    /// Workers that have returned, whether or not they made a last chunk (a read failure).
    private var stopped: [Bool]
    private var cancelled = false
    private var nextIndex = 0
    private var ended = false
    private let finishedProducing = DispatchSemaphore(value: 0)
    let workers: Int
    static var maxChunks: Int { 4 }

    /// The number of workers for this machine: one per core, at most four (the applying
    /// thread, which shares the cores, is what limits beyond that).
    static var defaultWorkers: Int { max(1, min(4, ProcessInfo.processInfo.activeProcessorCount)) }

    /// Starts `workers` threads running `produce(worker, workers, emit)`; `emit` returns
    /// false when the caller has closed the pipeline, and the worker should then return.
    init(workers: Int = OrderedWorkers.defaultWorkers, _ produce: @escaping @Sendable (_ worker: Int, _ workers: Int, _ emit: (Chunk) -> Bool) -> Void) {
        precondition(workers >= 1)
        self.workers = workers
        queues = Array(repeating: [], count: workers)
        stopped = Array(repeating: false, count: workers)
        for w in 0..<workers {
            let thread = Thread { [self] in
                produce(w, workers) { chunk in put(chunk, from: w) }
                condition.lock()
                stopped[w] = true
                condition.broadcast()
                condition.unlock()
                finishedProducing.signal()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    private func put(_ chunk: Chunk, from worker: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queues[worker].count >= Self.maxChunks && !cancelled { condition.wait() }
        if cancelled { return false }
        queues[worker].append(chunk)
        condition.broadcast()
        return true
    }

    /// The items of the next chunk in order (possibly none), or nil after the last one.
    func next() -> [Item]? { nextChunk()?.items }

    /// The next chunk in order, or nil after the last one.
    func nextChunk() -> Chunk? {
        condition.lock()
        defer { condition.unlock() }
        if ended { return nil }
        let w = nextIndex % workers
        while queues[w].isEmpty && !stopped[w] { condition.wait() }
        guard !queues[w].isEmpty else {
            // The worker stopped without a last chunk: it failed, and said why elsewhere.
            ended = true
            return nil
        }
        let chunk = queues[w].removeFirst()
        nextIndex += 1
        if chunk.isLast { ended = true }
        condition.broadcast()
        return chunk
    }

    /// Stops the workers and waits for them, so no thread outlives its caller.
    func close() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
        for _ in 0..<workers { finishedProducing.wait() }
    }
}
