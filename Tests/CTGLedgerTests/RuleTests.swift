import CTGLedger
import EventLog
import StrictJSON
import Testing

/// One rule of spec §3: events before, an event the rule accepts, one it rejects.
struct RuleCase: CustomTestStringConvertible, Sendable {
    let code: String
    let prelude: @Sendable (inout Events) -> [String]
    let accepted: @Sendable (inout Events) -> String
    let rejected: @Sendable (inout Events) -> String
    var testDescription: String { code }
}

let ruleCases: [RuleCase] = [
    RuleCase(code: "convention-not-opened", prelude: { e in e.signedConvention() },
             accepted: { e in e.line("PartnerJoined", "2023-02-01", ["partner": ["id": "p9", "name": "P", "role": "association"]]) },
             rejected: { e in var o = Events("ctg-other"); return o.line("PartnerJoined", "2023-02-01", ["partner": ["id": "p9", "name": "P", "role": "association"]]) }),
    RuleCase(code: "convention-exists", prelude: { e in e.signedConvention() },
             accepted: { e in var o = Events("ctg-second"); return o.signedConvention()[0] },
             rejected: { e in e.signedConvention()[0] }),
    RuleCase(code: "caf-role", prelude: { _ in [] },
             accepted: { e in e.signedConvention()[0] },
             rejected: { e in e.line("ConventionOpened", "2023-01-05", ["title": "T", "caf": ["id": "x", "name": "X", "role": "epci"], "territory": ["name": "T", "kind": "epci"], "period": ["start": "2023-01-01", "end": "2026-12-31"], "domains": []]) }),
    RuleCase(code: "period-reversed", prelude: { _ in [] },
             accepted: { e in e.signedConvention()[0] },
             rejected: { e in e.line("ConventionOpened", "2023-01-05", ["title": "T", "caf": ["id": "caf01", "name": "X", "role": "caf"], "territory": ["name": "T", "kind": "epci"], "period": ["start": "2027-01-01", "end": "2026-12-31"], "domains": []]) }),
    RuleCase(code: "partner-already-member", prelude: { e in e.signedConvention() },
             accepted: { e in e.line("PartnerJoined", "2023-04-01", ["partner": ["id": "assoc01", "name": "A", "role": "association"]]) },
             rejected: { e in e.line("PartnerJoined", "2023-04-01", ["partner": ["id": "epci01", "name": "CC", "role": "epci"]]) }),
    RuleCase(code: "partner-not-member", prelude: { e in e.signedConvention() },
             accepted: { e in e.line("PartnerLeft", "2023-04-01", ["partnerId": "commune01", "reason": "fusion"]) },
             rejected: { e in e.line("PartnerLeft", "2023-04-01", ["partnerId": "nobody", "reason": "?"]) }),
    RuleCase(code: "caf-cannot-leave", prelude: { e in e.signedConvention() },
             accepted: { e in e.line("PartnerLeft", "2023-04-01", ["partnerId": "commune01", "reason": "fusion"]) },
             rejected: { e in e.line("PartnerLeft", "2023-04-01", ["partnerId": "caf01", "reason": "?"]) }),
    RuleCase(code: "commitment-not-draft", prelude: { e in Array(e.signedConvention().prefix(3)) + [e.line("CommitmentSigned", "2023-02-01", ["signatories": ["caf01", "epci01"]])] },
             accepted: { e in e.line("ConventionSigned", "2023-03-01", ["signatories": ["caf01", "epci01"]]) },
             rejected: { e in e.line("CommitmentSigned", "2023-03-01", ["signatories": ["caf01", "epci01"]]) }),
    RuleCase(code: "signatories-need-caf", prelude: { e in Array(e.signedConvention().prefix(3)) },
             accepted: { e in e.line("CommitmentSigned", "2023-02-01", ["signatories": ["caf01", "epci01"]]) },
             rejected: { e in e.line("CommitmentSigned", "2023-02-01", ["signatories": ["epci01"]]) }),
    RuleCase(code: "signatory-not-member", prelude: { e in Array(e.signedConvention().prefix(3)) },
             accepted: { e in e.line("ConventionSigned", "2023-02-01", ["signatories": ["caf01", "commune01"]]) },
             rejected: { e in e.line("ConventionSigned", "2023-02-01", ["signatories": ["caf01", "stranger"]]) }),
    RuleCase(code: "signatories-need-partner", prelude: { e in Array(e.signedConvention().prefix(3)) },
             accepted: { e in e.line("ConventionSigned", "2023-02-01", ["signatories": ["caf01", "commune01"]]) },
             rejected: { e in e.line("ConventionSigned", "2023-02-01", ["signatories": ["caf01"]]) }),
    RuleCase(code: "already-signed", prelude: { e in e.signedConvention() },
             accepted: { e in e.line("ConventionSigned", "2023-04-01", ["signatories": ["commune01"]]) },
             rejected: { e in e.line("ConventionSigned", "2023-04-01", ["signatories": ["epci01"]]) }),
    RuleCase(code: "signer-not-signatory", prelude: { e in Array(e.signedConvention().prefix(3)) },
             accepted: { e in e.line("ConventionSigned", "2023-02-01", ["signatories": ["caf01", "epci01"], "signers": [["partnerId": "epci01", "person": "M. X", "capacity": "Le Président"]]]) },
             rejected: { e in e.line("ConventionSigned", "2023-02-01", ["signatories": ["caf01", "epci01"], "signers": [["partnerId": "commune01", "person": "Mme Y"]]]) }),
    RuleCase(code: "diagnostic-dates-reversed", prelude: { e in e.signedConvention() },
             accepted: { e in e.line("DiagnosticShared", "2023-04-01", ["from": "2022-01-01", "to": "2022-06-30", "domains": ["jeunesse"], "summary": "s"]) },
             rejected: { e in e.line("DiagnosticShared", "2023-04-01", ["from": "2022-07-01", "to": "2022-06-30", "domains": ["jeunesse"], "summary": "s"]) }),
    RuleCase(code: "axis-id-taken", prelude: { e in e.signedConvention() + [e.line("AxisDefined", "2023-04-01", ["axisId": "a1", "title": "Axe 1"])] },
             accepted: { e in e.line("AxisDefined", "2023-04-01", ["axisId": "a2", "title": "Axe 2", "parentAxisId": "a1", "kind": "objective"]) },
             rejected: { e in e.line("AxisDefined", "2023-04-01", ["axisId": "a1", "title": "Axe 1 bis"]) }),
    RuleCase(code: "axis-parent-unknown", prelude: { e in e.signedConvention() + [e.line("AxisDefined", "2023-04-01", ["axisId": "a1", "title": "Axe 1"])] },
             accepted: { e in e.line("AxisDefined", "2023-04-01", ["axisId": "a2", "title": "Axe 2", "parentAxisId": "a1"]) },
             rejected: { e in e.line("AxisDefined", "2023-04-01", ["axisId": "a2", "title": "Axe 2", "parentAxisId": "a9"]) }),
    RuleCase(code: "action-id-taken", prelude: { e in e.signedConvention() + [e.line("ActionPlanned", "2023-04-01", ["actionId": "fa1", "title": "A", "domain": "jeunesse"])] },
             accepted: { e in e.line("ActionPlanned", "2023-04-01", ["actionId": "fa2", "title": "B", "domain": "jeunesse", "lead": "epci01"]) },
             rejected: { e in e.line("ActionPlanned", "2023-04-01", ["actionId": "fa1", "title": "A", "domain": "jeunesse"]) }),
    RuleCase(code: "axis-unknown", prelude: { e in e.signedConvention() + [e.line("AxisDefined", "2023-04-01", ["axisId": "a1", "title": "Axe 1"])] },
             accepted: { e in e.line("ActionPlanned", "2023-04-01", ["actionId": "fa1", "axisId": "a1", "title": "A", "domain": "jeunesse"]) },
             rejected: { e in e.line("ActionPlanned", "2023-04-01", ["actionId": "fa1", "axisId": "a2", "title": "A", "domain": "jeunesse"]) }),
    RuleCase(code: "lead-not-member", prelude: { e in e.signedConvention() },
             accepted: { e in e.line("ActionPlanned", "2023-04-01", ["actionId": "fa1", "title": "A", "domain": "jeunesse", "lead": "commune01"]) },
             rejected: { e in e.line("ActionPlanned", "2023-04-01", ["actionId": "fa1", "title": "A", "domain": "jeunesse", "lead": "ghost"]) }),
    RuleCase(code: "action-unknown", prelude: { e in e.signedConvention() + [e.line("ActionPlanned", "2023-04-01", ["actionId": "fa1", "title": "A", "domain": "jeunesse"])] },
             accepted: { e in e.line("ActionStatusChanged", "2023-05-01", ["actionId": "fa1", "status": "in_progress"]) },
             rejected: { e in e.line("ActionStatusChanged", "2023-05-01", ["actionId": "fa9", "status": "in_progress"]) }),
    RuleCase(code: "action-transition", prelude: { e in e.signedConvention() + [e.line("ActionPlanned", "2023-04-01", ["actionId": "fa1", "title": "A", "domain": "jeunesse"]), e.line("ActionStatusChanged", "2023-05-01", ["actionId": "fa1", "status": "done"])] },
             accepted: { e in e.line("ActionStatusChanged", "2023-06-01", ["actionId": "fa1", "status": "in_progress", "correction": true, "note": "saisie erronée"]) },
             rejected: { e in e.line("ActionStatusChanged", "2023-06-01", ["actionId": "fa1", "status": "in_progress"]) }),
    RuleCase(code: "correction-needs-note", prelude: { e in e.signedConvention() + [e.line("ActionPlanned", "2023-04-01", ["actionId": "fa1", "title": "A", "domain": "jeunesse"])] },
             accepted: { e in e.line("ActionStatusChanged", "2023-06-01", ["actionId": "fa1", "status": "planned", "correction": true, "note": "n"]) },
             rejected: { e in e.line("ActionStatusChanged", "2023-06-01", ["actionId": "fa1", "status": "planned", "correction": true]) }),
    RuleCase(code: "convention-not-signed", prelude: { e in Array(e.signedConvention().prefix(3)) },
             accepted: { e in e.line("PartnerJoined", "2023-04-01", ["partner": ["id": "assoc01", "name": "A", "role": "association"]]) },
             rejected: { e in e.line("ConventionAmended", "2023-04-01", ["amendment": 1, "summary": "s"]) }),
    RuleCase(code: "amendment-out-of-order", prelude: { e in e.signedConvention() },
             accepted: { e in e.line("ConventionAmended", "2023-04-01", ["amendment": 1, "summary": "s"]) },
             rejected: { e in e.line("ConventionAmended", "2023-04-01", ["amendment": 2, "summary": "s"]) }),
    RuleCase(code: "amendment-shortens-funded-period", prelude: { e in e.signedConvention() + [e.decide("d1", year: 2025, amount: "100.00")] },
             accepted: { e in e.line("ConventionAmended", "2023-04-01", ["amendment": 1, "summary": "s", "periodEnd": "2025-12-31"]) },
             rejected: { e in e.line("ConventionAmended", "2023-04-01", ["amendment": 1, "summary": "s", "periodEnd": "2025-12-30"]) }),
    RuleCase(code: "amendment-period-end", prelude: { e in e.signedConvention() },
             accepted: { e in e.line("ConventionAmended", "2023-04-01", ["amendment": 1, "summary": "s", "periodEnd": "2023-01-01"]) },
             rejected: { e in e.line("ConventionAmended", "2023-04-01", ["amendment": 1, "summary": "s", "periodEnd": "2022-12-31"]) }),
    RuleCase(code: "committee-id-taken", prelude: { e in e.signedConvention() + [e.line("CommitteeFormed", "2023-04-01", ["committeeId": "copil", "kind": "steering", "name": "COPIL"])] },
             accepted: { e in e.line("CommitteeFormed", "2023-04-01", ["committeeId": "cotech", "kind": "technical", "name": "COTECH", "members": ["epci01"]]) },
             rejected: { e in e.line("CommitteeFormed", "2023-04-01", ["committeeId": "copil", "kind": "steering", "name": "COPIL 2"]) }),
    // Lists of ids and of codes hold each item once, compared as bytes.
    RuleCase(code: "duplicate-item", prelude: { e in e.signedConvention() },
             accepted: { e in e.line("CommitteeFormed", "2023-04-01", ["committeeId": "cotech", "kind": "technical", "name": "COTECH", "members": ["epci01", "caf01"]]) },
             rejected: { e in e.line("CommitteeFormed", "2023-04-01", ["committeeId": "cotech", "kind": "technical", "name": "COTECH", "members": ["epci01", "caf01", "epci01"]]) }),
    RuleCase(code: "duplicate-item", prelude: { e in e.signedConvention() },
             accepted: { e in e.line("DiagnosticShared", "2023-04-01", ["from": "2022-01-01", "to": "2022-12-31", "domains": ["enfance", "jeunesse"], "summary": "s"]) },
             rejected: { e in e.line("DiagnosticShared", "2023-04-01", ["from": "2022-01-01", "to": "2022-12-31", "domains": ["enfance", "jeunesse", "enfance"], "summary": "s"]) }),
    RuleCase(code: "committee-member-unknown", prelude: { e in e.signedConvention() },
             accepted: { e in e.line("CommitteeFormed", "2023-04-01", ["committeeId": "cotech", "kind": "technical", "name": "COTECH", "members": ["epci01"]]) },
             rejected: { e in e.line("CommitteeFormed", "2023-04-01", ["committeeId": "cotech", "kind": "technical", "name": "COTECH", "members": ["ghost"]]) }),
    RuleCase(code: "meeting-id-taken", prelude: { e in e.signedConvention() + [e.line("CommitteeMeetingHeld", "2023-05-01", ["meetingId": "m1", "committee": "steering", "attendees": ["caf01"], "decisions": []])] },
             accepted: { e in e.line("CommitteeMeetingHeld", "2023-06-01", ["meetingId": "m2", "committee": "steering", "attendees": ["caf01"], "decisions": ["ok"]]) },
             rejected: { e in e.line("CommitteeMeetingHeld", "2023-06-01", ["meetingId": "m1", "committee": "steering", "attendees": ["caf01"], "decisions": ["ok"]]) }),
    RuleCase(code: "attendee-not-member", prelude: { e in e.signedConvention() },
             accepted: { e in e.line("CommitteeMeetingHeld", "2023-06-01", ["meetingId": "m1", "committee": "steering", "attendees": ["caf01", "epci01"], "decisions": []]) },
             rejected: { e in e.line("CommitteeMeetingHeld", "2023-06-01", ["meetingId": "m1", "committee": "steering", "attendees": ["caf01", "ghost"], "decisions": []]) }),
    RuleCase(code: "committee-unknown", prelude: { e in e.signedConvention() + [e.line("CommitteeFormed", "2023-04-01", ["committeeId": "copil", "kind": "steering", "name": "COPIL"])] },
             accepted: { e in e.line("CommitteeMeetingHeld", "2023-06-01", ["meetingId": "m1", "committee": "steering", "committeeId": "copil", "attendees": ["caf01"], "decisions": []]) },
             rejected: { e in e.line("CommitteeMeetingHeld", "2023-06-01", ["meetingId": "m1", "committee": "steering", "committeeId": "cotech", "attendees": ["caf01"], "decisions": []]) }),
    RuleCase(code: "evaluation-id-taken", prelude: { e in e.signedConvention() + [e.line("EvaluationRecorded", "2023-05-01", ["evaluationId": "ev1", "scope": "convention", "findings": "f"])] },
             accepted: { e in e.line("EvaluationRecorded", "2023-06-01", ["evaluationId": "ev2", "scope": "convention", "findings": "f", "indicators": [["name": "taux", "value": "-12.5", "unit": "%"]]]) },
             rejected: { e in e.line("EvaluationRecorded", "2023-06-01", ["evaluationId": "ev1", "scope": "convention", "findings": "f"]) }),
    RuleCase(code: "evaluation-scope-unknown", prelude: { e in e.signedConvention() + [e.line("ActionPlanned", "2023-04-01", ["actionId": "fa1", "title": "A", "domain": "jeunesse"])] },
             accepted: { e in e.line("EvaluationRecorded", "2023-06-01", ["evaluationId": "ev1", "scope": "fa1", "findings": "f"]) },
             rejected: { e in e.line("EvaluationRecorded", "2023-06-01", ["evaluationId": "ev1", "scope": "fa9", "findings": "f"]) }),
    RuleCase(code: "decision-id-taken", prelude: { e in e.signedConvention() + [e.decide("d1", amount: "100.00")] },
             accepted: { e in e.decide("d2", amount: "100.00", beneficiary: "Crèche B") },
             rejected: { e in e.decide("d1", amount: "100.00", beneficiary: "Crèche B") }),
    RuleCase(code: "funder-not-member", prelude: { e in e.signedConvention() },
             accepted: { e in e.decide("d1", amount: "100.00") },
             rejected: { e in e.line("FundingDecided", "2024-02-01", ["decisionId": "d1", "funder": "msa01", "beneficiary": ["name": "X"], "domain": "enfance", "scheme": "other", "year": 2024, "basis": "provisional", "amount": "1.00"]) }),
    RuleCase(code: "year-outside-period", prelude: { e in e.signedConvention() },
             accepted: { e in e.decide("d1", year: 2026, amount: "100.00") },
             rejected: { e in e.decide("d1", year: 2027, amount: "100.00") }),
    RuleCase(code: "amount-not-positive", prelude: { e in e.signedConvention() },
             accepted: { e in e.decide("d1", amount: "0.01") },
             rejected: { e in e.decide("d1", amount: "0.00") }),
    RuleCase(code: "bonus-needs-commitment", prelude: { e in Array(e.signedConvention().prefix(3)) },
             accepted: { e in e.decide("d1", amount: "10.00", scheme: "prestation_service") },
             rejected: { e in e.decide("d1", amount: "10.00", scheme: "bonus_territoire") }),
    RuleCase(code: "double-funding", prelude: { e in e.signedConvention() + [e.decide("d1", amount: "100.00", facility: "RPE")] },
             accepted: { e in e.decide("d2", amount: "100.00", facility: "Crèche") },
             rejected: { e in e.decide("d2", amount: "100.00", facility: "RPE") }),
    RuleCase(code: "decision-unknown", prelude: { e in e.signedConvention() + [e.decide("d1", amount: "100.00")] },
             accepted: { e in e.revise("d1", "90.00") },
             rejected: { e in e.revise("d9", "90.00") }),
    RuleCase(code: "decision-cancelled", prelude: { e in e.signedConvention() + [e.decide("d1", amount: "100.00"), e.decide("d2", amount: "100.00", beneficiary: "B"), e.cancel("d2")] },
             accepted: { e in e.revise("d1", "90.00") },
             rejected: { e in e.revise("d2", "90.00") }),
    RuleCase(code: "payment-id-taken", prelude: { e in e.signedConvention() + [e.decide("d1", amount: "100.00"), e.pay("p1", "d1", "10.00")] },
             accepted: { e in e.pay("p2", "d1", "10.00") },
             rejected: { e in e.pay("p1", "d1", "10.00") }),
    RuleCase(code: "balance-needs-final", prelude: { e in e.signedConvention() + [e.decide("d1", amount: "100.00")] },
             accepted: { e in e.pay("p1", "d1", "10.00") },
             rejected: { e in e.pay("p1", "d1", "10.00", kind: "balance") }),
    RuleCase(code: "payment-exceeds-decided", prelude: { e in e.signedConvention() + [e.decide("d1", amount: "1000.00"), e.pay("p1", "d1", "350.00")] },
             accepted: { e in e.pay("p2", "d1", "650.00") },
             rejected: { e in e.pay("p2", "d1", "650.01") }),
    RuleCase(code: "recovery-exceeds-overpayment", prelude: { e in e.signedConvention() + [e.decide("d1", amount: "1000.00"), e.pay("p1", "d1", "1000.00"), e.revise("d1", "800.00")] },
             accepted: { e in e.recover("r1", "d1", "200.00") },
             rejected: { e in e.recover("r1", "d1", "200.01") }),
    RuleCase(code: "recovery-exceeds-paid", prelude: { e in e.signedConvention() + [e.decide("d1", amount: "1000.00"), e.pay("p1", "d1", "300.00"), e.cancel("d1")] },
             accepted: { e in e.recover("r1", "d1", "300.00") },
             rejected: { e in e.recover("r1", "d1", "300.01") }),
    RuleCase(code: "recovery-id-taken", prelude: { e in e.signedConvention() + [e.decide("d1", amount: "1000.00"), e.pay("p1", "d1", "500.00"), e.cancel("d1"), e.recover("r1", "d1", "100.00")] },
             accepted: { e in e.recover("r2", "d1", "100.00") },
             rejected: { e in e.recover("r1", "d1", "100.00") }),
    RuleCase(code: "convention-terminated", prelude: { e in e.signedConvention() + [e.decide("d1", amount: "100.00"), e.line("ConventionTerminated", "2025-01-01", ["reason": "fin"])] },
             accepted: { e in e.pay("p1", "d1", "100.00") },
             rejected: { e in e.line("PartnerJoined", "2025-02-01", ["partner": ["id": "late", "name": "L", "role": "other"]]) }),
]

