import CTGDomain
import CTGProjections
import EventLog
import StrictJSON

/// One event in the life of a funding decision, with the running amounts after it.
public struct DecisionStep: Sendable {
    public var seq: UInt64
    public var id: String
    public var type: String
    public var stream: String
    public var occurredAt: String
    public var recordedAt: String
    public var actor: String
    public var sourceDoc: String?
    public var decisionId: String
    public var year: Int
    /// Which amount moved (`decided`, `paid`, `recovered`) and by how much.
    public var field: String
    public var change: Money
    public var detail: String
    public var running: Totals
}

extension Ledger {
    /// Every event of one funding decision, in log order, read from the events themselves.
    public func history(decision id: String) throws -> [DecisionStep] {
        try read { snap in
            // The decisions projection says which stream to read; without it, the whole log.
            let stream = try snap.projections.decision(id)?.stream
            let steps = try Ledger.fundingSteps(snap, stream: stream) { $0.sameBytes(id) }
            guard !steps.isEmpty else {
                throw LedgerError(code: "unknown-decision", message: "there is no funding decision \(id) in this store")
            }
            return steps
        }
    }

    /// The funding events of one stream (or all) whose decision passes `include`, with
    /// running amounts per decision.
    static func fundingSteps(_ snap: LedgerSnapshot, stream: String?, include: (String) -> Bool) throws -> [DecisionStep] {
        var steps: [DecisionStep] = []
        var running: [Key: (totals: Totals, year: Int, amount: Money, cancelled: Bool)] = [:]
        func visit(_ seq: UInt64) throws {
            guard let record = try snap.log.record(seq: seq) else { throw Ledger.damaged(seq) }
            let envelope = try record.envelope()
            guard Ledger.fundingTypes.contains(envelope.type), case .string(let decisionId)? = envelope.data["decisionId"], include(decisionId) else { return }
            let event = try DomainEvent.decode(type: envelope.type, schema: envelope.schema, data: envelope.data)
            let key = Key(decisionId)
            var state = running[key] ?? (Totals(), 0, .zero, false)
            let field: String
            let change: Money
            let detail: String
            switch event {
            case let .fundingDecided(_, funder, beneficiary, _, _, scheme, year, basis, amount):
                state.year = year
                state.amount = amount
                (field, change, detail) = ("decided", amount, "\(scheme.rawValue) \(year), \(basis.rawValue), \(funder) → \(beneficiary.key)")
            case let .fundingRevised(_, amount, basis, reason):
                change = amount - state.amount
                state.amount = amount
                (field, detail) = ("decided", "\(basis.rawValue): \(reason)")
            case let .fundingCancelled(_, reason):
                change = .zero - state.amount
                state.cancelled = true
                (field, detail) = ("decided", "cancelled: \(reason)")
            case let .paymentMade(paymentId, _, kind, amount, paidOn, overpayment):
                (field, change, detail) = ("paid", amount, "\(kind.rawValue) \(paymentId) paid on \(paidOn)\(overpayment ? ", overpayment" : "")")
            case let .recoveryOrdered(recoveryId, _, amount, reason):
                (field, change, detail) = ("recovered", amount, "\(recoveryId): \(reason)")
            default:
                return
            }
            switch field {
            case "decided": state.totals.decided = state.cancelled ? .zero : state.amount
            case "paid": state.totals.paid += change
            default: state.totals.recovered += change
            }
            running[key] = state
            steps.append(DecisionStep(
                seq: seq, id: envelope.id, type: envelope.type, stream: envelope.stream, occurredAt: envelope.occurredAt,
                recordedAt: record.recordedAt, actor: envelope.actor, sourceDoc: envelope.sourceDoc, decisionId: decisionId,
                year: state.year, field: field, change: change, detail: detail, running: state.totals))
        }
        if let stream {
            for seq in try snap.log.seqs(ofStream: stream) { try visit(seq) }
        } else {
            var seqs: [UInt64] = []
            try snap.log.forEach { seq, _ in seqs.append(seq); return true }
            for seq in seqs { try visit(seq) }
        }
        return steps
    }

    static let fundingTypes: Set<String> = ["FundingDecided", "FundingRevised", "FundingCancelled", "PaymentMade", "RecoveryOrdered"]

