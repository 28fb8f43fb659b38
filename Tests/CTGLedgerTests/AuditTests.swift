import CTGLedger
import CTGProjections
import EventLog
import Foundation
import LMDB
import StrictJSON
import Testing

@Suite("ctg-audit detects tampering and never writes")
struct AuditTests {
    /// A store with the lifecycle fixture, closed, and its raw environment opened for tampering.
    static func tampered(_ change: (Transaction) throws -> Void) throws -> TempStore {
        let store = TempStore()
        try store.importFixture("lifecycle.ndjson")
        #expect(try store.ledger.verify().ok)
        store.close()
        let env = try Environment(path: store.path)
        try env.write { txn in try change(txn) }
        return store
    }

    static func events(_ txn: Transaction) throws -> Database { try txn.openDatabase("events") }

    @Test("a byte flipped inside a stored event is reported at its seq")
    func flippedByte() throws {
        let store = try Self.tampered { txn in
            let db = try Self.events(txn)
            var value = try txn.get(db, key: LogKey.seq(12))!
            value[value.count - 20] ^= 0x01
            try txn.put(db, key: LogKey.seq(12), value: value)
        }
        let result = try store.auditor().verify()
        #expect(!result.ok)
        #expect(result.firstBadSeq == 12)
    }

    @Test("an amount changed in a stored event is reported at its seq")
    func changedAmount() throws {
        let store = try Self.tampered { txn in
            let db = try Self.events(txn)
            let value = try txn.get(db, key: LogKey.seq(12))!
            let forged = String(decoding: value, as: UTF8.self).replacing("3500.00", with: "3900.00")
            try txn.put(db, key: LogKey.seq(12), value: Array(forged.utf8))
        }
        let result = try store.auditor().verify()
        #expect(result.firstBadSeq == 12)
    }

    @Test("a deleted event is reported at its seq")
    func deletedEvent() throws {
        let store = try Self.tampered { txn in try txn.delete(Self.events(txn), key: LogKey.seq(7)) }
        let result = try store.auditor().verify()
        #expect(result.firstBadSeq == 7)
        #expect(result.problems.first?.contains("missing") == true)
    }

    /// A store of about 1 600 events: several chunks of the parallel readers.
    static func manyChunks(_ change: (Transaction) throws -> Void) throws -> TempStore {
        let store = TempStore()
        var streams = RandomStreams(seed: 77)
        let lines = streams.generate(conventions: 12, eventsPerConvention: 160)
        try store.importLines(lines)
        #expect(lines.count > 3 * 512)
        #expect(try store.ledger.verify().ok)
        store.close()
        let env = try Environment(path: store.path)
        try env.write { txn in try change(txn) }
        return store
    }

    @Test("a log read by several workers replays in seq order: verify, rebuild and replay agree with the stored projections")
    func manyChunksInOrder() throws {
        let store = try Self.manyChunks { _ in }
        let before = try store.ledger.projectionTables()
        let replayed = try store.ledger.replay(ReplayBound())
        #expect(replayed.replayed == replayed.lastSeq)
        #expect(try store.ledger.rebuild() == replayed.lastSeq)
        #expect(try store.ledger.projectionTables() == before)
        #expect(try store.auditor().verify().ok)
    }

    @Test("an event deleted in a later chunk, or a whole chunk's range deleted, is reported at the first missing seq")
    func gapsAcrossChunks() throws {
        let one = try Self.manyChunks { txn in try txn.delete(Self.events(txn), key: LogKey.seq(1030)) }
        #expect(try one.auditor().verify().firstBadSeq == 1030)
        let range = try Self.manyChunks { txn in
            for seq in UInt64(513)...1024 { try txn.delete(Self.events(txn), key: LogKey.seq(seq)) }
        }
        let result = try range.auditor().verify()
        #expect(result.firstBadSeq == 513)
        #expect(result.problems.first?.contains("missing") == true)
    }

    @Test("an id or stream index entry pointing to another seq is reported at the event it should point to")
    func misIndexedEvent() throws {
        // Seq 3's id pointed to seq 4: reported at seq 3, as the id index.
        let ids = try Self.tampered { txn in
            let log = try LogTables(txn)
            guard let record = try LogReader(txn: txn, tables: log).record(seq: 3) else { Issue.record("no seq 3"); return }
            try txn.put(log.ids, key: Array(try record.envelope().id.utf8), value: LogKey.seq(4))
        }
        let idResult = try ids.auditor().verify()
        #expect(idResult.firstBadSeq == 3)
        #expect(idResult.problems.first?.contains("the id index does not point event") == true)
        // Seq 5's stream version pointed to seq 6: reported at seq 5, as the stream index.
        let streams = try Self.tampered { txn in
            let log = try LogTables(txn)
            guard let record = try LogReader(txn: txn, tables: log).record(seq: 5) else { Issue.record("no seq 5"); return }
            try txn.put(log.streams, key: LogKey.streamVersion(try record.envelope().stream, record.version), value: LogKey.seq(6))
        }
        let streamResult = try streams.auditor().verify()
        #expect(streamResult.firstBadSeq == 5)
        #expect(streamResult.problems.first?.contains("the stream index does not point") == true)
    }

