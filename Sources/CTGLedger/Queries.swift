import CTGDomain
import CTGProjections
import EventLog
import StrictJSON

/// Reads the projections (`ctg` queries) and the log (`events`, `export`).
extension Ledger {
    public func conventionsReport(asOf: CalendarDate?) throws -> Report {
        var rows: [Reports.ConventionRow] = []
        try read { snap in try snap.projections.forEachConvention { rows.append(Reports.ConventionRow($0, asOf: asOf)) } }
        return Reports.conventions(rows)
    }

    public func convention(_ id: String) throws -> ConventionState {
        guard let c = try read({ try $0.projections.convention(id) }) else { throw Ledger.unknownConvention(id) }
        return c
    }

    static func unknownConvention(_ id: String) -> LedgerError {
        LedgerError(code: "unknown-convention", message: "there is no convention \(id) in this store (`ctg conventions` lists them)")
    }

    public func fundingReport(by grouping: Grouping, convention: String?, year: Int?) throws -> Report {
        try read { snap in
            if let convention, try snap.projections.convention(convention) == nil { throw Ledger.unknownConvention(convention) }
            return Reports.funding(by: grouping, groups: try snap.projections.totals(by: grouping, scope: TotalsScope(convention: convention, year: year)))
        }
    }

    public func decisionsReport(convention: String) throws -> Report {
        try read { snap in
            guard try snap.projections.convention(convention) != nil else { throw Ledger.unknownConvention(convention) }
            return Reports.decisions(try snap.projections.decisions(ofConvention: convention))
        }
    }

    /// Writes exported lines (canonical JSON with `ledger`) for all events or one stream,
    /// from `from`, at most `limit`, each followed by a newline.
    public func exportLines(stream: String?, from: UInt64 = 1, limit: UInt64 = .max, _ write: ([UInt8]) throws -> Void) throws {
        try read { snap in
            if let stream {
                var count: UInt64 = 0
                for seq in try snap.log.seqs(ofStream: stream) where seq >= from {
                    guard count < limit else { break }
                    guard let record = try snap.log.record(seq: seq) else { throw Ledger.damaged(seq) }
                    try write(record.exportLine + [0x0A])
                    count += 1
                }
            } else {
                try snap.log.forEach(from: from, limit: limit) { seq, record in
                    guard let record else { throw Ledger.damaged(seq) }
                    try write(record.exportLine + [0x0A])
                    return true
                }
            }
        }
    }

    static func damaged(_ seq: UInt64) -> LedgerError {
        LedgerError(code: "store-damaged", message: "the event at seq \(seq) cannot be decoded; run ctg-audit verify")
    }

    /// Drops every projection and rebuilds it from the events in one transaction: a crash
    /// midway leaves the previous projections in place.
    public func rebuild(progress: Progress? = nil) throws -> UInt64 {
        let (count, retired) = try environment.write { txn in
            let tables = LMDBTables(txn, projectionDatabases)
            try tables.emptyAll()
            var projector = ProjectionWriter(tables)
            var count: UInt64 = 0
            progress?.start(totalBytes: nil)
            // The events are read and decoded by other threads, in read transactions (they
            // see the log this write transaction started from, which it does not change),
            // and by this thread through this transaction when it would wait.
            let (pipeline, probe) = ParsedRecord.pipeline(environment: environment, tables: log, helping: txn)
            defer { pipeline.close() }
            while let chunk = pipeline.nextChunk() {
                try chunk.items.withUnsafeBufferPointer { items in
                    for i in items.indices {
                        try Ledger.replay(items.baseAddress! + i, into: &projector)
                        progress?.advance()
                        count += 1
                    }
                }
                pipeline.discard(chunk)
            }
            _ = try probe.lastSeq()
            guard count == (try LogReader(txn: txn, tables: log).lastSeq()) else {
                throw LedgerError(code: "store-damaged", message: "rebuild read \(count) events but the log holds more; run ctg-audit verify")
            }
            var retired = RetiredCaches()
            try projector.flush(retiring: &retired)
            progress?.finish(events: Int(count))
            return (count, retired)
        }
        // Committed: the caches can go now.
        retired.free()
        return count
    }

    /// Applies one stored event, decoded ahead, to projections; a stored event that the
    /// rules now refuse means the store was changed outside the ledger.
    /// The event is lent from its chunk: a copy retained every field of it.
    static func replay<KV>(_ parsed: UnsafePointer<ParsedRecord>, into projector: inout ProjectionWriter<KV>) throws {
        guard let record = parsed.pointee.record else { throw Ledger.damaged(parsed.pointee.seq) }
        do {
            try projector.apply(try ParsedRecord.envelope(parsed), decoded: parsed.pointee.event, at: Rules.Position(seq: record.seq, version: record.version))
        } catch let rejection as Rejection {
            throw LedgerError(code: "replay-rejected", message: "stored event at seq \(record.seq) no longer passes the rules: \(rejection)")
        }
    }

}

extension Ledger {
    /// Every entry of every projection table, in key order: what `rebuild` must reproduce
    /// byte for byte.
    public func projectionTables() throws -> [Table: [[UInt8]]] {
        try read { snap in
            var result: [Table: [[UInt8]]] = [:]
            for table in Table.allCases {
                var entries: [[UInt8]] = []
                try snap.projections.kv.scan(table, prefix: []) { k, v in
                    entries.append(k + [0xFF, 0xFE] + v)
                    return true
                }
                result[table] = entries
            }
            return result
        }
    }
}