@Suite("Every rule of spec §3 accepts good events and rejects bad ones, leaving the store unchanged")
struct RuleTests {
    @Test("the rule accepts its good case", arguments: ruleCases)
    func acceptsGoodCase(_ rule: RuleCase) throws {
        let store = TempStore()
        var events = Events("ctg-test")
        let prelude = rule.prelude(&events)
        let good = rule.accepted(&events)
        let summary = try store.importLines(prelude + [good])
        #expect(summary.appended == prelude.count + 1)
    }

    @Test("the rule rejects its bad case with its code, and the batch changes nothing", arguments: ruleCases)
    func rejectsBadCase(_ rule: RuleCase) throws {
        let store = TempStore()
        var events = Events("ctg-test")
        let prelude = rule.prelude(&events)
        let bad = rule.rejected(&events)
        if !prelude.isEmpty { try store.importLines(prelude, name: "prelude.ndjson") }
        let before = try store.export()
        let error = expectRejection(rule.code) { try store.importLines([prelude.last ?? "", bad].filter { !$0.isEmpty }) }
        #expect(try store.export() == before)
        // The message names the file, the line and the event id.
        let badId = (try? JSONParser.parse(bad))?.objectValue?["id"]?.stringValue
        #expect(error?.line == (prelude.isEmpty ? 1 : 2))
        #expect(error?.eventId == badId)
        #expect(error?.file?.hasSuffix("batch.ndjson") == true)
    }

