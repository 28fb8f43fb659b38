import StrictJSON
#if canImport(Glibc)
import Glibc
#endif

/// Total cells keyed by their key bytes, for a batch's flush: an open-addressing table
/// whose keys live end to end in one buffer, looked up from bytes the caller holds.
///
/// A dictionary of byte arrays made an array for every lookup (the cell mostly exists
/// already) and one object per cell; summing a batch's cells into every scope, and
/// sorting them, were most of a flush's second half. Keys are never removed.
struct CellTable: Sendable {
    private(set) var keys: [UInt8] = []
    /// Each cell: where its key is in `keys`, and its totals.
    private(set) var cells: [(offset: Int32, count: Int32, totals: Totals)] = []
    /// Cell index + 1 per slot, 0 for an empty slot; a power of two, at most half full.
    private var slots: [Int32] = []

    /// Per process, so that no input can choose keys that collide.
    private static let seed = Int.random(in: .min ... .max)

    var count: Int { cells.count }
    var isEmpty: Bool { cells.isEmpty }

    init(capacity: Int = 0) {
        reserve(capacity)
    }

    /// Room for `capacity` cells without growing the slots. Room for none allocates
    /// nothing (a batch without decisions has no cells; the first `add` makes room).
    mutating func reserve(_ capacity: Int) {
        guard capacity > 0 else { return }
        if let size = OpenAddressing.growth(of: slots.count, toHold: capacity) { rehash(size) }
        cells.reserveCapacity(capacity)
        keys.reserveCapacity(capacity * 32)
    }

    /// Adds `delta` to the cell of `key`, made (at zero) when new.
    mutating func add(_ key: UnsafeRawBufferPointer, _ delta: Totals) {
        precondition(key.count < Int(Int32.max) && keys.count + key.count < Int(Int32.max), "cell keys beyond 2 GiB")
        if 2 * (cells.count + 1) > slots.count { rehash(max(16, 2 * slots.count)) }
        let mask = slots.count - 1
        var slot = ByteHash.hash(key, seed: CellTable.seed) & mask
        let found: Int? = keys.withUnsafeBytes { arena in
            slots.withUnsafeBufferPointer { slots in
                while slots[slot] != 0 {
                    let c = Int(slots[slot]) - 1
                    let cell = cells[c]
                    if Int(cell.count) == key.count
                        && (key.count == 0 || memcmp(arena.baseAddress! + Int(cell.offset), key.baseAddress!, key.count) == 0) {
                        return c
                    }
                    slot = (slot + 1) & mask
                }
                return nil
            }
        }
        if let found {
            cells[found].totals += delta
            return
        }
        cells.append((Int32(keys.count), Int32(key.count), delta))
        keys.append(contentsOf: key)
        slots[slot] = Int32(cells.count)
    }

    mutating func add(_ key: [UInt8], _ delta: Totals) {
        key.withUnsafeBytes { add($0, delta) }
    }

    /// Adds every cell of `other`.
    mutating func add(_ other: CellTable) {
        reserve(count + other.count)
        other.forEach { key, totals in add(key, totals) }
    }

    /// Calls `body` with each key (valid during the call) and its totals, in no order.
    func forEach(_ body: (UnsafeRawBufferPointer, Totals) throws -> Void) rethrows {
        try keys.withUnsafeBytes { arena in
            for cell in cells {
                try body(UnsafeRawBufferPointer(rebasing: arena[Int(cell.offset)..<Int(cell.offset + cell.count)]), cell.totals)
            }
        }
    }

    private mutating func rehash(_ size: Int) {
        slots = [Int32](repeating: 0, count: size)
        let mask = size - 1
        keys.withUnsafeBytes { arena in
            slots.withUnsafeMutableBufferPointer { slots in
                for (c, cell) in cells.enumerated() {
                    var slot = ByteHash.hash(UnsafeRawBufferPointer(rebasing: arena[Int(cell.offset)..<Int(cell.offset + cell.count)]), seed: CellTable.seed) & mask
                    while slots[slot] != 0 { slot = (slot + 1) & mask }
                    slots[slot] = Int32(c + 1)
                }
            }
        }
    }
}

/// Sizing shared by the open-addressing tables (`CellTable`, `ByteTable`).
enum OpenAddressing {
    /// The slot count, a power of two at least 16, that keeps `capacity` entries at most
    /// half full, when it is more than `slots`; nil when `slots` is enough.
    static func growth(of slots: Int, toHold capacity: Int) -> Int? {
        var size = max(16, slots)
        while size < 2 * capacity { size *= 2 }
        return size > slots ? size : nil
    }
}
