import EventLog
import StrictJSON

/// The rules of spec §3: checks one event against the state the preceding events built
/// and, when it is accepted, applies it. A rejection leaves `state` unchanged for
/// this event; the caller rejects the whole batch.
public enum Rules {
    /// Where an event sits in the log.
    public struct Position: Sendable {
        public var seq: UInt64
        public var version: UInt64
        public init(seq: UInt64, version: UInt64) {
            self.seq = seq
            self.version = version
        }
    }

    /// Decodes the envelope's payload, then checks and applies it.
    public static func apply(_ envelope: Envelope, at position: Position, to state: inout some LedgerState) throws {
        let event = try DomainEvent.decode(type: envelope.type, schema: envelope.schema, data: envelope.data)
        try apply(event, envelope: envelope, at: position, to: &state)
    }

    public static func apply(_ event: DomainEvent, envelope: Envelope, at position: Position, to state: inout some LedgerState) throws {
        let date = envelope.businessDate
        let stream = envelope.stream
        if case let .conventionOpened(title, caf, territory, period, domains, ordinal, predecessor) = event {
            if try state.convention(envelope.streamKey) != nil {
                throw Rejection("convention-exists", "convention \(stream) is already opened; ConventionOpened is only the first event of its stream")
            }
            if position.version != 1 {
                throw Rejection("convention-exists", "convention \(stream) is already opened; ConventionOpened is only the first event of its stream")
            }
            try state.addConvention(ConventionState(
                id: stream, title: title, caf: caf, territory: territory, period: period, originalEnd: period.end,
                domains: domains, cafOrdinal: ordinal, predecessor: predecessor, openedOn: date, status: .draft,
                members: [.init(partner: caf, joinedOn: date)], formerMembers: [], commitment: nil, signatories: [],
                signedOn: nil, amendments: [], diagnostics: [], baselines: [], axes: [], actions: [], committees: [],
                meetings: [], evaluations: [], termination: nil, fundedYears: [], decisionCount: 0,
                version: position.version, lastSeq: position.seq))
            return
        }
        guard let slot = try state.convention(envelope.streamKey) else {
            throw Rejection("convention-not-opened", "convention \(stream) has no ConventionOpened event before this \(envelope.type)")
        }
        // Changed where it is kept (a copy would retain and later release every list it
        // holds); a rule that refuses the event has changed nothing — every case checks
        // before it changes anything.
        try change(&slot.state, by: event, envelope: envelope, at: position, in: &state)
    }