    @Test("a rejected event rejects the valid events before it in the same file")
    func rejectedBatchIsAtomic() throws {
        let store = TempStore()
        var events = Events("ctg-test")
        var lines = events.signedConvention()
        lines.append(events.decide("d1", amount: "100.00"))
        lines.append(events.pay("p1", "d1", "100.01"))
        expectRejection("payment-exceeds-decided") { try store.importLines(lines) }
        #expect(try store.export().isEmpty)
        let conventions = try store.ledger.conventionsReport(asOf: nil)
        #expect(conventions.json == .array([]))
    }

    @Test("a payment error names the decided, paid and offending amounts")
    func paymentErrorNamesAmounts() throws {
        let store = TempStore()
        var events = Events("ctg-test")
        try store.importLines(events.signedConvention() + [events.decide("d1", amount: "1000.00"), events.pay("p1", "d1", "350.00")])
        let error = expectRejection("payment-exceeds-decided") { try store.importLines([events.pay("p2", "d1", "650.01")]) }
        let message = error?.description ?? ""
        #expect(message.contains("650.01"))
        #expect(message.contains("1000.01"))
        #expect(message.contains("1000.00"))
        #expect(message.contains("350.00"))
    }

    @Test("an overpayment declared as such is recorded, then only the overpayment can be recovered")
    func overpaymentThenRecovery() throws {
        let store = TempStore()
        var events = Events("ctg-test")
        try store.importLines(events.signedConvention() + [events.decide("d1", amount: "100.00"), events.pay("p1", "d1", "150.00", overpayment: true)])
        expectRejection("recovery-exceeds-overpayment") { try store.importLines([events.recover("r1", "d1", "50.01")]) }
        try store.importLines([events.recover("r1", "d1", "50.00")])
        let totals = try store.ledger.fundingReport(by: .convention, convention: nil, year: nil)
        #expect(JSONWriter.ordered(totals.json) == #"{"by":"convention","groups":[{"key":"ctg-test","decided":"100.00","paid":"150.00","recovered":"50.00","balance":"0.00"}],"total":{"decided":"100.00","paid":"150.00","recovered":"50.00","balance":"0.00"}}"#)
    }

