import CTGDomain
import CTGLedger
@testable import CTGProjections
import EventLog
import StrictJSON
import Testing

@Suite("Projections are rebuilt and replayed to the same bytes however the events are batched")
struct ProjectionTests {
    static func answers(_ ledger: Ledger) throws -> [String] {
        var out = [try ledger.conventionsReport(asOf: nil).rendered(.json)]
        for c in try ledger.conventionsReport(asOf: nil).json.arrayValue! {
            let id = c.objectValue!["id"]!.stringValue!
            out.append(Reports.convention(try ledger.convention(id), asOf: nil).rendered(.json))
            out.append(try ledger.decisionsReport(convention: id).rendered(.json))
        }
        for g in Grouping.allCases {
            out.append(try ledger.fundingReport(by: g, convention: nil, year: nil).rendered(.json))
        }
        return out
    }

    /// A store of six random conventions and the lifecycle fixture, two batches.
    static func randomAndLifecycle(seed: UInt64) throws -> TempStore {
        let store = TempStore()
        var gen = RandomStreams(seed: seed)
        try store.importLines(gen.generate(conventions: 6, eventsPerConvention: 40))
        try store.importFixture("lifecycle.ndjson")
        return store
    }

    /// Imports `lines` into `store` in consecutive batches of the sizes `size` gives.
    static func importInBatches(_ lines: [String], into store: TempStore, size: () -> Int) throws {
        var start = 0
        var batch = 0
        while start < lines.count {
            let end = min(lines.count, start + size())
            batch += 1
            try store.importLines(Array(lines[start..<end]), name: "b\(batch).ndjson")
            start = end
        }
    }

    @Test("flushed keys are written in LMDB's key order: bytes unsigned, a prefix first")
    func keyOrderIsLMDBOrder() {
        var generator = SystemRandomNumberGenerator()
        let keys: [[UInt8]] = (0..<2000).map { _ in
            (0..<Int.random(in: 0...6, using: &generator)).map { _ in [0, 1, 0x7F, 0x80, 0xFF].randomElement(using: &generator)! }
        }
        let order = KeyOrder.sorted(keys).map { keys[$0] }
        let expected = keys.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(order == expected)
    }

    @Test("total cells sum per key as a dictionary would, through growth and merges, and come out in LMDB's key order")
    func cellTableSumsLikeADictionary() {
        var generator = SystemRandomNumberGenerator()
        var table = CellTable()
        var other = CellTable(capacity: 100)
        var expected: [[UInt8]: Totals] = [:]
        for n in 0..<20_000 {
            // Short keys of few byte values: many repeats, prefixes of each other, the empty key.
            let key: [UInt8] = (0..<Int.random(in: 0...5, using: &generator)).map { _ in [0, 1, 0x80, 0xFF].randomElement(using: &generator)! }
            let delta = Totals(decided: Money(cents: Int64(n)), paid: Money(cents: 1), recovered: Money(cents: -Int64(n % 7)))
            if n % 3 == 0 { other.add(key, delta) } else { table.add(key, delta) }
            expected[key, default: Totals()] += delta
        }
        table.add(other)
        var seen: [[UInt8]: Totals] = [:]
        table.forEach { key, totals in
            #expect(seen[Array(key)] == nil, "a key held twice")
            seen[Array(key)] = totals
        }
        #expect(seen == expected)
        var sorted: [[UInt8]] = []
        SortedCells(table).forEach { key, totals in
            sorted.append(Array(key))
            #expect(totals == expected[Array(key)])
        }
        #expect(sorted == expected.keys.sorted { $0.lexicographicallyPrecedes($1) })
    }

    @Test("ctg rebuild changes no answer and no stored byte")
    func rebuildIsIdentical() throws {
        let store = try Self.randomAndLifecycle(seed: 7)
        let before = try store.ledger.projectionTables()
        let answers = try Self.answers(store.ledger)
        let count = try store.ledger.rebuild()
        #expect(count > 200)
        #expect(try store.ledger.projectionTables() == before)
        #expect(try Self.answers(store.ledger) == answers)
        #expect(try store.ledger.verify().ok)
    }

