import EventLog
import StrictJSON

/// One CTG event's payload, decoded strictly from its `data` object (spec §3, schema 1
/// or later; older schemas are upcast first, see `Upcaster`).
///
/// `indirect`: each payload lives in a box of its own, so a copy of an event — the
/// applying thread makes one as it takes each decoded event from its chunk — retains one
/// box instead of every string of the payload (import CPU −4 %).
public indirect enum DomainEvent: Sendable {
    case conventionOpened(title: String, caf: Partner, territory: Territory, period: Period, domains: [DomainCode], cafOrdinal: Int?, predecessor: String?)
    case partnerJoined(Partner)
    case partnerLeft(partnerId: String, reason: String)
    case commitmentSigned(signatories: [String], signers: [Signer], signBy: CalendarDate?, place: String?, predecessor: PredecessorContract?, fundingEffectiveFrom: CalendarDate?)
    case diagnosticShared(period: Period, domains: [DomainCode], summary: String)
    case fundingBaselineRecorded(FundingBaseline)
    case axisDefined(axisId: String, title: String, kind: AxisKind?, parentAxisId: String?, ref: String?)
    case actionPlanned(actionId: String, axisId: String?, title: String, domain: DomainCode, lead: String?, due: CalendarDate?, ref: String?)
    case actionStatusChanged(actionId: String, status: ActionStatus, note: String?, correction: Bool)
    case conventionSigned(signatories: [String], signers: [Signer], place: String?)
    case conventionAmended(amendment: Int, summary: String, periodEnd: CalendarDate?)
    case committeeFormed(committeeId: String, kind: CommitteeKind, name: String, members: [String], bodies: [String])
    case committeeMeetingHeld(meetingId: String, committee: CommitteeKind, committeeId: String?, attendees: [String], decisions: [String], actionsReviewed: [String])
    case evaluationRecorded(evaluationId: String, scope: String, findings: String, indicators: [Indicator])
    case fundingDecided(decisionId: String, funder: String, beneficiary: Beneficiary, facility: String?, domain: DomainCode, scheme: Scheme, year: Int, basis: Basis, amount: Money)
    case fundingRevised(decisionId: String, amount: Money, basis: Basis, reason: String)
    case fundingCancelled(decisionId: String, reason: String)
    case paymentMade(paymentId: String, decisionId: String, kind: PaymentKind, amount: Money, paidOn: CalendarDate, overpayment: Bool)
    case recoveryOrdered(recoveryId: String, decisionId: String, amount: Money, reason: String)
    case conventionTerminated(reason: String)

    /// Every event type of the catalogue with the newest schema version it has.
    public static let currentSchema: [String: Int64] = [
        "ConventionOpened": 1, "PartnerJoined": 1, "PartnerLeft": 1, "CommitmentSigned": 1,
        "DiagnosticShared": 2, "FundingBaselineRecorded": 1, "AxisDefined": 1, "ActionPlanned": 1,
        "ActionStatusChanged": 1, "ConventionSigned": 1, "ConventionAmended": 1, "CommitteeFormed": 1,
        "CommitteeMeetingHeld": 1, "EvaluationRecorded": 1, "FundingDecided": 1, "FundingRevised": 1,
        "FundingCancelled": 1, "PaymentMade": 1, "RecoveryOrdered": 1, "ConventionTerminated": 1,
    ]

    /// The event types, to decode by a switch on cases rather than on strings (which
    /// Swift compares one case after the other).
    private enum Kind: String, CaseIterable {
        case conventionOpened = "ConventionOpened", partnerJoined = "PartnerJoined", partnerLeft = "PartnerLeft"
        case commitmentSigned = "CommitmentSigned", diagnosticShared = "DiagnosticShared"
        case fundingBaselineRecorded = "FundingBaselineRecorded", axisDefined = "AxisDefined", actionPlanned = "ActionPlanned"
        case actionStatusChanged = "ActionStatusChanged", conventionSigned = "ConventionSigned", conventionAmended = "ConventionAmended"
        case committeeFormed = "CommitteeFormed", committeeMeetingHeld = "CommitteeMeetingHeld", evaluationRecorded = "EvaluationRecorded"
        case fundingDecided = "FundingDecided", fundingRevised = "FundingRevised", fundingCancelled = "FundingCancelled"
        case paymentMade = "PaymentMade", recoveryOrdered = "RecoveryOrdered", conventionTerminated = "ConventionTerminated"
    }

    /// Each type's kind and newest schema by the exact bytes of the type: every event's
    /// type is looked up.
    private static let kindByType: [Key: (kind: Kind, schema: Int64)] = {
        precondition(Kind.allCases.count == currentSchema.count, "every type of the catalogue is decoded")
        return Dictionary(uniqueKeysWithValues: Kind.allCases.map { kind in
            guard let schema = currentSchema[kind.rawValue] else { preconditionFailure("\(kind.rawValue) has no current schema") }
            return (Key(kind.rawValue), (kind, schema))
        })
    }()

    /// Events allowed in the stream of a terminated convention: settlement and evaluation.
    public var isAllowedAfterTermination: Bool {
        switch self {
        case .fundingRevised, .fundingCancelled, .paymentMade, .recoveryOrdered, .evaluationRecorded: true
        default: false
        }
    }

    /// Decodes the payload of an event of `type` written under `schema`.
    public static func decode(type: String, schema: Int64, data: JSONObject) throws(Rejection) -> DomainEvent {
        var r = ObjectReader(data, path: "/data")
        return try decode(type: type, schema: schema, data: &r)
    }

    /// Decodes the payload read by `r` (an event's `/data`) of an event of `type` written under `schema`.
    public static func decode(type: String, schema: Int64, data r: inout ObjectReader) throws(Rejection) -> DomainEvent {
        guard let (kind, current) = kindByType[Key(type)] else {
            throw Rejection("unknown-type", "type \"\(type)\" is not an event type of the catalogue")
        }
        guard schema <= current else {
            throw Rejection("unsupported-schema", "\(type) has no schema \(schema); the newest this ledger knows is \(current)")
        }
        if schema < current {
            // Old shapes are rare: moved as a tree, then read again.
            guard case .object(let old) = r.tape.value(at: r.node) else { preconditionFailure("a reader reads an object") }
            var upcast = ObjectReader(try Upcaster.upcast(type: type, from: schema, data: old), path: "/data")
            let event = try decodeCurrent(kind, &upcast)
            try upcast.finish()
            return event
        }
        let event = try decodeCurrent(kind, &r)
        try r.finish()
        return event
    }

    private static func decodeCurrent(_ kind: Kind, _ r: inout ObjectReader) throws(Rejection) -> DomainEvent {
        switch kind {
        case .conventionOpened:
            let title = try r.name("title")
            var cafReader = try r.object("caf")
            let caf = try Partner.read(&cafReader)
            guard caf.role == .caf else {
                throw Rejection("caf-role", "/data/caf \(caf.id) has role \(caf.role.rawValue), the Caf partner must have role caf")
            }
            var t = try r.object("territory")
            let territory = Territory(name: try t.name("name"), kind: try t.code("kind"), code: try t.optionalString("code", maxLength: 32))
            try t.finish()
            let period = try readPeriod(&r, key: "period", from: "start", to: "end")
            let domains: [DomainCode] = try r.codes("domains")
            var ordinal: Int?
            if let n = try r.optionalInteger("cafOrdinal") {
                guard n >= 1 && n <= 1000 else { throw Rejection("invalid-ordinal", "/data/cafOrdinal \(n) must be between 1 and 1000") }
                ordinal = Int(n)
            }
            let predecessor = try r.optionalString("predecessor", maxLength: 64)
            if let predecessor, !Envelope.isValidStream(predecessor) {
                throw Rejection("invalid-stream", "/data/predecessor \"\(predecessor)\" is not a convention id")
            }
            return .conventionOpened(title: title, caf: caf, territory: territory, period: period, domains: domains, cafOrdinal: ordinal, predecessor: predecessor)
        case .partnerJoined:
            var p = try r.object("partner")
            return .partnerJoined(try Partner.read(&p))
        case .partnerLeft:
            return .partnerLeft(partnerId: try r.ident("partnerId"), reason: try r.text("reason"))
        case .commitmentSigned:
            let signatories = try r.idList("signatories")!
            let signers = try readSigners(&r)
            let signBy = try r.optionalDate("signBy")
            let place = try r.optionalName("place")
            var predecessor: PredecessorContract?
            if var p = try r.optionalObject("predecessor") {
                predecessor = PredecessorContract(kind: try p.code("kind"), endedOn: try p.date("endedOn"))
                try p.finish()
            }
            return .commitmentSigned(signatories: signatories, signers: signers, signBy: signBy, place: place, predecessor: predecessor, fundingEffectiveFrom: try r.optionalDate("fundingEffectiveFrom"))
        case .diagnosticShared:
            let period = try readPeriod(&r, key: "period", from: "start", to: "end", rule: "diagnostic-dates-reversed")
            return .diagnosticShared(period: period, domains: try r.codes("domains"), summary: try r.text("summary"))
        case .fundingBaselineRecorded:
            return .fundingBaselineRecorded(try FundingBaseline.read(&r))
        case .axisDefined:
            return .axisDefined(axisId: try r.ident("axisId"), title: try r.name("title"), kind: try r.optionalCode("kind"), parentAxisId: try r.optionalIdent("parentAxisId"), ref: try r.optionalName("ref"))
        case .actionPlanned:
            return .actionPlanned(actionId: try r.ident("actionId"), axisId: try r.optionalIdent("axisId"), title: try r.name("title"), domain: try r.code("domain"), lead: try r.optionalIdent("lead"), due: try r.optionalDate("due"), ref: try r.optionalName("ref"))
        case .actionStatusChanged:
            let id = try r.ident("actionId")
            let status: ActionStatus = try r.code("status")
            let note = try r.optionalText("note")
            let correction = try r.optionalTrue("correction")
            if correction && note == nil {
                throw Rejection("correction-needs-note", "a correction of action \(id)'s status needs a /data/note saying why")
            }
            return .actionStatusChanged(actionId: id, status: status, note: note, correction: correction)
        case .conventionSigned:
            let signatories = try r.idList("signatories")!
            return .conventionSigned(signatories: signatories, signers: try readSigners(&r), place: try r.optionalName("place"))
        case .conventionAmended:
            let n = try r.integer("amendment")
            guard n >= 1 && n <= 10_000 else { throw Rejection("amendment-out-of-order", "/data/amendment \(n) must be 1 or more") }
            return .conventionAmended(amendment: Int(n), summary: try r.text("summary"), periodEnd: try r.optionalDate("periodEnd"))
        case .committeeFormed:
            return .committeeFormed(committeeId: try r.ident("committeeId"), kind: try r.code("kind"), name: try r.name("name"), members: try r.idList("members", required: false) ?? [], bodies: try r.textList("bodies", required: false) ?? [])
        case .committeeMeetingHeld:
            return .committeeMeetingHeld(meetingId: try r.ident("meetingId"), committee: try r.code("committee"), committeeId: try r.optionalIdent("committeeId"), attendees: try r.idList("attendees")!, decisions: try r.textList("decisions", required: true)!, actionsReviewed: try r.idList("actionsReviewed", required: false) ?? [])
        case .evaluationRecorded:
            let id = try r.ident("evaluationId")
            let scope = try r.ident("scope")
            let findings = try r.text("findings")
            var indicators: [Indicator] = []
            for var o in try r.objects("indicators", required: false) ?? [] {
                let value = try o.string("value", maxLength: 32)
                indicators.append(Indicator(name: try o.name("name"), value: try DecimalText.decode(value, at: o.pointer("value")), unit: try o.string("unit", maxLength: 64)))
                try o.finish()
            }
            return .evaluationRecorded(evaluationId: id, scope: scope, findings: findings, indicators: indicators)
        case .fundingDecided:
            let id = try r.ident("decisionId")
            let funder = try r.ident("funder")
            var b = try r.object("beneficiary")
            let beneficiary = Beneficiary(name: try b.name("name"), partnerId: try b.optionalIdent("partnerId"), siret: try b.optionalString("siret", maxLength: 14))
            if let siret = beneficiary.siret, !OfficialCode.isSiret(siret) {
                throw Rejection("invalid-siret", "/data/beneficiary/siret \"\(siret)\" is not 14 digits")
            }
            try b.finish()
            return .fundingDecided(decisionId: id, funder: funder, beneficiary: beneficiary, facility: try r.optionalName("facility"), domain: try r.code("domain"), scheme: try r.code("scheme"), year: try r.year("year"), basis: try r.code("basis"), amount: try r.money("amount"))
        case .fundingRevised:
            return .fundingRevised(decisionId: try r.ident("decisionId"), amount: try r.money("amount"), basis: try r.code("basis"), reason: try r.text("reason"))
        case .fundingCancelled:
            return .fundingCancelled(decisionId: try r.ident("decisionId"), reason: try r.text("reason"))
        case .paymentMade:
            return .paymentMade(paymentId: try r.ident("paymentId"), decisionId: try r.ident("decisionId"), kind: try r.code("kind"), amount: try r.money("amount"), paidOn: try r.date("paidOn"), overpayment: try r.optionalTrue("overpayment"))
        case .recoveryOrdered:
            return .recoveryOrdered(recoveryId: try r.ident("recoveryId"), decisionId: try r.ident("decisionId"), amount: try r.money("amount"), reason: try r.text("reason"))
        case .conventionTerminated:
            return .conventionTerminated(reason: try r.text("reason"))
        }
    }

    private static func readPeriod(_ r: inout ObjectReader, key: StaticString, from: StaticString, to: StaticString, rule: String = "period-reversed") throws(Rejection) -> Period {
        var p = try r.object(key)
        let start = try p.date(from)
        let end = try p.date(to)
        try p.finish()
        guard start <= end else {
            throw Rejection(rule, "\(p.pointer(from)) \(start) is after \(p.pointer(to)) \(end)")
        }
        return Period(start: start, end: end)
    }

    private static func readSigners(_ r: inout ObjectReader) throws(Rejection) -> [Signer] {
        var signers: [Signer] = []
        for var o in try r.objects("signers", required: false) ?? [] {
            signers.append(try Signer.read(&o))
        }
        return signers
    }
}

/// Funding stated by a document as context; never counted in totals.
public struct FundingBaseline: Codable, Sendable, Equatable {
    public var year: Int
    public var amount: Money
    public var qualifier: BaselineQualifier
    public var measure: BaselineMeasure
    public var scope: String
    public var domains: [DomainCode]?
    public var share: Share?

    static func read(_ r: inout ObjectReader) throws(Rejection) -> FundingBaseline {
        var b = FundingBaseline(year: try r.year("year"), amount: try r.money("amount"), qualifier: try r.code("qualifier"), measure: try r.code("measure"), scope: try r.text("scope"), domains: try r.optionalCodes("domains"), share: nil)
        if var s = try r.optionalObject("share") {
            let of = try s.name("of")
            let percent = try DecimalText.decode(try s.string("percent", maxLength: 32), at: s.pointer("percent"))
            try s.finish()
            b.share = Share(of: of, percent: percent)
        }
        return b
    }
}
