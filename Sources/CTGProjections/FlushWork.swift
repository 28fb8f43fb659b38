import CTGDomain
import StrictJSON

/// What a flush computes before it writes, off the writer's thread where it can: every
/// function here reads its inputs only and returns what it made.
enum FlushWork {
    /// Below this many cached states a flush runs on the writer's thread alone: a single
    /// event's batch (`ctg record`) would spend more handing work to other threads than
    /// doing it.
    static var spreadFrom: Int { 256 }

    /// A table's entries made ready to be written: keys and values side by side.
    struct Ready: Sendable {
        var keys: [[UInt8]]
        var values: [[UInt8]]
        /// The entries' indices in key order (sorted here, off the writer's thread).
        var order: [Int]

        init(keys: [[UInt8]], values: [[UInt8]]) {
            self.keys = keys
            self.values = values
            order = KeyOrder.sorted(keys)
        }

        /// Entries `0..<count` made by `entry`, in slices on every core when `spread`.
        init(count: Int, spread: Bool, _ entry: (Int) -> (key: [UInt8], value: [UInt8])) {
            var keys = [[UInt8]](repeating: [], count: count)
            var values = [[UInt8]](repeating: [], count: count)
            keys.withUnsafeMutableBufferPointer { keys in
                values.withUnsafeMutableBufferPointer { values in
                    Parallel.forEachSlice(of: count, spread: spread) { range in
                        for i in range { (keys[i], values[i]) = entry(i) }
                    }
                }
            }
            self.init(keys: keys, values: values)
        }
    }

    /// Conventions' keys and states encoded, on every core when `spread` (a convention is
    /// the largest state).
    static func prepare(_ taken: [Key: ConventionSlot], codec: StateCodec, spread: Bool) -> Ready {
        let places = Array(taken.indices)
        return Ready(count: places.count, spread: spread) { i in
            let (key, slot) = taken[places[i]]
            return (Array(key.string.utf8), codec.encode(slot.state))
        }
    }

    /// The changed decisions (those with a base), encoded with their keys, on every core
    /// when `spread` (slices taken by whichever thread is free: the background chain of
    /// moved totals holds a core at first).
    static func encode(_ taken: [Key: CachedDecision], codec: StateCodec, spread: Bool) -> Ready {
        // Read in place.
        let changed = taken.indices.filter { taken.values[$0].base != nil }
        return Ready(count: changed.count, spread: spread) { i in
            let state = taken.values[changed[i]].state
            return (Array(state.id.utf8), codec.encode(state))
        }
    }

    /// The finest totals moved by (state now − state when first changed) of each changed
    /// decision, in `parts` parts worked out side by side, each part the decisions of
    /// some conventions: a cell is one convention's, so the parts' cells never overlap.
    static func moved(_ taken: [Key: CachedDecision], parts: Int) -> [CellTable] {
        let changed = taken.indices.filter { taken.values[$0].base != nil }
        guard !changed.isEmpty else { return [] }
        var moved = [CellTable](repeating: CellTable(), count: parts)
        moved.withUnsafeMutableBufferPointer { moved in
            Parallel.run(tasks: parts) { task in
                let mine = parts == 1 ? changed : changed.filter { (Key(taken.values[$0].state.stream).bytesHash & Int.max) % parts == task }
                FlushWork.move(&moved[task], by: mine.lazy.map { taken.values[$0] })
            }
        }
        return moved
    }

    /// `cells` with the cells moved by decisions added.
    static func adding(_ moved: [CellTable], to cells: CellTable) -> CellTable {
        var cells = cells
        for part in moved {
            if cells.isEmpty {
                cells = part
            } else {
                cells.add(part)
            }
        }
        return cells
    }

    /// Every scope kind from the finest cells, each kind sorted on a core of its own; the
    /// kind is the key's first byte, so kind after kind is key order.
    static func prepareTotals(_ finest: CellTable, spread: Bool) -> [SortedCells] {
        // A batch that moved no total (most single events) has nothing to sum or sort.
        guard !finest.isEmpty else { return [] }
        var sorted = [SortedCells](repeating: SortedCells(), count: TotalsScope.kinds)
        sorted.withUnsafeMutableBufferPointer { sorted in
            Parallel.run(tasks: TotalsScope.kinds, spread: spread) { kind in
                sorted[kind] = SortedCells(kind == TotalsScope.finest ? finest : TotalsScope.sum(finest, into: kind))
            }
        }
        return sorted
    }

    /// Moves the convention-and-year cells by what each changed decision adds.
    static func move(_ cells: inout CellTable, by changed: some Collection<CachedDecision>) {
        // A decision's dimensions never change, so its group keys are those of its state now.
        // Cell keys are built in one reused buffer.
        var scratch: [UInt8] = []
        scratch.reserveCapacity(256)
        // Room made once, rather than the table rehashed at every doubling.
        cells.reserve(cells.count + 3 * changed.count)
        for decision in changed {
            guard let base = decision.base else { continue }
            let d = decision.state
            let delta = Totals(of: d) - base
            // The scope's bytes once, then each grouping's tag and key after them.
            scratch.removeAll(keepingCapacity: true)
            TotalsScope.of(d, kind: TotalsScope.finest).appendScope(to: &scratch)
            let scopeEnd = scratch.count
            for grouping in Grouping.allCases {
                scratch.removeSubrange(scopeEnd...)
                scratch.append(grouping.tag)
                scratch.append(contentsOf: grouping.key(of: d).utf8)
                cells.add(scratch, delta)
            }
        }
    }
}