    @Test("random valid streams split into random batches project like one batch", arguments: [1, 2, 3, 4, 5] as [UInt64])
    func batchSplitsDoNotMatter(seed: UInt64) throws {
        var gen = RandomStreams(seed: seed)
        let lines = gen.generate(conventions: 4, eventsPerConvention: 30)
        let whole = TempStore()
        try whole.importLines(lines)
        let split = TempStore()
        var rng = SeededGenerator(seed: seed &* 31)
        try Self.importInBatches(lines, into: split) { Int.random(in: 1...25, using: &rng) }
        #expect(try split.ledger.projectionTables() == whole.ledger.projectionTables())
        #expect(try Self.answers(split.ledger) == Self.answers(whole.ledger))
        let verify = try split.ledger.verify()
        #expect(verify.ok, "\(verify.problems)")
    }

    @Test("a large batch, its flush spread over threads and pipelined, projects like small batches flushed on one thread")
    func spreadFlushProjectsLikeSmallOnes() throws {
        var gen = RandomStreams(seed: 17)
        let lines = gen.generate(conventions: 40, eventsPerConvention: 40)
        let whole = TempStore()
        try whole.importLines(lines)
        let small = TempStore()
        try Self.importInBatches(lines, into: small) { 30 }
        let decisions = try whole.ledger.projectionTables()[.decisions]?.count ?? 0
        #expect(decisions + 40 >= FlushWork.spreadFrom, "the whole batch must take the spread flush")
        #expect(try small.ledger.projectionTables() == whole.ledger.projectionTables())
        #expect(try whole.ledger.verify().ok)
    }

    @Test("a writer whose caches overflow, flushing part by part mid-batch, leaves the tables one final flush leaves")
    func cacheOverflowDoesNotMatter() throws {
        let store = try Self.randomAndLifecycle(seed: 11)
        let expected = try store.ledger.projectionTables()
        // Every event of the log, applied in one go by writers whose caches hold almost
        // nothing: conventions, decisions and total cells go out every few events.
        for limits in [ProjectionWriter<MemoryTables>.CacheLimits(conventions: 1, conventionMemory: 1, decisions: 1, totals: 1),
                       .init(conventions: 2, conventionMemory: 1, decisions: 5, totals: 7)] {
            let tables = MemoryTables()
            var writer = ProjectionWriter(tables, limits: limits)
            let applied = try Self.applyAll(store, to: &writer)
            try writer.flush()
            #expect(applied > 200)
            let got = Self.dump(tables)
            for table in Table.allCases {
                let same = got[table] == expected[table]
                #expect(same, "table \(table) differs from one final flush's (limits \(limits))")
            }
        }
    }

    @Test("a writer keeps more conventions than its count limit while their estimated memory is under its budget, and writes them out past it")
    func conventionCacheIsBoundedByMemory() throws {
        let store = try Self.randomAndLifecycle(seed: 12)
        let expected = try store.ledger.projectionTables()
        for (budget, writtenEarly) in [(256 << 20, false), (1, true)] {
            let tables = MemoryTables()
            var writer = ProjectionWriter(tables, limits: .init(conventions: 2, conventionMemory: budget))
            _ = try Self.applyAll(store, to: &writer)
            let before = tables.count(.conventions)
            #expect((before > 0) == writtenEarly, "budget \(budget): \(before) conventions written before the flush")
            try writer.flush()
            #expect(Self.dump(tables)[.conventions] == expected[.conventions])
        }
        // More conventions than the count limit, so the budget is what decided.
        #expect((expected[.conventions]?.count ?? 0) > 2)
    }

    /// Applies every event of the store's log to `writer`, without flushing; returns the last seq.
    static func applyAll(_ store: TempStore, to writer: inout ProjectionWriter<MemoryTables>) throws -> UInt64 {
        let tape = JSONTape()
        return try store.ledger.read { snap in
            let last = try snap.log.lastSeq()
            for seq in 1...last {
                let record = try #require(try snap.log.record(seq: seq))
                var (envelope, data) = try record.envelopeAndPayload(tape: tape)
                let event = try DomainEvent.decode(type: envelope.type, schema: envelope.schema, data: &data)
                try writer.apply(envelope, event: event, at: Rules.Position(seq: seq, version: record.version))
            }
            return last
        }
    }

