/// The object keys a kind of document is known to use, each made once as a string with
/// its `JSONMember.keyPrefix`: the parser hands these out for a key found here instead
/// of making the same short string again for every object of every line (and working
/// out its prefix again). A key not in the table is parsed as any string is, so an
/// incomplete table costs time, never correctness.
///
/// Give it string literals: a literal is never reference-counted, so handing the same
/// key out on every thread shares no counter between cores.
public final class KeyTable: @unchecked Sendable {
    // @unchecked: nothing is written after `init`; the buffers are only read.

    /// Keys longer than this are never looked up (events' longest is 20 bytes).
    public static let maxLength = 32

    /// A key as up to four little-endian words, zero past its end, and its length.
    struct Words: Equatable {
        var w: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var count = 0

        static func == (a: Words, b: Words) -> Bool {
            a.count == b.count && a.w.0 == b.w.0 && a.w.1 == b.w.1 && a.w.2 == b.w.2 && a.w.3 == b.w.3
        }

        /// The `count` bytes at `base`, of which `readable` may be read.
        @inline(__always)
        init(_ base: UnsafeRawPointer, count: Int, readable: Int) {
            self.count = count
            if count <= 8 && readable >= 8 {
                // Most keys: one load.
                let v = base.loadUnaligned(as: UInt64.self)
                w.0 = count == 8 ? v : v & (1 << UInt64(8 * count) - 1)
                return
            }
            w = (Words.word(base, 0, count, readable), Words.word(base, 1, count, readable),
                 Words.word(base, 2, count, readable), Words.word(base, 3, count, readable))
        }

        private static func word(_ base: UnsafeRawPointer, _ k: Int, _ count: Int, _ readable: Int) -> UInt64 {
            let from = 8 * k
            guard from < count else { return 0 }
            let n = min(8, count - from)
            var v: UInt64
            if from + 8 <= readable {
                v = base.loadUnaligned(fromByteOffset: from, as: UInt64.self)
            } else {
                v = 0
                for j in 0..<n { v |= UInt64(base.load(fromByteOffset: from + j, as: UInt8.self)) << UInt64(8 * j) }
            }
            return n == 8 ? v : v & (1 << UInt64(8 * n) - 1)
        }

        var hash: Int {
            var h = w.0 &* 0x9E37_79B9_7F4A_7C15 ^ w.1 &* 0xC2B2_AE3D_27D4_EB4F
            h ^= (w.2 ^ w.3 &* 0x1656_67B1_9E37_79F9) &* 0x27D4_EB2F_1656_67C5 ^ UInt64(count)
            return Int(truncatingIfNeeded: h ^ h >> 29)
        }
    }

    private struct Entry {
        var words: Words
        var prefix: UInt64
    }

    private let entries: UnsafeMutableBufferPointer<Entry>
    private let strings: UnsafeMutableBufferPointer<String>
    /// Open addressing: a key's index + 1, or 0 for an empty slot.
    private let slots: UnsafeMutableBufferPointer<Int32>
    private let slotMask: Int

    /// A table of `keys` that are plain ASCII of at most `maxLength` bytes (others are
    /// left out); a key given twice is kept once.
    public init(_ keys: [String]) {
        var unique: [String] = []
        var seen = Set<[UInt8]>()
        for key in keys where key.utf8.count <= KeyTable.maxLength && key.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x80 && $0 != 0x22 && $0 != 0x5C }) {
            if seen.insert(Array(key.utf8)).inserted { unique.append(key) }
        }
        entries = .allocate(capacity: max(1, unique.count))
        strings = .allocate(capacity: max(1, unique.count))
        // At most a quarter full: a probe rarely goes past its first slot.
        var size = 16
        while size < 4 * unique.count { size *= 2 }
        slots = .allocate(capacity: size)
        slots.initialize(repeating: 0)
        slotMask = size - 1
        for (i, key) in unique.enumerated() {
            let words = Array(key.utf8).withUnsafeBytes { Words($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, count: $0.count, readable: $0.count) }
            (entries.baseAddress! + i).initialize(to: Entry(words: words, prefix: key.withUTF8Bytes { JSONMember.prefix(of: $0) }))
            (strings.baseAddress! + i).initialize(to: key)
            var slot = words.hash & slotMask
            while slots[slot] != 0 { slot = (slot + 1) & slotMask }
            slots[slot] = Int32(i + 1)
        }
        entryCount = unique.count
    }

    private let entryCount: Int

    deinit {
        strings.baseAddress!.deinitialize(count: entryCount)
        strings.deallocate()
        entries.deallocate()
        slots.deallocate()
    }

    /// The key whose UTF-8 bytes are `count` bytes at `base` (of which `readable` may be
    /// read), with its prefix, if the table has it.
    @inline(__always)
    func find(_ base: UnsafeRawPointer, count: Int, readable: Int) -> (key: String, prefix: UInt64)? {
        guard count <= KeyTable.maxLength else { return nil }
        let words = Words(base, count: count, readable: readable)
        var slot = words.hash & slotMask
        while true {
            let entry = Int(slots[slot])
            if entry == 0 { return nil }
            if entries[entry - 1].words == words { return (strings[entry - 1], entries[entry - 1].prefix) }
            slot = (slot + 1) & slotMask
        }
    }

    /// Whether the table holds `key`.
    public func contains(_ key: String) -> Bool {
        Array(key.utf8).withUnsafeBytes { find($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, count: $0.count, readable: $0.count) != nil }
    }
}
