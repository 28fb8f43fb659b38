@testable import CTGProjections
import Testing

@Suite("A replay's in-memory tables hold what a dictionary would, and list it in LMDB's key order")
struct ByteTableTests {
    /// A small deterministic generator (SplitMix64), so a failure is repeatable.
    struct Mix {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }

    @Test("random puts, replacements of every length, removals and re-puts agree with a dictionary", arguments: [1, 2, 3])
    func agreesWithADictionary(seed: UInt64) throws {
        var mix = Mix(state: seed)
        var table = ByteTable()
        var model: [[UInt8]: [UInt8]] = [:]
        // Few distinct keys, many operations: keys come back after removal, values change
        // length, and the index grows past several rehashes.
        for step in 0..<20_000 {
            let key = Array("k\(mix.next(3_000))".utf8) + (mix.next(4) == 0 ? [0] : [])
            switch mix.next(10) {
            case 0, 1:
                key.withUnsafeBytes { table.remove($0) }
                model[key] = nil
            default:
                let value = [UInt8](repeating: UInt8(step % 251), count: mix.next(40))
                key.withUnsafeBytes { k in value.withUnsafeBytes { v in table.put(k, v) } }
                model[key] = value
            }
            if step % 97 == 0 {
                #expect(table.count == model.count)
            }
        }
        #expect(table.count == model.count)
        for k in 0..<3_000 {
            for key in [Array("k\(k)".utf8), Array("k\(k)".utf8) + [0]] {
                let got = key.withUnsafeBytes { table.get($0) }
                #expect(got == model[key])
                #expect(key.withUnsafeBytes { table.contains($0) } == (model[key] != nil))
            }
        }
        var listed: [[UInt8]: [UInt8]] = [:]
        table.forEach { key, value in listed[Array(key)] = Array(value) }
        #expect(listed == model)
    }

    @Test("an empty key and empty values are entries like any other")
    func emptyBytes() {
        var table = ByteTable()
        let empty: [UInt8] = []
        empty.withUnsafeBytes { e in table.put(e, e) }
        #expect(empty.withUnsafeBytes { table.get($0) } == [])
        #expect(table.count == 1)
    }

    @Test("scans list a prefix's entries in LMDB's byte order (a prefix before its extensions)")
    func scanOrder() throws {
        let tables = MemoryTables()
        for key in ["b", "a\u{0}", "ab", "a", "b\u{FF}", "ba", "c"] {
            try tables.put(.payments, Array(key.utf8), Array("v-\(key)".utf8))
        }
        var keys: [[UInt8]] = []
        try tables.scan(.payments, prefix: []) { key, _ in keys.append(key); return true }
        #expect(keys == [[0x61], [0x61, 0], [0x61, 0x62], [0x62], [0x62, 0x61], [0x62, 0xC3, 0xBF], [0x63]])
        var underB: [String] = []
        try tables.scan(.payments, prefix: Array("b".utf8)) { _, value in underB.append(String(decoding: value, as: UTF8.self)); return true }
        #expect(underB == ["v-b", "v-ba", "v-b\u{FF}"])
    }
}
