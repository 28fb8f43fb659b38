import Foundation

/// Several producer threads making numbered chunks, handed to the caller in number order.
///
/// Each worker claims the next chunk number not yet claimed, makes that chunk, and claims
/// again, while the caller takes chunk 0, 1, 2, …: reading and parsing events (byte ranges
/// of an import file, seq ranges of the log), which is independent from one event to the
/// next, runs on every core, while the caller applies the events in order. No chunk is
/// claimed more than `maxChunks` per thread ahead of the caller, so memory is bounded
/// whatever the input. Given a `helper`, the caller makes chunks too when the one it
/// needs is not ready, rather than wait: on 2 cores, one parsing thread is the one that
/// limits an import, and the applying thread was idle a fifth of the time.
final class OrderedWorkers<Item: Sendable>: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `condition`.

    /// What a worker makes: the items of one chunk, and whether no chunk follows it.
    struct Chunk: Sendable {
        var items: [Item]
        var isLast: Bool
        /// The input lines the chunk covers, blank ones included (for line numbers).
        var lines = 0
    }

    /// A worker's body: it calls `claim()` for the number of the next chunk to make (nil:
    /// stop) and `emit` with that chunk, until `claim()` says stop or it emits a last one.
    typealias Produce = @Sendable (_ worker: Int, _ claim: () -> Int?, _ emit: (Chunk) -> Void) -> Void

    private let condition = NSCondition()
    private var ready: [Int: Chunk] = [:]
    /// The next chunk number no thread has claimed.
    private var nextClaim = 0
    /// The next chunk number the caller takes.
    private var nextIndex = 0
    /// How many chunks there are when known in advance, else no bound but `lastIndex`.
    private let chunkCount: Int
    /// The lowest-numbered chunk made so far that said it was the last.
    private var lastIndex = Int.max
    /// The lowest chunk number claimed by a worker that returned without making it (a
    /// read failure, told elsewhere): the caller ends there.
    private var abandoned = Int.max
    private var stoppedWorkers = 0
    private var cancelled = false
    /// Chunks the caller has finished with, for a worker to free (see `discard`).
    private var discarded: [Chunk] = []
    private var ended = false
    private let finishedProducing = DispatchSemaphore(value: 0)
    /// Makes chunk `n` on the caller's thread; made when first needed.
    private let makeHelper: (() -> (Int) -> Chunk)?
    private var helper: ((Int) -> Chunk)?
    let workers: Int
    static var maxChunks: Int { 4 }
    private var window: Int { Self.maxChunks * (workers + (makeHelper == nil ? 0 : 1)) }
    /// Chunk numbers below this one may be made.
    private var claimLimit: Int { lastIndex == .max ? chunkCount : min(chunkCount, lastIndex + 1) }

    /// The number of workers for this machine: one per core, at most four (the applying
    /// thread, which shares the cores, is what limits beyond that).
    static var defaultWorkers: Int { max(1, min(4, ProcessInfo.processInfo.activeProcessorCount)) }

    /// Starts `workers` threads running `produce`. `chunks`: how many chunks there are,
    /// when known. `helper`: makes, on the caller's thread, something that makes chunk `n`
    /// as a worker would — the caller then makes chunks while it would otherwise wait.
    init(workers: Int = OrderedWorkers.defaultWorkers, chunks: Int? = nil, helper: (() -> (Int) -> Chunk)? = nil, _ produce: @escaping Produce) {
        precondition(workers >= 1)
        self.workers = workers
        chunkCount = chunks ?? .max
        makeHelper = helper
        for w in 0..<workers {
            let thread = Thread { [self] in
                var claimed: Int?
                produce(w, {
                    claimed = claim()
                    return claimed
                }, { chunk in
                    // A chunk made without a claim (a failure before the first) is the next one.
                    if let n = claimed ?? claim() { put(chunk, at: n) }
                    claimed = nil
                })
                condition.lock()
                stoppedWorkers += 1
                if let claimed { abandoned = min(abandoned, claimed) }
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

    /// The number of the next chunk for a worker to make, once it is within the window
    /// ahead of the caller; nil when there is none or the pipeline is closed.
    private func claim() -> Int? {
        condition.lock()
        defer { condition.unlock() }
        while !cancelled && nextClaim < claimLimit && nextClaim >= nextIndex + window { condition.wait() }
        guard !cancelled, nextClaim < claimLimit else { return nil }
        nextClaim += 1
        return nextClaim - 1
    }

    private func put(_ chunk: Chunk, at n: Int) {
        condition.lock()
        guard !cancelled else {
            condition.unlock()
            return  // freed here, by its worker
        }
        store(chunk, at: n)
        let done = discarded
        discarded = []
        condition.unlock()
        _ = consume done  // freed here, by a worker, outside the lock
    }

    /// Called with the lock held.
    private func store(_ chunk: Chunk, at n: Int) {
        if chunk.isLast { lastIndex = min(lastIndex, n) }
        ready[n] = chunk
        condition.broadcast()
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
        while ready[nextIndex] == nil {
            if nextIndex >= abandoned || nextIndex > lastIndex || nextIndex >= chunkCount
                || (stoppedWorkers == workers && nextIndex >= nextClaim && makeHelper == nil) {
                // A worker stopped without making the chunk: it failed, and said why elsewhere.
                ended = true
                return nil
            }
            if let makeHelper, nextClaim < min(claimLimit, nextIndex + window) {
                let n = nextClaim
                nextClaim += 1
                condition.unlock()
                if helper == nil { helper = makeHelper() }
                let chunk = helper!(n)
                condition.lock()
                store(chunk, at: n)
                continue
            }
            condition.wait()
        }
        let chunk = ready.removeValue(forKey: nextIndex)!
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