    @Test("an altered stored projection is reported")
    func alteredProjection() throws {
        let store = try Self.tampered { txn in
            let db = try txn.openDatabase(Table.totals.rawValue)
            var key: [UInt8]?
            try txn.forEach(db) { entry in key = entry.keyBytes; return false }
            try txn.put(db, key: key!, value: [UInt8](repeating: 1, count: 24))
        }
        let result = try store.auditor().verify()
        #expect(!result.ok)
        #expect(result.problems.contains { $0.contains("proj-totals") })
    }

    @Test("a stored projection entry deleted, and one added, are each reported")
    func missingAndExtraProjectionEntries() throws {
        let store = try Self.tampered { txn in
            let db = try txn.openDatabase(Table.decisions.rawValue)
            var keys: [[UInt8]] = []
            try txn.forEach(db) { entry in keys.append(entry.keyBytes); return true }
            try txn.delete(db, key: keys[keys.count / 2])
            try txn.put(db, key: Array("zz-forged-decision".utf8), value: [1, 2, 3])
        }
        let result = try store.auditor().verify()
        #expect(!result.ok)
        #expect(result.problems.contains { $0.contains("proj-decisions") && $0.contains("is missing (a fresh replay has it)") })
        #expect(result.problems.contains { $0.contains("zz-forged-decision") && $0.contains("is stored but a fresh replay has no such entry") })
    }

    @Test("totals altered, deleted at both ends and forged are each told, in the stored table's order, the missing last")
    func totalsDifferencesInOrder() throws {
        var keys: [[UInt8]] = []
        let store = try Self.tampered { txn in
            let db = try txn.openDatabase(Table.totals.rawValue)
            try txn.forEach(db) { entry in keys.append(entry.keyBytes); return true }
            try txn.put(db, key: [0], value: [UInt8](repeating: 0, count: 24))
            try txn.put(db, key: keys[1], value: [UInt8](repeating: 1, count: 24))
            try txn.delete(db, key: keys[2])
            try txn.delete(db, key: keys[keys.count - 1])
            try txn.put(db, key: keys[3] + [0], value: [UInt8](repeating: 0, count: 24))
        }
        #expect(keys.count > 10 && keys[0] != [0])
        func printable(_ key: [UInt8]) -> String {
            "\"" + String(decoding: key, as: UTF8.self).unicodeScalars.map { $0.value < 0x20 ? "\\x" + String($0.value, radix: 16) : String($0) }.joined() + "\""
        }
        let problems = try store.auditor().verify().problems
        #expect(problems == [
            "projection proj-totals: \(printable([0])) is stored but a fresh replay has no such entry",
            "projection proj-totals: \(printable(keys[1])) differs from a fresh replay",
            "projection proj-totals: \(printable(keys[3] + [0])) is stored but a fresh replay has no such entry",
            "projection proj-totals: \(printable(keys[2])) is missing (a fresh replay has it)",
            "projection proj-totals: \(printable(keys[keys.count - 1])) is missing (a fresh replay has it)",
        ])
    }

    @Test("differences in several tables, compared on two threads, are told table by table in the tables' order, the same at every run")
    func projectionProblemsInTableOrder() throws {
        let altered: [Table] = [.totals, .decisions, .conventions, .payments]
        let store = try Self.tampered { txn in
            for table in altered {
                let db = try txn.openDatabase(table.rawValue)
                var key: [UInt8]?
                try txn.forEach(db) { entry in key = entry.keyBytes; return false }
                try txn.put(db, key: key!, value: [9, 9, 9])
            }
        }
        let auditor = try store.auditor()
        let first = try auditor.verify().problems
        let named = first.compactMap { problem in Table.allCases.first { problem.hasPrefix("projection \($0.rawValue):") } }
        #expect(Set(named) == Set(altered))
        #expect(named == Table.allCases.filter { altered.contains($0) })
        for _ in 0..<5 { #expect(try auditor.verify().problems == first) }
    }

    @Test("every ctg-audit read leaves data.mdb byte-identical")
    func auditDoesNotWrite() throws {
        let store = TempStore()
        try store.importFixture("lifecycle.ndjson")
        store.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: store.path + "/data.mdb"))
        let auditor = try store.auditor()
        #expect(try auditor.verify().ok)
        _ = try auditor.replay(ReplayBound(untilSeq: 10))
        _ = try auditor.history(decision: "d-2024-ps")
        _ = try auditor.trace(convention: "ctg-demo-2022", year: 2024)
        #expect(try Data(contentsOf: URL(fileURLWithPath: store.path + "/data.mdb")) == before)
    }

    @Test("history lists every event of a decision with running amounts")
    func history() throws {
        let store = TempStore()
        try store.importFixture("lifecycle.ndjson")
        let steps = try store.ledger.history(decision: "d-2024-ps")
        #expect(steps.map(\.id) == ["lc-018", "lc-019", "lc-020", "lc-021", "lc-022"])
        #expect(steps.map { $0.running.balance.description } == ["20000.00", "13000.00", "6000.00", "-2000.00", "0.00"])
        #expect(steps[3].change.description == "-8000.00")
        let json = Reports.history("d-2024-ps", steps).json.objectValue!
        #expect(json["events"]?.arrayValue?.count == 5)
    }

    @Test("trace lists the events of a convention's year and adds up to the stored total")
    func trace() throws {
        let store = TempStore()
        try store.importFixture("lifecycle.ndjson")
        let t = try store.ledger.trace(convention: "ctg-demo-2022", year: 2023)
        #expect(t.steps.map(\.id) == ["lc-011", "lc-012", "lc-013", "lc-016", "lc-017"])
        #expect(t.total == t.stored)
        #expect(t.total.decided.description == "9200.50")
    }
}

