@testable import CTGDomain
@testable import CTGProjections
import Testing

@Suite("A replay's totals kept as its flush sorted them answer as a table of their own would")
struct SortedTotalsTests {
    /// Four runs of cells, one per scope kind (the key's first byte), as a flush makes them,
    /// with the same entries put one by one into a second set of tables.
    static func tables(seed: UInt64) throws -> (sorted: MemoryTables, hashed: MemoryTables, keys: [[UInt8]]) {
        var mix = ByteTableTests.Mix(state: seed)
        var runs = [CellTable](repeating: CellTable(), count: 4)
        var keys: Set<[UInt8]> = []
        for n in 0..<3_000 {
            let kind = mix.next(4)
            // Short keys over few byte values: prefixes of each other, 0x00 and 0xFF bytes.
            let key = [UInt8(kind)] + (0..<mix.next(5)).map { _ in [0, 1, 0x61, 0xFF][mix.next(4)] }
            runs[kind].add(key, Totals(decided: Money(cents: Int64(n)), paid: Money(cents: 7), recovered: Money(cents: -Int64(n % 5))))
            keys.insert(key)
        }
        let sorted = MemoryTables()
        sorted.adoptTotals(SortedTotals(runs.map(SortedCells.init)))
        #expect(sorted.sortedEntries(.totals) != nil)
        let hashed = MemoryTables()
        for run in runs {
            try run.forEach { key, totals in try totals.withEncoded { try hashed.put(.totals, key: key, value: $0, appending: false) } }
        }
        return (sorted, hashed, Array(keys))
    }

    static func scan(_ tables: MemoryTables, _ prefix: [UInt8], stopAfter: Int = .max) throws -> [[UInt8]] {
        var seen: [[UInt8]] = []
        try tables.scan(.totals, prefix: prefix) { key, value in
            seen.append(key + value)
            return seen.count < stopAfter
        }
        return seen
    }

    @Test("lookups, counts and prefix scans (stopped early or not) equal those of the hashed table", arguments: [1, 2, 3] as [UInt64])
    func answersAsATable(seed: UInt64) throws {
        let (sorted, hashed, keys) = try Self.tables(seed: seed)
        #expect(sorted.count(.totals) == hashed.count(.totals))
        #expect(sorted.count(.totals) == keys.count)
        for key in keys + [[], [4], [0, 2], [3, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [0xFF]] {
            #expect(try sorted.get(.totals, key) == hashed.get(.totals, key), "key \(key)")
            #expect(try key.withUnsafeBytes { try sorted.contains(.totals, key: $0) == hashed.contains(.totals, key: $0) })
        }
        for prefix in [[], [0], [1], [2, 0x61], [3, 0xFF], [3, 0, 0], [4], [0xFF], [1, 2, 3, 4, 5, 6]] as [[UInt8]] {
            #expect(try Self.scan(sorted, prefix) == Self.scan(hashed, prefix), "prefix \(prefix)")
            #expect(try Self.scan(sorted, prefix, stopAfter: 3) == Self.scan(hashed, prefix, stopAfter: 3), "prefix \(prefix), stopped")
        }
        var entries: [[UInt8]] = []
        sorted.forEachUnordered(.totals) { key, value in entries.append(key + value) }
        #expect(entries == (try Self.scan(hashed, [])))
        // In key order by position, as `verify` walks them beside the stored table.
        let ordered = try #require(sorted.sortedEntries(.totals))
        let byPosition = (0..<ordered.count).map { i in ordered.withEntry(i) { Array($0) + Array($1) } }
        #expect(byPosition == (try Self.scan(hashed, [])))
    }

    @Test("a change to the sorted totals moves them into a table first: nothing is lost, the change is made")
    func changesKeepEverything() throws {
        let (sorted, hashed, keys) = try Self.tables(seed: 9)
        let removed = keys[0]
        let added: [UInt8] = [2, 0x62, 0x62]
        for tables in [sorted, hashed] {
            try tables.delete(.totals, removed)
            try tables.put(.totals, added, [UInt8](repeating: 3, count: 24))
        }
        #expect(sorted.sortedEntries(.totals) == nil)
        #expect(try Self.scan(sorted, []) == Self.scan(hashed, []))
        #expect(try sorted.get(.totals, removed) == nil)
        #expect(sorted.count(.totals) == keys.count - 1 + (keys.contains(added) ? 0 : 1))
    }
}