    /// Provenance of a funding total: every event that makes up a convention's totals
    /// (for one year when given), with the total they add up to and the stored one.
    public func trace(convention: String, year: Int?) throws -> (steps: [DecisionStep], total: Totals, stored: Totals) {
        try read { snap in
            guard try snap.projections.convention(convention) != nil else { throw Ledger.unknownConvention(convention) }
            let allSteps = try Ledger.fundingSteps(snap, stream: convention) { _ in true }
            let steps = allSteps.filter { year == nil || $0.year == year }
            var last: [Key: Totals] = [:]
            for step in steps { last[Key(step.decisionId)] = step.running }
            let total = last.values.reduce(Totals(), +)
            let stored = try snap.projections.totals(by: .convention, scope: TotalsScope(convention: convention, year: year)).first?.totals ?? Totals()
            return (steps, total, stored)
        }
    }
}

extension Reports {
    static func stepJSON(_ s: DecisionStep, withDecision: Bool) -> JSONValue {
        object([
            ("seq", .integer(Int64(s.seq))), ("id", .string(s.id)), ("type", .string(s.type)),
            ("decisionId", withDecision ? .string(s.decisionId) : nil),
            ("occurredAt", .string(s.occurredAt)), ("recordedAt", .string(s.recordedAt)), ("actor", .string(s.actor)),
            ("sourceDoc", s.sourceDoc.map(JSONValue.string) ?? .null),
            ("change", object([("field", .string(s.field)), ("amount", .string(s.change.description))])),
            ("detail", .string(s.detail)),
        ] + totalsJSON(s.running))
    }

    static func stepsTable(_ steps: [DecisionStep], withDecision: Bool) -> TableData {
        TableData(
            headers: (withDecision ? ["decision"] : []) + ["seq", "type", "occurredAt", "recordedAt", "actor", "change", "decided €", "paid €", "recovered €", "balance €", "sourceDoc / detail"],
            rows: steps.map { s in
                (withDecision ? [s.decisionId] : []) + [String(s.seq), s.type, s.occurredAt, s.recordedAt, s.actor, "\(s.field) \(s.change.cents >= 0 ? "+" : "")\(s.change.grouped)",
                 s.running.decided.grouped, s.running.paid.grouped, s.running.recovered.grouped, s.running.balance.grouped, [s.sourceDoc, s.detail].compactMap { $0 }.joined(separator: " — ")]
            },
            numeric: Set((withDecision ? [1, 7, 8, 9, 10] : [0, 6, 7, 8, 9])))
    }

    /// `ctg-audit history --decision ID`: `{"decision": ID, "events": […]}`.
    public static func history(_ id: String, _ steps: [DecisionStep]) -> Report {
        let json = object([
            ("decision", .string(id)),
            ("convention", steps.first.map { .string($0.stream) }),
            ("events", .array(steps.map { stepJSON($0, withDecision: false) })),
            ("final", steps.last.map { object(totalsJSON($0.running)) }),
        ])
        var table = stepsTable(steps, withDecision: false)
        table.title = "Funding decision \(id)\(steps.first.map { " in \($0.stream)" } ?? "")"
        return Report(json: json, tables: [table])
    }

    /// `ctg-audit trace --convention ID [--year Y]`.
    public static func trace(convention: String, year: Int?, steps: [DecisionStep], total: Totals, stored: Totals) -> Report {
        let json = object([
            ("convention", .string(convention)), ("year", year.map { .integer(Int64($0)) } ?? .null),
            ("events", .array(steps.map { stepJSON($0, withDecision: true) })),
            ("total", object(totalsJSON(total))),
            ("storedTotal", object(totalsJSON(stored))),
            ("matches", .bool(total == stored)),
        ])
        var table = stepsTable(steps, withDecision: true)
        table.title = "Events making up the funding of \(convention)\(year.map { " for \($0)" } ?? "")"
        let footer = TableData(
            headers: ["", "decided €", "paid €", "recovered €", "balance €"],
            rows: [["from these events", total.decided.grouped, total.paid.grouped, total.recovered.grouped, total.balance.grouped],
                   ["stored totals", stored.decided.grouped, stored.paid.grouped, stored.recovered.grouped, stored.balance.grouped]],
            numeric: [1, 2, 3, 4])
        var report = Report(json: json, tables: [table, footer])
        report.csvTable = table
        return report
    }
}