    /// Checks `event` against the convention `c` (and the rest of `state`) and changes `c`
    /// when it passes.
    private static func change(_ c: inout ConventionState, by event: DomainEvent, envelope: Envelope, at position: Rules.Position, in state: inout some LedgerState) throws {
        let date = envelope.businessDate
        let stream = envelope.stream
        if c.status == .terminated && !event.isAllowedAfterTermination {
            throw Rejection("convention-terminated", "convention \(stream) was terminated on \(c.termination!.date); only funding settlement and evaluations may follow, not \(envelope.type)")
        }
        switch event {
        case .conventionOpened:
            preconditionFailure("handled above")

        case .partnerJoined(let partner):
            if c.hasMember(partner.id) {
                throw Rejection("partner-already-member", "partner \(partner.id) is already a member of \(stream)")
            }
            // Guarded: `removeAll(where:)` reserves a unique buffer even when there is
            // nothing to remove, and most partners join a convention they never left.
            if !c.formerMembers.isEmpty { c.formerMembers.removeAll { $0.partner.id.sameBytes(partner.id) } }
            c.members.append(.init(partner: partner, joinedOn: date))
            c.memberIndex.appended(partner.id, count: c.members.count)

        case .partnerLeft(let partnerId, let reason):
            guard let index = c.members.firstIndex(where: { $0.partner.id.sameBytes(partnerId) }) else {
                throw Rejection("partner-not-member", "partner \(partnerId) is not a current member of \(stream)")
            }
            if partnerId.sameBytes(c.caf.id) {
                throw Rejection("caf-cannot-leave", "the Caf partner \(partnerId) cannot leave its convention")
            }
            let member = c.members.remove(at: index)
            c.memberIndex = .init()  // positions after `index` moved: rebuilt at the next lookup
            c.formerMembers.append(.init(partner: member.partner, joinedOn: member.joinedOn, leftOn: date, reason: reason))

        case let .commitmentSigned(signatories, signers, signBy, place, predecessor, effective):
            guard c.status == .draft else {
                throw Rejection("commitment-not-draft", "an acte d'engagement is signed on a draft convention; \(stream) is \(c.status.rawValue)")
            }
            try checkSignatories(signatories, signers: signers, in: &c, needsOther: false)
            c.commitment = .init(signedOn: date, signatories: signatories, signers: signers, signBy: signBy, place: place, predecessor: predecessor, fundingEffectiveFrom: effective)
            c.status = .engaged

        case let .diagnosticShared(period, domains, summary):
            c.diagnostics.append(.init(date: date, period: period, domains: domains, summary: summary))

        case .fundingBaselineRecorded(let baseline):
            c.baselines.append(baseline)

        case let .axisDefined(axisId, title, kind, parent, ref):
            if c.axisPosition(axisId) != nil {
                throw Rejection("axis-id-taken", "axis \(axisId) is already defined in \(stream)")
            }
            if let parent, c.axisPosition(parent) == nil {
                throw Rejection("axis-parent-unknown", "parent axis \(parent) of \(axisId) is not defined in \(stream)")
            }
            c.axes.append(.init(id: axisId, title: title, kind: kind, parentAxisId: parent, ref: ref))
            c.axisIndex.appended(axisId, count: c.axes.count)

        case let .actionPlanned(actionId, axisId, title, domain, lead, due, ref):
            if c.actionPosition(actionId) != nil {
                throw Rejection("action-id-taken", "action \(actionId) is already planned in \(stream)")
            }
            if let axisId, c.axisPosition(axisId) == nil {
                throw Rejection("axis-unknown", "axis \(axisId) of action \(actionId) is not defined in \(stream)")
            }
            if let lead, !c.hasKnownPartner(lead) {
                throw Rejection("lead-not-member", "lead \(lead) of action \(actionId) is not a member of \(stream)")
            }
            c.actions.append(.init(id: actionId, axisId: axisId, title: title, domain: domain, lead: lead, due: due, ref: ref, status: .planned,
                                   history: [.init(status: .planned, date: date, seq: position.seq, note: nil, correction: nil)]))
            c.actionIndex.appended(actionId, count: c.actions.count)

        case let .actionStatusChanged(actionId, status, note, correction):
            guard let index = c.actionPosition(actionId) else {
                throw Rejection("action-unknown", "action \(actionId) is not planned in \(stream)")
            }
            let current = c.actions[index].status
            if !correction && !current.canMove(to: status) {
                throw Rejection("action-transition", "action \(actionId) cannot move from \(current.rawValue) to \(status.rawValue)\(current == .done || current == .abandoned ? " (\(current.rawValue) is final; a correction needs correction: true and a note)" : "")")
            }
            c.actions[index].status = status
            c.actions[index].history.append(.init(status: status, date: date, seq: position.seq, note: note, correction: correction ? true : nil))

        case let .conventionSigned(signatories, signers, place):
            if c.status == .signed {
                for id in signatories where c.hasSigned(id) {
                    throw Rejection("already-signed", "partner \(id) has already signed \(stream)")
                }
                try checkSignatories(signatories, signers: signers, in: &c, needsOther: false, needsCaf: false)
            } else {
                try checkSignatories(signatories, signers: signers, in: &c, needsOther: true)
                c.status = .signed
                c.signedOn = date
            }
            for id in signatories {
                c.signatories.append(.init(partnerId: id, signedOn: date, signers: signers.filter { $0.partnerId.sameBytes(id) }, place: place))
            }

        case let .conventionAmended(number, summary, periodEnd):
            guard c.status == .signed else {
                throw Rejection("convention-not-signed", "an amendment needs a signed convention; \(stream) is \(c.status.rawValue)")
            }
            guard number == c.amendments.count + 1 else {
                throw Rejection("amendment-out-of-order", "amendment \(number) of \(stream) should be number \(c.amendments.count + 1)")
            }
            if let periodEnd {
                guard periodEnd >= c.period.start else {
                    throw Rejection("amendment-period-end", "/data/periodEnd \(periodEnd) is before the period start \(c.period.start)")
                }
                if let lastYear = c.fundedYears.last?.year, let floor = CalendarDate.endOfYear(lastYear), periodEnd < floor {
                    throw Rejection("amendment-shortens-funded-period", "/data/periodEnd \(periodEnd) is before \(floor), the end of \(lastYear), a year with a funding decision not cancelled")
                }
                c.period.end = periodEnd
            }
            c.amendments.append(.init(number: number, date: date, summary: summary, periodEnd: periodEnd))

        case let .committeeFormed(committeeId, kind, name, members, bodies):
            if c.committeePosition(committeeId) != nil {
                throw Rejection("committee-id-taken", "committee \(committeeId) is already formed in \(stream)")
            }
            for id in members where !c.hasKnownPartner(id) {
                throw Rejection("committee-member-unknown", "committee member \(id) is not a member of \(stream)")
            }
            c.committees.append(.init(id: committeeId, kind: kind, name: name, members: members, bodies: bodies))
            c.committeeIndex.appended(committeeId, count: c.committees.count)

        case let .committeeMeetingHeld(meetingId, kind, committeeId, attendees, decisions, reviewed):
            if c.meetingPosition(meetingId) != nil {
                throw Rejection("meeting-id-taken", "meeting \(meetingId) is already recorded in \(stream)")
            }
            if let committeeId, c.committeePosition(committeeId) == nil {
                throw Rejection("committee-unknown", "committee \(committeeId) is not formed in \(stream)")
            }
            for id in attendees where !c.hasKnownPartner(id) {
                throw Rejection("attendee-not-member", "attendee \(id) is not a member of \(stream)")
            }
            for id in reviewed where c.actionPosition(id) == nil {
                throw Rejection("action-unknown", "reviewed action \(id) is not planned in \(stream)")
            }
            c.meetings.append(.init(id: meetingId, committee: kind, committeeId: committeeId, date: date, seq: position.seq, attendees: attendees, decisions: decisions, actionsReviewed: reviewed))
            c.meetingIndex.appended(meetingId, count: c.meetings.count)

        case let .evaluationRecorded(evaluationId, scope, findings, indicators):
            if c.evaluationPosition(evaluationId) != nil {
                throw Rejection("evaluation-id-taken", "evaluation \(evaluationId) is already recorded in \(stream)")
            }
            if !scope.sameBytes("convention") && c.actionPosition(scope) == nil {
                throw Rejection("evaluation-scope-unknown", "scope \(scope) is neither \"convention\" nor an action of \(stream)")
            }
            c.evaluations.append(.init(id: evaluationId, date: date, scope: scope, findings: findings, indicators: indicators))
            c.evaluationIndex.appended(evaluationId, count: c.evaluations.count)

        case let .fundingDecided(decisionId, funder, beneficiary, facility, domain, scheme, year, basis, amount):
            if let existing = try state.decision(decisionId) {
                throw Rejection("decision-id-taken", "decision \(decisionId) already exists (in \(existing.stream)); decision ids are unique in the store")
            }
            guard c.hasMember(funder) else {
                throw Rejection("funder-not-member", "funder \(funder) is not a current member of \(stream)")
            }
            guard (c.period.start.year...c.period.end.year).contains(year) else {
                throw Rejection("year-outside-period", "year \(year) is outside the period \(c.period.start) – \(c.period.end) of \(stream)")
            }
            guard amount > .zero else {
                throw Rejection("amount-not-positive", "a decided amount must be more than 0.00, not \(amount)")
            }
            if scheme == .bonus_territoire && c.status != .engaged && c.status != .signed {
                throw Rejection("bonus-needs-commitment", "bonus_territoire needs an engaged or signed convention; \(stream) is \(c.status.rawValue)")
            }
            let decision = DecisionState(id: decisionId, stream: stream, funder: funder, beneficiary: beneficiary, facility: facility, domain: domain, scheme: scheme, year: year, basis: basis, amount: amount, cancelled: false, paid: .zero, recovered: .zero, decidedOn: date, seq: position.seq)
            let slot = decision.slot
            if let holder = try state.slotHolder(slot) {
                throw Rejection("double-funding", "decision \(holder) already funds \(beneficiary.key)\(facility.map { " (\($0))" } ?? "") under \(scheme.rawValue) for \(year) from \(funder); revise or cancel it instead")
            }
            try state.setSlotHolder(slot, decision: decisionId)
            try state.putDecision(decision, old: nil)
            c.addFundedYear(year)
            c.decisionCount += 1

        case let .fundingRevised(decisionId, amount, basis, _):
            let old = try liveDecision(decisionId, in: stream, state: &state)
            var d = old
            d.amount = amount
            d.basis = basis
            try state.putDecision(d, old: old)

        case .fundingCancelled(let decisionId, _):
            let old = try liveDecision(decisionId, in: stream, state: &state)
            var d = old
            d.cancelled = true
            try state.setSlotHolder(d.slot, decision: nil)
            try state.putDecision(d, old: old)
            c.removeFundedYear(d.year)

        case let .paymentMade(paymentId, decisionId, kind, amount, _, overpayment):
            if try state.paymentExists(paymentId) {
                throw Rejection("payment-id-taken", "payment \(paymentId) already exists; payment ids are unique in the store")
            }
            let old = try decisionInStream(decisionId, stream: stream, state: &state)
            guard amount > .zero else { throw Rejection("amount-not-positive", "a payment must be more than 0.00, not \(amount)") }
            if kind == .balance && old.basis != .final {
                throw Rejection("balance-needs-final", "a balance payment needs decision \(decisionId) to have basis final; it is \(old.basis.rawValue)")
            }
            var d = old
            d.paid += amount
            if !overpayment && d.paid - d.recovered > d.decided {
                throw Rejection("payment-exceeds-decided", "payment \(amount) would bring paid − recovered to \(d.paid - d.recovered) over decided \(d.decided) (already paid \(old.paid), recovered \(old.recovered)) for decision \(decisionId); a payment made in excess is recorded with overpayment: true")
            }
            try state.putPayment(paymentId, decision: decisionId)
            try state.putDecision(d, old: old)

        case let .recoveryOrdered(recoveryId, decisionId, amount, _):
            if try state.recoveryExists(recoveryId) {
                throw Rejection("recovery-id-taken", "recovery \(recoveryId) already exists; recovery ids are unique in the store")
            }
            let old = try decisionInStream(decisionId, stream: stream, state: &state)
            guard amount > .zero else { throw Rejection("amount-not-positive", "a recovery must be more than 0.00, not \(amount)") }
            var d = old
            d.recovered += amount
            if d.recovered > d.paid {
                throw Rejection("recovery-exceeds-paid", "recovery \(amount) would bring recovered to \(d.recovered) over paid \(d.paid) for decision \(decisionId)")
            }
            if d.paid - d.recovered < d.decided {
                throw Rejection("recovery-exceeds-overpayment", "recovery \(amount) is more than the overpayment \(old.paid - old.recovered - old.decided) of decision \(decisionId) (decided \(old.decided), paid \(old.paid), recovered \(old.recovered))")
            }
            try state.putRecovery(recoveryId, decision: decisionId)
            try state.putDecision(d, old: old)

        case .conventionTerminated(let reason):
            if c.status == .terminated {
                throw Rejection("convention-terminated", "convention \(stream) is already terminated")
            }
            c.status = .terminated
            c.termination = .init(date: date, reason: reason)
        }
        c.version = position.version
        c.lastSeq = position.seq
    }