    @Test("replay at each kind of bound equals the projections of the matching prefix")
    func replayBounds() throws {
        let store = TempStore()
        let prefix = TempStore()
        let lines = try String(contentsOfFile: Fixtures.path("lifecycle.ndjson"), encoding: .utf8).split(separator: "\n").map(String.init)
        try store.importLines(Array(lines[0..<15]), name: "first.ndjson")
        try prefix.importLines(Array(lines[0..<15]), name: "first.ndjson")
        let firstBatchEnd = try store.ledger.read { try $0.log.record(seq: 15)!.recordedAt }
        try store.importLines(Array(lines[15...]), name: "rest.ndjson")

        let bySeq = try store.ledger.replay(ReplayBound(untilSeq: 15))
        let expected = try prefix.ledger.projectionTables()
        #expect(Self.dump(bySeq.tables) == expected)

        let recorded = try store.ledger.replay(ReplayBound(recordedBeforeMillis: LedgerClock.epochMillis(firstBatchEnd)! + 1))
        #expect(recorded.lastSeq == 15)
        #expect(Self.dump(recorded.tables) == expected)

        // Business date: lines 0..<15 of the fixture all occurred on or before 2023-09-15; the rest later.
        let asOf = try store.ledger.replay(ReplayBound(asOf: CalendarDate("2023-09-15")!))
        #expect(asOf.notes.isEmpty)
        let asOfTotals = try asOf.reader.totals(by: .year, scope: TotalsScope())
        #expect(asOfTotals.map(\.key) == ["2023"])
        #expect(asOfTotals.first?.totals.paid.description == "7000.00")
    }

    static func dump(_ tables: MemoryTables) -> [Table: [[UInt8]]] {
        var result: [Table: [[UInt8]]] = [:]
        for table in Table.allCases {
            var entries: [[UInt8]] = []
            try! tables.scan(table, prefix: []) { k, v in entries.append(k + [0xFF, 0xFE] + v); return true }
            result[table] = entries
        }
        return result
    }
}

@Suite("Upcasting presents old schemas in the current shape without touching stored bytes")
struct UpcastingTests {
    @Test("a schema-1 DiagnosticShared and its schema-2 form replay into the same projections; the schema-1 bytes and hash stay")
    func diagnosticSchemas() throws {
        var one = Events("ctg-up")
        var two = Events("ctg-up")
        let v1 = one.signedConvention() + [one.line("DiagnosticShared", "2023-04-01", ["from": "2022-09-01", "to": "2023-03-31", "domains": ["jeunesse"], "summary": "Diagnostic"])]
        let v2 = two.signedConvention() + [two.line("DiagnosticShared", "2023-04-01", ["period": ["start": "2022-09-01", "end": "2023-03-31"], "domains": ["jeunesse"], "summary": "Diagnostic"], extra: [("schema", 2)])]
        let old = TempStore(), new = TempStore()
        try old.importLines(v1)
        try new.importLines(v2)
        #expect(try old.ledger.projectionTables() == new.ledger.projectionTables())
        let stored = try old.export().split(separator: "\n").last.map(String.init) ?? ""
        #expect(stored.contains(#""from":"2022-09-01""#) && stored.contains(#""schema":1"#) && !stored.contains("period"))
        let hashBefore = try old.ledger.read { try $0.log.record(seq: 5)!.hash }
        _ = try old.ledger.rebuild()
        #expect(try old.ledger.read { try $0.log.record(seq: 5)!.hash } == hashBefore)
        #expect(try old.ledger.verify().ok)
        #expect(try old.ledger.convention("ctg-up").diagnostics.first?.period.end.description == "2023-03-31")
    }
}

@Suite("The stored binary form of projection states")
struct StateEncodingTests {
    @Test("every state of the fixtures survives encoding and decoding unchanged, byte for byte")
    func roundTrip() throws {
        let store = TempStore()
        try store.importFixture("lifecycle.ndjson")
        for file in Fixtures.seedFiles { try store.importFixture("seeds/" + file) }
        var gen = RandomStreams(seed: 5)
        try store.importLines(gen.generate(conventions: 3, eventsPerConvention: 40))
        let states = try store.ledger.read { try $0.projections.conventions() }
        #expect(states.count == 9)
        for c in states {
            let bytes = c.encoded()
            let back = try ConventionState(encoded: bytes)
            #expect(back == c)
            #expect(back.encoded() == bytes)
        }
        let decisions = try store.ledger.read { try $0.projections.decisions(ofConvention: "ctg-demo-2022") }
        #expect(decisions.count == 2)
        for d in decisions { #expect(try DecisionState(encoded: d.encoded()) == d) }
    }

    @Test("a truncated or padded record is refused, not misread")
    func damaged() throws {
        let store = TempStore()
        try store.importFixture("lifecycle.ndjson")
        let bytes = try store.ledger.convention("ctg-demo-2022").encoded()
        #expect(throws: (any Error).self) { try ConventionState(encoded: Array(bytes.dropLast())) }
        #expect(throws: (any Error).self) { try ConventionState(encoded: bytes + [0]) }
    }
}
