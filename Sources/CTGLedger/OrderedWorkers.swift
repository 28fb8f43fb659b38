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
    /// Chunks the caller has finished with, for a worker to free (see `discard`).
    private var discarded: [Chunk] = []
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
                // Chunks the caller finishes after the last one was made are freed here
                // too, not by the caller when the pipeline goes: parsing runs ahead, so
                // those are the last few thousand events.
                while true {
                    while discarded.isEmpty && !cancelled { condition.wait() }
                    if discarded.isEmpty { break }  // closed, and nothing left to free
                    let done = discarded
                    discarded = []
                    condition.unlock()
                    _ = consume done
                    condition.lock()
                }
                condition.unlock()
                finishedProducing.signal()
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    private func put(_ chunk: Chunk, from worker: Int) -> Bool {
        condition.lock()
        while queues[worker].count >= Self.maxChunks && !cancelled { condition.wait() }
        if cancelled {
            condition.unlock()
            return false
        }
        queues[worker].append(chunk)
        condition.broadcast()
        let done = discarded
        discarded = []
        condition.unlock()
        _ = consume done  // freed here, by a worker, outside the lock
        return true
    }

    /// Hands back a chunk the caller is done with, to be freed by the next worker that
    /// makes one: its items (events with their strings, arrays and payloads) are freed
    /// off the caller's thread, which is the one that limits the pipeline.
    func discard(_ chunk: consuming Chunk) {
        condition.lock()
        discarded.append(chunk)
        condition.broadcast()
        condition.unlock()
    }

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
