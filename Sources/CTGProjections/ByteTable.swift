import StrictJSON
#if canImport(Glibc)
import Glibc
#endif

/// Byte-string keys to byte-string values in memory, for a replay's projection tables:
/// keys and values live end to end in one arena, found through an open-addressing index
/// of entry numbers, looked up from bytes the caller holds.
///
/// A dictionary of byte arrays made two arrays and an entry per put and an array per
/// lookup: a million-event verify made millions of allocations it then freed, and the
/// dictionaries held about twice the bytes. Keys are never moved; a value replaced by
/// one of another length goes to the end of the arena (a replay replaces few).
///
/// Not copyable: a table is used where it lies (`MemoryTables` keeps them in memory of
/// its own), and a copyable one was copied — its three arrays retained, then released —
/// at every lookup through a pointer, for the compiler to be sure it did not change
/// during the call.
struct ByteTable: ~Copyable {
    private struct Entry {
        var keyOffset: Int
        var valueOffset: Int
        var keyCount: Int32
        var valueCount: Int32
        /// False once removed: its slot stays (probing runs past it) until the next
        /// rehash, and the same key put again revives it.
        var isLive: Bool
    }

    private var arena: [UInt8] = []
    private var entries: [Entry] = []
    /// Entry number + 1 per slot, 0 for an empty slot; a power of two, at most half full.
    private var slots: [Int32] = []
    /// Slots in use: live entries and removed ones still reached by probing.
    private var used = 0
    private(set) var count = 0

    /// Per process, so that no input can choose keys that collide.
    private static let seed = Int.random(in: .min ... .max)

    /// Room for `capacity` entries without growing the index.
    mutating func reserve(_ capacity: Int) {
        guard capacity > 0 else { return }
        if let size = OpenAddressing.growth(of: slots.count, toHold: capacity) { rehash(size) }
        entries.reserveCapacity(capacity)
    }

    /// The slot holding `key`'s entry, or the empty slot where it would go.
    private func find(_ key: UnsafeRawBufferPointer) -> (slot: Int, entry: Int?) {
        precondition(!slots.isEmpty)
        let mask = slots.count - 1
        var slot = ByteHash.hash(key, seed: ByteTable.seed) & mask
        return arena.withUnsafeBytes { arena in
            slots.withUnsafeBufferPointer { slots in
                while slots[slot] != 0 {
                    let e = Int(slots[slot]) - 1
                    let entry = entries[e]
                    if Int(entry.keyCount) == key.count
                        && (key.count == 0 || memcmp(arena.baseAddress! + entry.keyOffset, key.baseAddress!, key.count) == 0) {
                        return (slot, e)
                    }
                    slot = (slot + 1) & mask
                }
                return (slot, nil)
            }
        }
    }

    /// The live entry of `key`, if any.
    private func live(_ key: UnsafeRawBufferPointer) -> Entry? {
        guard !slots.isEmpty, let e = find(key).entry, entries[e].isLive else { return nil }
        return entries[e]
    }

    func contains(_ key: UnsafeRawBufferPointer) -> Bool { live(key) != nil }

    /// A copy of the value of `key`.
    func get(_ key: UnsafeRawBufferPointer) -> [UInt8]? {
        withValue(key) { Array($0) }
    }

    /// `body` applied to the value of `key` where it lies (valid during the call).
    func withValue<R>(_ key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R? {
        guard let entry = live(key) else { return nil }
        return try arena.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[entry.valueOffset..<entry.valueOffset + Int(entry.valueCount)])) }
    }

    mutating func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) {
        precondition(key.count < Int(Int32.max) && value.count < Int(Int32.max), "keys and values below 2 GiB")
        if 2 * (used + 1) > slots.count { rehash(max(16, 4 * (count + 1)).nextPowerOfTwo) }
        let (slot, found) = find(key)
        if let e = found {
            if !entries[e].isLive {
                entries[e].isLive = true
                count += 1
            }
            if Int(entries[e].valueCount) == value.count {
                let offset = entries[e].valueOffset
                arena.withUnsafeMutableBytes { arena in
                    if !value.isEmpty { (arena.baseAddress! + offset).copyMemory(from: value.baseAddress!, byteCount: value.count) }
                }
            } else {
                entries[e].valueOffset = arena.count
                entries[e].valueCount = Int32(value.count)
                arena.append(contentsOf: value)
            }
            return
        }
        let keyOffset = arena.count
        arena.append(contentsOf: key)
        let valueOffset = arena.count
        arena.append(contentsOf: value)
        entries.append(Entry(keyOffset: keyOffset, valueOffset: valueOffset, keyCount: Int32(key.count), valueCount: Int32(value.count), isLive: true))
        precondition(entries.count < Int(Int32.max), "fewer than 2^31 entries")
        slots[slot] = Int32(entries.count)
        used += 1
        count += 1
    }

    mutating func remove(_ key: UnsafeRawBufferPointer) {
        guard !slots.isEmpty, let e = find(key).entry, entries[e].isLive else { return }
        entries[e].isLive = false
        count -= 1
    }

    /// Calls `body` with each live entry's key and value (valid during the call), in no
    /// particular order.
    func forEach(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) rethrows {
        try arena.withUnsafeBytes { arena in
            for entry in entries where entry.isLive {
                try body(
                    UnsafeRawBufferPointer(rebasing: arena[entry.keyOffset..<entry.keyOffset + Int(entry.keyCount)]),
                    UnsafeRawBufferPointer(rebasing: arena[entry.valueOffset..<entry.valueOffset + Int(entry.valueCount)]))
            }
        }
    }

    /// A new index of `size` slots over the live entries (removed ones are dropped).
    private mutating func rehash(_ size: Int) {
        slots = [Int32](repeating: 0, count: size)
        let mask = size - 1
        var reached = 0
        arena.withUnsafeBytes { arena in
            slots.withUnsafeMutableBufferPointer { slots in
                for (e, entry) in entries.enumerated() where entry.isLive {
                    let key = UnsafeRawBufferPointer(rebasing: arena[entry.keyOffset..<entry.keyOffset + Int(entry.keyCount)])
                    var slot = ByteHash.hash(key, seed: ByteTable.seed) & mask
                    while slots[slot] != 0 { slot = (slot + 1) & mask }
                    slots[slot] = Int32(e + 1)
                    reached += 1
                }
            }
        }
        used = reached
    }
}

extension Int {
    /// The least power of two at least `self` (`self` ≥ 1).
    fileprivate var nextPowerOfTwo: Int { self <= 1 ? 1 : 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount) }
}
