import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Chains the hashes of a batch's records, in seq order, after each record is written
/// with blank hashes (`EventRecord.chain`).
///
/// An event's hash covers the previous event's, so the chain is one sequence of SHA-256
/// computations — the one part of an append that the order forbids spreading over cores.
/// Nothing of a batch reads its own new hashes before the commit, though: in a
/// write-mapped transaction (where a record appended stays at its address until the
/// transaction ends, see `Transaction.isWriteMap`) a thread of its own follows the
/// appending one, record after record, and the appending thread waits for it only in
/// `finish()`. Elsewhere, and for the first records of a batch (a single `ctg record`
/// should not start a thread), each record is chained as it is appended.
///
/// The owner must call `finish()` before the transaction commits; if it does not (a
/// rejection is aborting the batch), `deinit` stops the thread and waits for it, so that
/// nothing writes into the map once the transaction has ended.
final class ChainHasher {
    /// The hash of the last record chained on this thread (`inline`), or of the last one
    /// before the background thread started.
    private var head: ChainHash
    private var nextSeq: UInt64
    /// The seq whose record a follower thread chains first; nil without one (an
    /// environment that is not write-mapped).
    private let followFrom: UInt64?
    /// Unmanaged: read at every event, a strong reference was retained and released each
    /// time — on the cache line the other thread polls. Released in `finish` or `deinit`.
    private var follower: Unmanaged<Follower>?

    /// Records chained inline before a thread takes over: a batch this small is over
    /// before a thread would have started.
    static let inlineRecords = 256

    init(head: ChainHash, nextSeq: UInt64, background: Bool) {
        self.head = head
        self.nextSeq = nextSeq
        followFrom = background ? nextSeq + UInt64(Self.inlineRecords) : nil
    }

    deinit {
        guard let follower else { return }
        follower.takeUnretainedValue().stop(abandoning: true)
        follower.release()
    }

    /// Chains the stored value `record`, the next seq's, now or on the follower thread.
    func add(_ record: UnsafeMutableRawBufferPointer) {
        if let follower {
            follower._withUnsafeGuaranteedRef { $0.add(record) }
            return
        }
        head = EventRecord.chain(record, seq: nextSeq, after: head)
        nextSeq += 1
        if nextSeq == followFrom {
            follower = Unmanaged.passRetained(Follower(head: head, nextSeq: nextSeq))
        }
    }

    /// Waits until every record added is chained; returns the hash of the last one.
    func finish() -> ChainHash {
        guard let follower else { return head }
        self.follower = nil
        defer { follower.release() }
        return follower.takeUnretainedValue().stop(abandoning: false)
    }
}

/// The thread that chains records behind the appending thread, and the queue between
/// them: one producer, one consumer, a ring of record addresses with two counters.
///
/// The consumer sleeps on a semaphore when it has caught up, after asking to be woken
/// once `Follower.wakeBatch` more records are there (or at the end): a wake-up per record
/// would cost the appending thread a system call per event. Who signals is decided by
/// one exchange on `sleeping`, so every sleep gets exactly one signal, at the latest
/// from `stop`.
private final class Follower: @unchecked Sendable {
    // @unchecked: the ring's slots are written by the producer before `produced` is
    // published (releasing) and read by the consumer after reading it (acquiring); a slot
    // is reused only after `consumed` says it was read. `head` is written by the consumer
    // before its thread ends and read by the producer after joining it.
    private static let capacity = 1 << 14
    private static let wakeBatch = 1024
    private let slots = UnsafeMutablePointer<UnsafeMutableRawBufferPointer>.allocate(capacity: Follower.capacity)
    private let produced = Atomic<Int>(0)
    private let consumed = Atomic<Int>(0)
    private let wakeAt = Atomic<Int>(0)
    private let sleeping = Atomic<Bool>(false)
    private let closed = Atomic<Bool>(false)
    private let cancelled = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    /// Producer side: records added, and `consumed` as last read.
    private var count = 0
    private var consumedSeen = 0
    private var head: ChainHash
    private let firstSeq: UInt64
    private var thread = pthread_t()
    private var stopped = false

    /// A thread of its own, not a pool's: it runs as long as the batch, and the flush at
    /// the batch's end wants the pool's threads for itself.
    init(head: ChainHash, nextSeq: UInt64) {
        self.head = head
        firstSeq = nextSeq
        let started = pthread_create(&thread, nil, { context in
            Unmanaged<Follower>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, Unmanaged.passRetained(self).toOpaque())
        precondition(started == 0, "cannot start the hash chain's thread: error \(started)")
    }

    deinit { slots.deallocate() }

    func add(_ record: UnsafeMutableRawBufferPointer) {
        // Full: the chaining thread is a ring behind (it is much faster than appending,
        // so this is rare); give it the core for a moment.
        while count - consumedSeen == Follower.capacity {
            consumedSeen = consumed.load(ordering: .acquiring)
            if count - consumedSeen == Follower.capacity { sched_yield() }
        }
        slots[count & (Follower.capacity - 1)] = record
        count += 1
        // No fence here (this runs per event): a `sleeping` read stale misses a wake-up for
        // one record only — the next add reads it again, and `stop` always signals.
        produced.store(count, ordering: .releasing)
        if sleeping.load(ordering: .relaxed) && count >= wakeAt.load(ordering: .relaxed) { signalSleeper() }
    }

    /// Ends the queue: once every record added is chained, returning the last hash; or,
    /// `abandoning` the rest, as soon as the thread notices (the batch is being aborted:
    /// its hashes no longer matter). Either way the thread has stopped when this returns.
    @discardableResult
    func stop(abandoning: Bool) -> ChainHash {
        guard !stopped else { return head }
        stopped = true
        if abandoning { cancelled.store(true, ordering: .sequentiallyConsistent) }
        closed.store(true, ordering: .sequentiallyConsistent)
        signalSleeper()
        pthread_join(thread, nil)
        return head
    }

    private func signalSleeper() {
        if sleeping.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent).exchanged { wake.signal() }
    }

    private func run() {
        var next = 0
        var seq = firstSeq
        var hash = head
        while !cancelled.load(ordering: .relaxed) {
            let available = produced.load(ordering: .acquiring)
            if next == available {
                if closed.load(ordering: .sequentiallyConsistent) && next == produced.load(ordering: .acquiring) { break }
                sleep(until: next + Follower.wakeBatch)
                continue
            }
            while next < available {
                hash = EventRecord.chain(slots[next & (Follower.capacity - 1)], seq: seq, after: hash)
                next += 1
                seq += 1
            }
            consumed.store(next, ordering: .releasing)
        }
        head = hash
    }

    /// Sleeps until `target` records were added or the queue is closed (or returns at
    /// once when that is so already).
    private func sleep(until target: Int) {
        wakeAt.store(target, ordering: .sequentiallyConsistent)
        sleeping.store(true, ordering: .sequentiallyConsistent)
        if produced.load(ordering: .sequentiallyConsistent) >= target || closed.load(ordering: .sequentiallyConsistent) {
            // Awake already: unless a producer took the sleep (and signals), nobody will.
            if sleeping.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent).exchanged { return }
        }
        wake.wait()
    }
}