    @Test("a cancelled decision frees its slot for a new decision")
    func cancellationFreesSlot() throws {
        let store = TempStore()
        var events = Events("ctg-test")
        try store.importLines(events.signedConvention() + [events.decide("d1", amount: "100.00"), events.cancel("d1"), events.decide("d2", amount: "120.00")])
        let report = try store.ledger.decisionsReport(convention: "ctg-test")
        #expect(report.json.arrayValue?.count == 2)
    }

    @Test("a former member may rejoin and is then a current member again")
    func formerMemberRejoins() throws {
        let store = TempStore()
        var events = Events("ctg-test")
        try store.importLines(events.signedConvention() + [
            events.line("PartnerLeft", "2023-05-01", ["partnerId": "commune01", "reason": "sortie"]),
            events.line("PartnerJoined", "2023-06-01", ["partner": ["id": "commune01", "name": "Commune test", "role": "commune"]]),
        ])
        let state = try store.ledger.convention("ctg-test")
        #expect(state.isMember("commune01"))
        #expect(state.formerMembers.isEmpty)
    }

    @Test("a partner who left cannot fund, even after as many others joined in the same file")
    func formerMemberCannotFund() throws {
        let store = TempStore()
        var events = Events("ctg-test")
        func decision(_ id: String, funder: String) -> String {
            events.line("FundingDecided", "2024-02-01", ["decisionId": .string(id), "funder": .string(funder), "beneficiary": ["name": "X"], "domain": "enfance", "scheme": "other", "year": 2024, "basis": "provisional", "amount": "1.00"])
        }
        // Members are found through an index of positions; leaving and joining keeps
        // their count, so the index still places epci01 where commune01 now is.
        var lines = events.signedConvention()
        lines.append(decision("d1", funder: "epci01"))
        lines.append(events.line("PartnerLeft", "2023-05-01", ["partnerId": "epci01", "reason": "sortie"]))
        lines.append(events.line("PartnerJoined", "2023-06-01", ["partner": ["id": "assoc01", "name": "A", "role": "association"]]))
        lines.append(decision("d2", funder: "assoc01"))
        lines.append(decision("d3", funder: "epci01"))
        let error = expectRejection("funder-not-member") { try store.importLines(lines) }
        #expect(error?.line == lines.count)
        #expect(try store.export().isEmpty)
    }

