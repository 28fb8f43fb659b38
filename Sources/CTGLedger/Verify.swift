import Foundation
import CTGDomain
import CTGProjections
import EventLog
import LMDB
import StrictJSON

/// The outcome of `ctg-audit verify`.
public struct VerifyResult: Sendable {
    public var events: UInt64 = 0
    public var streams = 0
    /// The first seq at which the chain, the continuity or the replay fails.
    public var firstBadSeq: UInt64?
    public var problems: [String] = []
    public var ok: Bool { problems.isEmpty }
}

extension Ledger {
    /// Recomputes the hash chain from genesis, checks seq and version continuity and the
    /// indexes, replays every event into fresh in-memory projections and compares them
    /// with the stored ones, all in one snapshot.
    public func verify(progress: Progress? = nil) throws -> VerifyResult {
        // Each event's index entries are first checked by one walk of each index against
        // hashes of the keys the events should have (looking every event's entries up
        // was a seventh of verify's time at a million events). A store with any problem,
        // found that way or another, is checked again looking each event's entries up,
        // which names the first bad seq and what is wrong there exactly.
        let quick = try verify(progress: progress, exactIndexes: false)
        return quick.ok ? quick : try verify(progress: progress, exactIndexes: true)
    }

    private func verify(progress: Progress?, exactIndexes: Bool) throws -> VerifyResult {
        try environment.read { txn in
            let reader = LogReader(txn: txn, tables: log)
            let stored = LMDBTables(txn, projectionDatabases)
            let snapshotLast = try reader.lastSeq()
            let seed = Int.random(in: .min ... .max)
            var check = LogCheck(exactIndexes: exactIndexes, events: Int(snapshotLast), progress: progress)
            // Sized for what the stored projections hold, which the replay must equal.
            for table in Table.allCases { check.projector.kv.reserve(table, try stored.count(table)) }
            progress?.start(totalBytes: nil)

            // Records are read, hash-checked and parsed by other threads in read transactions
            // of their own, up to the last seq of this one (the log only grows, so all see
            // the same events), and by this thread through this one when it would wait.
            let (pipeline, probe) = ParsedRecord.pipeline(
                environment: environment, tables: log, checkHashes: true, indexCheck: exactIndexes ? .lookups : .hashes(seed: seed), helping: txn
            ) { $0.seq <= snapshotLast }
            defer { pipeline.close() }
            chunks: while let chunk = pipeline.nextChunk() {
                // Lent from its chunk: a copy retained every field of the record and its event.
                let passed = chunk.items.withUnsafeBufferPointer { items in
                    for i in items.indices { guard check.check(items.baseAddress! + i) else { return false } }
                    return true
                }
                guard passed else { break }
                pipeline.discard(chunk)
            }
            _ = try probe.lastSeq()
            var result = check.result
            progress?.finish(events: Int(result.events))
            guard result.ok else { return result }
            result.streams = check.versions.count
            try checkIndexes(txn, reader: reader, result: &result, versions: check.versions, lastHash: check.previousHash.bytes)
            guard result.ok else { return result }
            // The caches the flush lets go of are freed after the cross-check: freeing them
            // meanwhile took a core from it (a million events' conventions: ~0.35 s of CPU).
            var retired = RetiredCaches()
            try check.projector.flush(retiring: &retired)
            let walks = exactIndexes ? [] : [
                IndexWalk(name: "id", index: log.ids, keyHashes: check.keyHashes.ids, seed: seed),
                IndexWalk(name: "stream", index: log.streams, keyHashes: check.keyHashes.streams, seed: seed),
            ]
            try crossCheck(stored: stored, replayed: check.projector.kv, walks: walks, snapshotLast: snapshotLast, result: &result)
            // The replay is let go of elsewhere, its last references taken from here.
            Parallel.free((consume check, consume retired))
            return result
        }
    }