@Suite("verify-export proves an export with JSON and SHA-256 alone")
struct ExportVerificationTests {
    static func exportFile() throws -> (TempStore, String, [String]) {
        let store = TempStore()
        try store.importFixture("lifecycle.ndjson")
        let text = try store.export()
        let file = try store.write("export.ndjson", text)
        return (store, file, text.split(separator: "\n").map(String.init))
    }

    @Test("a true export verifies")
    func trueExport() throws {
        let (store, file, lines) = try Self.exportFile()
        let result = try ExportVerifier.verify(file: file, partial: false)
        #expect(result.ok, "\(result.problems)")
        #expect(result.lines == lines.count)
        withExtendedLifetime(store) {}
    }

    @Test("a changed amount fails at its line")
    func changedAmount() throws {
        let (store, _, lines) = try Self.exportFile()
        var forged = lines
        forged[11] = forged[11].replacing("\"3500.00\"", with: "\"3501.00\"")
        let file = try store.write("forged.ndjson", forged.joined(separator: "\n") + "\n")
        let result = try ExportVerifier.verify(file: file, partial: false)
        #expect(result.problems.first?.contains("forged.ndjson:12:") == true)
    }

    @Test("reordered lines fail")
    func reordered() throws {
        let (store, _, lines) = try Self.exportFile()
        var forged = lines
        forged.swapAt(3, 4)
        let file = try store.write("forged.ndjson", forged.joined(separator: "\n") + "\n")
        #expect(!(try ExportVerifier.verify(file: file, partial: false)).ok)
    }

    @Test("a removed line fails a complete export and is reported as a gap in a partial one")
    func removedLine() throws {
        let (store, _, lines) = try Self.exportFile()
        var forged = lines
        forged.remove(at: 5)
        let file = try store.write("forged.ndjson", forged.joined(separator: "\n") + "\n")
        #expect(try ExportVerifier.verify(file: file, partial: false).problems.first?.contains("missing") == true)
        let partial = try ExportVerifier.verify(file: file, partial: true)
        #expect(partial.ok)
        #expect(partial.gaps.count == 2)  // a seq gap and a version gap in the stream
    }

    @Test("an export imported into a new store exports the same events with the same seq and version")
    func exportReimports() throws {
        let (store, file, lines) = try Self.exportFile()
        let other = TempStore()
        try other.ledger.importFile(file, actor: nil)
        let again = try other.export().split(separator: "\n").map(String.init)
        func strip(_ line: String) -> JSONValue {
            var o = (try? JSONParser.parse(line))!.objectValue!
            var ledger = o["ledger"]!.objectValue!
            ledger["recordedAt"] = nil; ledger["hash"] = nil; ledger["prevHash"] = nil
            o["ledger"] = .object(ledger)
            return .object(o)
        }
        #expect(again.map(strip) == lines.map(strip))
        // Re-importing the export into its own store changes nothing.
        let summary = try store.ledger.importFile(file, actor: nil)
        #expect(summary.appended == 0 && summary.skipped == lines.count)
    }
}
