@testable import CTGLedger
@testable import EventLog
import Foundation
import LMDB
import StrictJSON
import Testing

/// A batch's first records are chained as they are appended; past `ChainHasher.inlineRecords`
/// a thread of its own follows the appends. These tests cross that line.
@Suite("The hash chain of long batches, chained on a thread of its own")
struct ChainTests {
    static func longBatch(seed: UInt64) -> [String] {
        var streams = RandomStreams(seed: seed)
        let lines = streams.generate(conventions: 8, eventsPerConvention: 150)
        precondition(lines.count > 3 * ChainHasher.inlineRecords)
        return lines
    }

    static func verifyExport(_ store: TempStore) throws -> ExportVerifier.Result {
        try ExportVerifier.verify(file: try store.write("export.ndjson", try store.export()), partial: false)
    }

    @Test("a long batch between short ones gets the hashes and links an outside verifier recomputes")
    func longBatchChains() throws {
        let store = TempStore()
        var a = Events("ctg-before"), b = Events("ctg-after")
        try store.importLines(a.signedConvention())
        let lines = Self.longBatch(seed: 41)
        #expect(try store.importLines(lines).appended == lines.count)
        try store.importLines(b.signedConvention())
        let result = try Self.verifyExport(store)
        #expect(result.ok, "\(result.problems.prefix(3))")
        #expect(result.lines == lines.count + 8)
        #expect(try store.ledger.verify().ok)
    }

    @Test("retries far into a long batch are found while its chain is being written: identical ones skipped, changed ones refused")
    func retriesInLongBatch() throws {
        let store = TempStore()
        let lines = Self.longBatch(seed: 42)
        let first = try store.importLines(lines + [lines[700], lines[3]])
        #expect(first.appended == lines.count && first.skipped == 2)
        #expect(try Self.verifyExport(store).ok)

        let other = TempStore()
        let before = try other.export()
        let changed = lines[700].replacing(#""occurredAt":""#, with: #""sourceDoc":"autre","occurredAt":""#)
        try #require(changed != lines[700])
        let error = expectRejection("id-conflict") { try other.importLines(lines + [changed]) }
        #expect(error?.line == lines.count + 1)
        #expect(try other.export() == before)
    }

    @Test("a long batch refused after its chain's thread started leaves the store as it was, and the next batch chains on from it")
    func refusedLongBatch() throws {
        let store = TempStore()
        var a = Events("ctg-first")
        try store.importLines(a.signedConvention())
        let before = try store.export()
        let lines = Self.longBatch(seed: 43)
        var bad = lines
        var nowhere = Events("ctg-nowhere")
        bad.insert(nowhere.line("PartnerLeft", "2024-01-01", ["partnerId": "p", "reason": "r"]), at: 900)
        let error = expectRejection("convention-not-opened") { try store.importLines(bad) }
        #expect(error?.line == 901)
        #expect(try store.export() == before)

        #expect(try store.importLines(lines).appended == lines.count)
        #expect(try Self.verifyExport(store).ok)
        #expect(try store.ledger.verify().ok)
    }

    @Test("a batch whose map fills while its chain's thread runs is run again whole once the map has grown, chained as one thread would")
    func mapFullWhileChaining() throws {
        let store = TempStore()
        try FileManager.default.createDirectory(atPath: store.path, withIntermediateDirectories: true)
        let environment = try Environment(path: store.path, options: .init(mapSize: 256 * 1024, writeMap: true))
        let tables = try environment.openDatabases { try LogTables($0) }
        let envelopes = try Self.longBatch(seed: 44).map { line in
            try Array(line.utf8).withUnsafeBufferPointer { try Envelope(line: $0, defaultActor: nil) }
        }
        var runs = 0
        try environment.write { txn in
            runs += 1
            var appender = try BatchAppender(txn: txn, tables: tables, now: "2026-01-01T00:00:00.000Z")
            for envelope in envelopes { _ = try appender.append(envelope) }
            try appender.finish()
        }
        #expect(runs > 2, "the map should fill with the chain's thread running")
        var previous = ChainHash.zero
        var count = 0
        try environment.read { txn in
            try LogReader(txn: txn, tables: tables).forEach { _, record in
                guard let record else { Issue.record("an unreadable record"); return false }
                #expect(record.prevHashDigest == previous)
                #expect(record.recomputedHash == record.hashDigest)
                previous = record.hashDigest
                count += 1
                return true
            }
        }
        #expect(count == envelopes.count)
    }
}