    private static func checkSignatories(_ ids: [String], signers: [Signer], in c: inout ConventionState, needsOther: Bool, needsCaf: Bool = true) throws(Rejection) {
        for id in ids where !c.hasMember(id) {
            throw Rejection("signatory-not-member", "signatory \(id) is not a current member of \(c.id)")
        }
        if needsCaf && !ids.contains(where: { $0.sameBytes(c.caf.id) }) {
            throw Rejection("signatories-need-caf", "the Caf \(c.caf.id) must be among the signatories")
        }
        if needsOther && !ids.contains(where: { !$0.sameBytes(c.caf.id) }) {
            throw Rejection("signatories-need-partner", "a convention is signed by the Caf and at least one other member")
        }
        for signer in signers where !ids.contains(where: { $0.sameBytes(signer.partnerId) }) {
            throw Rejection("signer-not-signatory", "signer for \(signer.partnerId) is not among this event's signatories")
        }
    }

    private static func decisionInStream(_ id: String, stream: String, state: inout some LedgerState) throws -> DecisionState {
        guard let d = try state.decision(id), d.stream.sameBytes(stream) else {
            throw Rejection("decision-unknown", "decision \(id) does not exist in \(stream)")
        }
        return d
    }

    private static func liveDecision(_ id: String, in stream: String, state: inout some LedgerState) throws -> DecisionState {
        let d = try decisionInStream(id, stream: stream, state: &state)
        if d.cancelled {
            throw Rejection("decision-cancelled", "decision \(id) is cancelled; a new decision is needed")
        }
        return d
    }
}