    private func checkIndexes(_ txn: Transaction, reader: LogReader, result: inout VerifyResult, versions: [Key: UInt64], lastHash: [UInt8]) throws {
        let n = Int(result.events)
        if try reader.lastHash() != lastHash {
            result.problems.append("the recorded chain head is not the hash of the last event (seq \(result.events))")
            result.firstBadSeq = result.events
        }
        if try txn.count(log.ids) != n { result.problems.append("the id index has \(try txn.count(log.ids)) entries for \(n) events") }
        if try txn.count(log.streams) != n { result.problems.append("the stream index has \(try txn.count(log.streams)) entries for \(n) events") }
        if try txn.count(log.heads) != versions.count { result.problems.append("\(try txn.count(log.heads)) stream heads for \(versions.count) streams") }
        for (stream, version) in versions where try reader.streamVersion(stream.string) != version {
            result.problems.append("stream \(stream.string) head is \(try reader.streamVersion(stream.string)), its last event has version \(version)")
        }
    }

    /// One walk of an index (the id or the stream index), compared with the hashes of
    /// the keys the events should have there (`LogReader.indexMatches`).
    struct IndexWalk: Sendable {
        let name: String
        let index: Database
        let keyHashes: [UInt64]
        let seed: Int
    }

    /// Compares every stored projection table with the replayed one, and walks the
    /// indexes, the pieces claimed in turn by this thread and one other: at a million
    /// events the lookups took ~0.6 s on one core while the other was idle. The other
    /// thread reads in a transaction of its own, used only when it sees this snapshot
    /// (the same last seq: projections change only with the log); else this thread does
    /// every piece. The report lists the tables in their usual order, whichever thread
    /// compared them.
    private func crossCheck(stored: LMDBTables, replayed: MemoryTables, walks: [IndexWalk], snapshotLast: UInt64, result: inout VerifyResult) throws {
        let tables = Table.allCases
        // The largest first (an index has an entry per event), so that the last pieces
        // claimed are short.
        let order = walks.indices.map { tables.count + $0 } + (try tables.indices.sorted { try stored.count(tables[$0]) > stored.count(tables[$1]) })
        let claims = Claims(order)
        let (environment, databases, log) = (environment, projectionDatabases, log)
        nonisolated(unsafe) let shared = replayed
        @Sendable func piece(_ i: Int, _ txn: Transaction) throws -> Findings {
            if i < tables.count { return try Ledger.compare(tables[i], stored: LMDBTables(txn, databases), replayed: shared) }
            let walk = walks[i - tables.count]
            let matches = try walk.keyHashes.withUnsafeBufferPointer { hashes in
                try LogReader(txn: txn, tables: log).indexMatches(walk.index, keyHashes: hashes, seed: walk.seed)
            }
            // Told only to start the exact pass (see `verify(progress:)`).
            return Findings(problems: matches ? [] : ["the \(walk.name) index does not match the events"])
        }
        let helper = Parallel.Background { () -> Result<[(Int, Findings)], any Error> in
            Result {
                try environment.read { txn in
                    guard try LogReader(txn: txn, tables: log).lastSeq() == snapshotLast else { return [] }
                    var done: [(Int, Findings)] = []
                    while let i = claims.next() { done.append((i, try piece(i, txn))) }
                    return done
                }
            }
        }
        var found = [Findings?](repeating: nil, count: order.count)
        // The other thread reads `replayed`: it is waited for before anything is thrown.
        let mine = Result { () throws -> Void in
            while let i = claims.next() { found[i] = try piece(i, stored.txn) }
        }
        let theirs = helper.take()
        try mine.get()
        for (i, findings) in try theirs.get() { found[i] = findings }
        for findings in found {
            guard let findings else { preconditionFailure("every piece is claimed once") }
            result.problems += findings.problems
        }
        if !result.ok && result.firstBadSeq == nil { result.firstBadSeq = result.events }
    }

    /// What one piece of the cross-check (a table compared, an index walked) found: for a
    /// table, at most five differences told, then their count.
    struct Findings: Sendable {
        var problems: [String] = []
    }