    @Test("a current member cannot join again, whoever left and joined before (joins are checked through the member index alone)")
    func currentMemberCannotRejoin() throws {
        let store = TempStore()
        var events = Events("ctg-test")
        var lines = events.signedConvention()
        lines.append(events.line("PartnerLeft", "2023-05-01", ["partnerId": "epci01", "reason": "sortie"]))
        lines.append(events.line("PartnerJoined", "2023-06-01", ["partner": ["id": "assoc01", "name": "A", "role": "association"]]))
        lines.append(events.line("PartnerJoined", "2023-06-02", ["partner": ["id": "epci01", "name": "EPCI", "role": "epci"]]))
        try store.importLines(lines)
        for again in ["assoc01", "epci01", "commune01", "caf01"] {
            let error = expectRejection("partner-already-member") {
                try store.importLines([events.line("PartnerJoined", "2023-07-01", ["partner": ["id": .string(again), "name": "X", "role": "other"]])])
            }
            #expect(error?.description.contains(again) == true)
        }
        #expect(try store.ledger.convention("ctg-test").members.count == 4)
    }

    @Test("ids are compared as UTF-8 bytes: canonically equivalent partner ids are different partners")
    func idsAreBytes() throws {
        let store = TempStore()
        var events = Events("ctg-test")
        // "é" precomposed (U+00E9) and decomposed (e + U+0301) are == for Swift's String.
        try store.importLines(events.signedConvention() + [
            events.line("PartnerJoined", "2023-05-01", ["partner": ["id": "caf\u{E9}", "name": "A", "role": "other"]]),
            events.line("PartnerJoined", "2023-05-01", ["partner": ["id": "cafe\u{301}", "name": "B", "role": "other"]]),
        ])
        #expect(try store.ledger.convention("ctg-test").members.count == 5)
    }
}
