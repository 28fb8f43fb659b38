#if canImport(Glibc)
import Glibc
#endif

/// Totals cells in key order, their keys copied into one buffer: sorting and writing
/// tens of thousands of cells then moves offsets, not arrays (each a retain and release).
struct SortedCells {
    private var keys: [UInt8] = []
    private var cells: [(offset: Int32, count: Int32, totals: Totals)] = []

    init() {}

    init(_ table: CellTable) {
        keys = table.keys
        cells = table.cells
        keys.withUnsafeBytes { keys in
            cells.sort { a, b in KeyOrder.precedes(keys, Int(a.offset), Int(a.count), Int(b.offset), Int(b.count)) }
        }
    }

    var count: Int { cells.count }

    /// Calls `body` with each key (valid during the call) and its totals, in key order.
    func forEach(_ body: (UnsafeRawBufferPointer, Totals) throws -> Void) rethrows {
        try keys.withUnsafeBytes { keys in
            for cell in cells { try body(UnsafeRawBufferPointer(rebasing: keys[Int(cell.offset)..<Int(cell.offset + cell.count)]), cell.totals) }
        }
    }

    /// `body` applied to the key of cell `i` (valid during the call) and its totals.
    func withCell<R>(_ i: Int, _ body: (UnsafeRawBufferPointer, Totals) throws -> R) rethrows -> R {
        let cell = cells[i]
        return try keys.withUnsafeBytes { keys in
            try body(UnsafeRawBufferPointer(rebasing: keys[Int(cell.offset)..<Int(cell.offset + cell.count)]), cell.totals)
        }
    }

    /// The place of the first cell whose key does not sort before `key` (`count` when all do).
    func lowerBound(_ key: UnsafeRawBufferPointer) -> Int {
        var (low, high) = (0, cells.count)
        while low < high {
            let middle = (low + high) / 2
            if withCell(middle, { cellKey, _ in KeyOrder.precedes(cellKey, key) }) { low = middle + 1 } else { high = middle }
        }
        return low
    }
}

/// A replay's totals as its flush sorted them — runs of cells, each run's keys after the
/// previous run's (scope kind after kind) — held as they are rather than hashed into a
/// table cell by cell (a tenth of a second of a million-event verify, on one core), and
/// read by binary search or in key order.
public struct SortedTotals {
    private let runs: [SortedCells]
    /// The number of cells before each run.
    private let starts: [Int]
    /// The number of cells.
    public let count: Int

    init(_ runs: [SortedCells]) {
        let kept = runs.filter { $0.count > 0 }
        for (before, after) in zip(kept, kept.dropFirst()) {
            let ordered = before.withCell(before.count - 1) { last, _ in after.withCell(0) { first, _ in KeyOrder.precedes(last, first) } }
            precondition(ordered, "runs of totals cells out of key order")
        }
        self.runs = kept
        var starts: [Int] = []
        var total = 0
        for run in kept {
            starts.append(total)
            total += run.count
        }
        self.starts = starts
        count = total
    }

    /// `body` applied to the key and the stored value (24 bytes, as in LMDB) of the `i`-th
    /// cell in key order, both valid during the call.
    public func withEntry<R>(_ i: Int, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        precondition(i >= 0 && i < count, "cell \(i) of \(count)")
        var run = runs.count - 1
        while starts[run] > i { run -= 1 }
        return try runs[run].withCell(i - starts[run]) { key, totals in try totals.withEncoded { try body(key, $0) } }
    }

    /// `body` applied to the stored value of `key`; nil when no cell has that key.
    func withValue<R>(_ key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        for run in runs {
            let i = run.lowerBound(key)
            guard i < run.count else { continue }
            return try run.withCell(i) { cellKey, totals in
                cellKey.elementsEqual(key) ? try totals.withEncoded(body) : nil
            }
        }
        return nil
    }

    /// Cells whose key starts with `prefix`, in key order, until `body` returns false.
    func scan(prefix: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) rethrows {
        for run in runs {
            var i = run.lowerBound(prefix)
            while i < run.count {
                let next = try run.withCell(i) { key, totals -> Bool? in
                    guard key.starts(with: prefix) else { return false }
                    return try totals.withEncoded { try body(key, $0) } ? true : nil
                }
                guard let next else { return }
                guard next else { break }
                i += 1
            }
        }
    }
}
