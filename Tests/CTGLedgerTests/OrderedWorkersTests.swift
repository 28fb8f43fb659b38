@testable import CTGLedger
import CTGProjections
import Foundation
import Testing

@Suite("Ordered workers: chunks made by any thread come once each, in order, within the window")
struct OrderedWorkersTests {
    /// What made a chunk: a worker's number, or -1 for the caller.
    struct Made: Sendable { var chunk: Int; var by: Int }

    /// Records the furthest chunk claimed, to check the window.
    final class Furthest: @unchecked Sendable {
        private let lock = NSLock()
        private var value = -1
        func saw(_ n: Int) { lock.lock(); value = max(value, n); lock.unlock() }
        var current: Int { lock.lock(); defer { lock.unlock() }; return value }
    }

    @Test("when workers are slow, the caller makes chunks too; each chunk comes once, in order, never far ahead", arguments: [1, 3])
    func callerHelpsAndOrderHolds(workers: Int) {
        let count = 60
        let furthest = Furthest()
        let pipeline = OrderedWorkers<Made>(workers: workers, chunks: count, helper: {
            { n in
                furthest.saw(n)
                usleep(1_000)
                return .init(items: [Made(chunk: n, by: -1)], isLast: n == count - 1)
            }
        }) { worker, claim, emit in
            while let n = claim() {
                furthest.saw(n)
                usleep(20_000)  // slower than the caller, which then helps
                emit(.init(items: [Made(chunk: n, by: worker)], isLast: n == count - 1))
            }
        }
        defer { pipeline.close() }
        var seen: [Made] = []
        var taken = 0
        while let chunk = pipeline.nextChunk() {
            // Never more than the window (4 chunks a thread) past the chunk just taken.
            #expect(furthest.current <= taken + OrderedWorkers<Made>.maxChunks * (workers + 1))
            seen += chunk.items
            taken += 1
            pipeline.discard(chunk)
        }
        #expect(seen.map(\.chunk) == Array(0..<count))
        #expect(seen.contains { $0.by == -1 })
        #expect(seen.contains { $0.by >= 0 })
    }

    @Test("a worker that stops without making its chunk ends the pipeline there, after every chunk before it")
    func abandonedChunkEndsThePipeline() {
        let pipeline = OrderedWorkers<Int>(workers: 2, chunks: 100) { _, claim, emit in
            while let n = claim() {
                if n == 7 { return }  // a read failure, told elsewhere
                emit(.init(items: [n], isLast: n == 99))
            }
        }
        defer { pipeline.close() }
        var seen: [Int] = []
        while let chunk = pipeline.nextChunk() { seen += chunk.items }
        #expect(seen == Array(0..<7))
    }

    @Test("a chunk that says it is the last ends the pipeline, whatever other threads made after it")
    func lastChunkEndsThePipeline() {
        let pipeline = OrderedWorkers<Int>(workers: 2) { _, claim, emit in
            while let n = claim() {
                emit(.init(items: [n], isLast: n >= 12))
                if n >= 12 { return }
            }
        }
        defer { pipeline.close() }
        var seen: [Int] = []
        while let chunk = pipeline.nextChunk() { seen += chunk.items }
        #expect(seen == Array(0...12))
        #expect(pipeline.nextChunk() == nil)
    }
}

@Suite("Work spread over every core keeps its order")
struct ParallelMapTests {
    @Test("a map made in slices on every core equals the map made on one thread, element for element", arguments: [0, 1, 2, 255, 10_007])
    func mapKeepsOrder(count: Int) {
        let elements = (0..<count).map { "state-\($0)" }
        let spread = Parallel.map(elements) { $0 + "/" + String($0.count) }
        #expect(spread == elements.map { $0 + "/" + String($0.count) })
    }
}
