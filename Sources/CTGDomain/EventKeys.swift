import StrictJSON
import EventLog

extension DomainEvent {
    /// Every key an event may hold, envelope and payload (the schemas' property names):
    /// the parser makes each once (see `KeyTable`). A key missing here is still parsed,
    /// only more slowly; a test checks the fixtures use no other.
    public static let keys = KeyTable(Envelope.keyNames + payloadKeyNames)

    static let payloadKeyNames: [String] = [
        "actionId", "actionsReviewed", "amendment", "amount", "attendees", "axisId", "basis", "beneficiary",
        "bodies", "caf", "cafOrdinal", "capacity", "code", "committee", "committeeId", "correction",
        "decisionId", "decisions", "domain", "domains", "due", "end", "endedOn", "evaluationId", "facility",
        "findings", "from", "funder", "fundingEffectiveFrom", "indicators", "kind", "lead", "measure",
        "meetingId", "members", "name", "note", "of", "overpayment", "paidOn", "parentAxisId", "partner",
        "partnerId", "paymentId", "percent", "period", "periodEnd", "person", "place", "predecessor",
        "qualifier", "reason", "recoveryId", "ref", "role", "scheme", "scope", "share", "signBy",
        "signatories", "signers", "siret", "start", "status", "summary", "territory", "title", "to", "unit",
        "value", "year"
    ]
}
