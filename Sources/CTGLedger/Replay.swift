import CTGDomain
import CTGProjections
import EventLog
import LMDB
import StrictJSON

/// Where an auditor's replay stops.
public struct ReplayBound: Sendable {
    /// Events with seq ≤ this.
    public var untilSeq: UInt64?
    /// Events recorded strictly before this instant (ms since 1970): what the ledger knew then.
    public var recordedBeforeMillis: Int64?
    /// Events whose business date is on or before this date.
    public var asOf: CalendarDate?

    public init(untilSeq: UInt64? = nil, recordedBeforeMillis: Int64? = nil, asOf: CalendarDate? = nil) {
        self.untilSeq = untilSeq
        self.recordedBeforeMillis = recordedBeforeMillis
        self.asOf = asOf
    }
}

/// Fresh projections built in memory by a replay, with what was left out.
public struct ReplayOutcome {
    public let tables: MemoryTables
    public var replayed: UInt64 = 0
    public var lastSeq: UInt64 = 0
    /// Events inside the bounds that the rules refused once later-dated events were left out.
    public var notes: [String] = []
    /// The replay's caches, let go of by its flush: freed with the tables, after the
    /// reports (freeing them on the other core slowed the reports' rendering).
    var retired = RetiredCaches()
    public var reader: ProjectionReader<MemoryTables> { ProjectionReader(tables) }

    /// Lets go of the replayed tables on another thread, once the caller is done with
    /// them: freeing a large replay only delays a command's exit (see `Parallel.free`).
    public consuming func discard() {
        Parallel.free(self)
    }
}

extension Ledger {
    /// Replays the log from seq 1 into fresh in-memory projections, within `bound`.
    /// The store is only read.
    public func replay(_ bound: ReplayBound) throws -> ReplayOutcome {
        var outcome = ReplayOutcome(tables: MemoryTables())
        var projector = ProjectionWriter(outcome.tables)
        // This thread reads too, through a read transaction of its own, when it would wait.
        try environment.read { txn in
            try reserve(outcome.tables, for: bound, in: txn)
            let (pipeline, probe) = ParsedRecord.pipeline(environment: environment, tables: log, helping: txn) { record in
                if let until = bound.untilSeq, record.seq > until { return false }
                // recordedAt never decreases, so nothing after the first one too late qualifies.
                if let before = bound.recordedBeforeMillis, let at = LedgerClock.epochMillis(record.recordedAt), at >= before { return false }
                return true
            }
            defer { pipeline.close() }
            while let chunk = pipeline.nextChunk() {
                // Events lent from their chunk (see `Ledger.replay(_:into:)`).
                try chunk.items.withUnsafeBufferPointer { items in
                    for i in items.indices {
                        let parsed = items.baseAddress! + i
                        if let asOf = bound.asOf {
                            guard let record = parsed.pointee.record else { throw Ledger.damaged(parsed.pointee.seq) }
                            let envelope = try ParsedRecord.envelope(parsed)
                            guard envelope.businessDate <= asOf else { continue }
                            do {
                                try projector.apply(envelope, decoded: parsed.pointee.event, at: Rules.Position(seq: record.seq, version: record.version))
                            } catch let rejection as Rejection {
                                // A business-date view leaves out later-dated events that this one
                                // may rely on (a correction recorded with an earlier date, say).
                                outcome.notes.append("seq \(parsed.pointee.seq) (\(envelope.id)) left out of the as-of view: \(rejection)")
                                continue
                            }
                        } else {
                            try Ledger.replay(parsed, into: &projector)
                        }
                        outcome.replayed += 1
                        outcome.lastSeq = parsed.pointee.seq
                    }
                }
                pipeline.discard(chunk)
            }
            _ = try probe.lastSeq()
        }
        try projector.flush(retiring: &outcome.retired)
        return outcome
    }
}

extension Ledger {
    /// Makes room in `tables` for what a replay within `bound` will hold: the stored
    /// projections' sizes (a whole replay equals them), in proportion to the events a
    /// seq bound keeps, so they are not rehashed entry by entry each time they double. A
    /// hint only: a bound by date or recording time, which may keep anything from none to
    /// all, reserves nothing.
    func reserve(_ tables: MemoryTables, for bound: ReplayBound, in txn: Transaction) throws {
        guard bound.recordedBeforeMillis == nil && bound.asOf == nil else { return }
        let last = try LogReader(txn: txn, tables: log).lastSeq()
        guard last > 0 else { return }
        let kept = min(bound.untilSeq ?? last, last)
        let stored = LMDBTables(txn, projectionDatabases)
        for table in Table.allCases {
            // count × kept / last, rounded up (counts and seqs are far below 2^31).
            let count = try stored.count(table)
            tables.reserve(table, (count * Int(kept) + Int(last) - 1) / Int(last))
        }
    }
}

extension Reports {
    /// `ctg-audit replay`: `{"conventions":[state…],"funding":{…}}`.
    public static func replay(_ outcome: ReplayOutcome, convention: String?, by grouping: Grouping, year: Int?, asOf: CalendarDate?) throws -> Report {
        let reader = outcome.reader
        var states = try reader.conventions()
        if let convention { states = states.filter { $0.id.sameBytes(convention) } }
        let groups = try reader.totals(by: grouping, scope: TotalsScope(convention: convention, year: year))
        let funding = Reports.funding(by: grouping, groups: groups)
        let fundingJSON = funding.json
        let conventionStates = states
        var list = Reports.conventions(states, asOf: asOf).tables
        list[0].title = "Conventions after \(outcome.replayed) events (last seq \(outcome.lastSeq))"
        var fundingTable = funding.tables[0]
        fundingTable.title = "\nFunding by \(grouping.rawValue)"
        var report = Report(
            lazyJSON: {
                object([
                    // Thousands of states at a million events: made on every core.
                    ("conventions", .array(Parallel.map(conventionStates, spread: conventionStates.count >= 256) { conventionJSON($0, asOf: asOf) })),
                    ("funding", fundingJSON),
                ])
            }, tables: list + [fundingTable])
        report.csvTable = funding.csvTable
        return report
    }
}