    /// Piece numbers handed out once each, to whichever thread asks first.
    private final class Claims: @unchecked Sendable {
        // @unchecked: `next` is guarded by `lock`.
        private let lock = NSLock()
        private var remaining: [Int]
        init(_ order: [Int]) { remaining = order.reversed() }
        func next() -> Int? {
            lock.lock()
            defer { lock.unlock() }
            return remaining.popLast()
        }
    }

    /// Walks the stored table (an LMDB cursor) and looks each entry up in the replay (a
    /// hash, not a sort of the replay's keys) — or, where the replay holds the table in
    /// key order (the totals), walks the two side by side; the replay then has no entry
    /// the store lacks exactly when every one of its entries was matched.
    private static func compare(_ table: Table, stored: LMDBTables, replayed: MemoryTables) throws -> Findings {
        var differences = 0
        var findings = Findings()
        func report(_ message: String) {
            differences += 1
            if differences <= 5 { findings.problems.append("projection \(table.rawValue): \(message)") }
        }
        func differs(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, _ fresh: UnsafeRawBufferPointer) {
            report("\(printable(Array(key))) differs from a fresh replay\(Self.seqHint(table, Array(value), Array(fresh)))")
        }
        func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
            a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
        }
        // The replay's entries the store lacks, in key order.
        var missing: [[UInt8]] = []
        if let sorted = replayed.sortedEntries(table) {
            var next = 0
            try stored.scanInPlace(table) { key, value in
                // Each replayed entry is read once: missing (before the stored key), the
                // stored one, or after it (then the store has an entry the replay lacks).
                var found = false
                while next < sorted.count {
                    let passed = sorted.withEntry(next) { freshKey, fresh -> Bool in
                        if KeyOrder.precedes(freshKey, key) {
                            missing.append(Array(freshKey))
                            return true
                        }
                        guard equal(freshKey, key) else { return false }
                        if !equal(fresh, value) { differs(key, value, fresh) }
                        found = true
                        return true
                    }
                    guard passed else { break }
                    next += 1
                    if found { break }
                }
                if !found { report("\(printable(Array(key))) is stored but a fresh replay has no such entry") }
                return true
            }
            for i in next..<sorted.count { sorted.withEntry(i) { fresh, _ in missing.append(Array(fresh)) } }
        } else {
            var matched = 0
            // Both sides read in place: arrays are made only for an entry to report.
            try stored.scanInPlace(table) { key, value in
                let found = replayed.withValue(table, key: key) { fresh in
                    if !equal(fresh, value) { differs(key, value, fresh) }
                    return true
                }
                if found != nil {
                    matched += 1
                } else {
                    report("\(printable(Array(key))) is stored but a fresh replay has no such entry")
                }
                return true
            }
            if matched != replayed.count(table) {
                try replayed.forEachUnordered(table) { key, _ in
                    if try stored.get(table, key) == nil { missing.append(key) }
                }
                missing.sort { $0.lexicographicallyPrecedes($1) }
            }
        }
        for key in missing { report("\(printable(key)) is missing (a fresh replay has it)") }
        if differences > 5 { findings.problems.append("projection \(table.rawValue): \(differences - 5) more differences") }
        return findings
    }

    /// For a convention or decision, the seq of its last event, which a reader needs to
    /// start looking.
    private static func seqHint(_ table: Table, _ stored: [UInt8], _ replayed: [UInt8]) -> String {
        if table == .conventions, let c = try? ConventionState(encoded: replayed) {
            return " (its latest event is at seq \(c.lastSeq))"
        }
        if table == .decisions, let d = try? DecisionState(encoded: replayed) {
            return " (decided at seq \(d.seq))"
        }
        return ""
    }

    private static func printable(_ key: [UInt8]) -> String {
        var text = ""
        for scalar in String(decoding: key, as: UTF8.self).unicodeScalars {
            text += scalar.value < 0x20 ? "\\x" + String(scalar.value, radix: 16) : String(scalar)
        }
        return "\"\(text)\""
    }
}
