import EventLog
import StrictJSON

/// Everything the ledger knows of one convention: its projection, and the state the
/// rules check new events against.
public struct ConventionState: Sendable, Equatable {
    public var id: String
    public var title: String
    public var caf: Partner
    public var territory: Territory
    public var period: Period
    /// The end first agreed, before amendments.
    public var originalEnd: CalendarDate
    public var domains: [DomainCode]
    public var cafOrdinal: Int?
    public var predecessor: String?
    public var openedOn: CalendarDate
    public var status: ConventionStatus
    /// Changed only by `Rules`, which keeps `memberIndex` exact (see `hasMember`).
    public internal(set) var members: [Member]
    public var formerMembers: [FormerMember]
    public var commitment: Commitment?
    public var signatories: [Signatory]
    public var signedOn: CalendarDate?
    public var amendments: [Amendment]
    public var diagnostics: [Diagnostic]
    public var baselines: [FundingBaseline]
    public var axes: [Axis]
    public var actions: [Action]
    public var committees: [Committee]
    public var meetings: [Meeting]
    public var evaluations: [Evaluation]
    public var termination: Termination?
    /// Years of the decisions not cancelled, with how many each: an amendment may not end the
    /// period before the last of them.
    public var fundedYears: [YearCount]
    public var decisionCount: Int
    public var version: UInt64
    public var lastSeq: UInt64
    /// Where each id sits in the append-only lists, so a convention with thousands of
    /// actions or meetings is checked without scanning them. Not stored: built on first
    /// use after decoding, kept up to date as the rules append.
    var axisIndex = IDIndex()
    var actionIndex = IDIndex()
    var committeeIndex = IDIndex()
    var meetingIndex = IDIndex()
    var evaluationIndex = IDIndex()
    /// Positions of members' partner ids: exact, as only `Rules` changes the members —
    /// each join is recorded, a departure (which moves the positions after it) empties
    /// it, and it is rebuilt at the next lookup (see `hasMember`).
    var memberIndex = IDIndex()

    /// Positions of ids in a list; equal whatever it holds, being derived.
    struct IDIndex: Sendable, Equatable {
        private var positions: [Key: Int] = [:]

        static func == (_: IDIndex, _: IDIndex) -> Bool { true }

        mutating func position<T>(of id: String, in list: [T], _ idOf: (T) -> String) -> Int? {
            if positions.count != list.count {
                positions = Dictionary(uniqueKeysWithValues: list.enumerated().map { (Key(idOf($1)), $0) })
            }
            return positions[Key(id)]
        }

        /// Records the id appended last to a list of `count` items.
        mutating func appended(_ id: String, count: Int) {
            if positions.count == count - 1 { positions[Key(id)] = count - 1 }
        }
    }

    mutating func axisPosition(_ id: String) -> Int? { axisIndex.position(of: id, in: axes) { $0.id } }
    mutating func actionPosition(_ id: String) -> Int? { actionIndex.position(of: id, in: actions) { $0.id } }
    mutating func committeePosition(_ id: String) -> Int? { committeeIndex.position(of: id, in: committees) { $0.id } }
    mutating func meetingPosition(_ id: String) -> Int? { meetingIndex.position(of: id, in: meetings) { $0.id } }
    mutating func evaluationPosition(_ id: String) -> Int? { evaluationIndex.position(of: id, in: evaluations) { $0.id } }

    public struct Member: Codable, Sendable, Equatable {
        public var partner: Partner
        public var joinedOn: CalendarDate
    }

    public struct FormerMember: Codable, Sendable, Equatable {
        public var partner: Partner
        public var joinedOn: CalendarDate
        public var leftOn: CalendarDate
        public var reason: String
    }

    public struct Commitment: Codable, Sendable, Equatable {
        public var signedOn: CalendarDate
        public var signatories: [String]
        public var signers: [Signer]
        public var signBy: CalendarDate?
        public var place: String?
        public var predecessor: PredecessorContract?
        public var fundingEffectiveFrom: CalendarDate?
    }

    public struct Signatory: Codable, Sendable, Equatable {
        public var partnerId: String
        public var signedOn: CalendarDate
        public var signers: [Signer]
        public var place: String?
    }

    public struct Amendment: Codable, Sendable, Equatable {
        public var number: Int
        public var date: CalendarDate
        public var summary: String
        public var periodEnd: CalendarDate?
    }

    public struct Diagnostic: Codable, Sendable, Equatable {
        public var date: CalendarDate
        public var period: Period
        public var domains: [DomainCode]
        public var summary: String
    }

    public struct Axis: Codable, Sendable, Equatable {
        public var id: String
        public var title: String
        public var kind: AxisKind?
        public var parentAxisId: String?
        public var ref: String?
    }

    public struct Action: Codable, Sendable, Equatable {
        public var id: String
        public var axisId: String?
        public var title: String
        public var domain: DomainCode
        public var lead: String?
        public var due: CalendarDate?
        public var ref: String?
        public var status: ActionStatus
        public var history: [StatusChange]
    }

    public struct StatusChange: Codable, Sendable, Equatable {
        public var status: ActionStatus
        public var date: CalendarDate
        public var seq: UInt64
        public var note: String?
        public var correction: Bool?
    }

    public struct Committee: Codable, Sendable, Equatable {
        public var id: String
        public var kind: CommitteeKind
        public var name: String
        public var members: [String]
        public var bodies: [String]
    }

    public struct Meeting: Codable, Sendable, Equatable {
        public var id: String
        public var committee: CommitteeKind
        public var committeeId: String?
        public var date: CalendarDate
        public var seq: UInt64
        public var attendees: [String]
        public var decisions: [String]
        public var actionsReviewed: [String]
    }

    public struct Evaluation: Codable, Sendable, Equatable {
        public var id: String
        public var date: CalendarDate
        public var scope: String
        public var findings: String
        public var indicators: [Indicator]
    }

    public struct Termination: Codable, Sendable, Equatable {
        public var date: CalendarDate
        public var reason: String
    }

    public struct YearCount: Codable, Sendable, Equatable {
        public var year: Int
        public var count: Int
    }

    /// A rough estimate of the memory this state takes decoded, for a cache that bounds
    /// what it holds: a fixed part and a part per element of its lists (measured on
    /// generated conventions: ~17 KB with ~75 elements, ~0.9 KB with 5), so it grows with
    /// what the convention has been through — funding decisions, kept apart, add nothing.
    public var estimatedMemory: Int {
        var elements = domains.count + members.count + formerMembers.count + signatories.count + amendments.count
            + diagnostics.count + baselines.count + axes.count + actions.count + committees.count + evaluations.count
            + fundedYears.count + (commitment?.signatories.count ?? 0)
        for meeting in meetings {
            elements += 1 + meeting.attendees.count + meeting.decisions.count + meeting.actionsReviewed.count
        }
        return 512 + 224 * elements
    }

    public func member(_ id: String) -> Member? { members.first { $0.partner.id.sameBytes(id) } }
    public func isMember(_ id: String) -> Bool {
        // By index, reading only the id: a closure over members copies each member whole.
        for i in members.indices where members[i].partner.id.sameBytes(id) { return true }
        return false
    }
    /// `isMember` through `memberIndex` (the rules ask it for every partner joining, and
    /// every funder, signatory, lead, committee member and attendee). The index is exact:
    /// members change only in `Rules`, which records each join in it and drops it at each
    /// departure (it is rebuilt at the next lookup), so it answers "no" as well as "yes"
    /// — a scan read every member's id, retaining and releasing each.
    mutating func hasMember(_ id: String) -> Bool {
        memberIndex.position(of: id, in: members, { $0.partner.id }) != nil
    }

    /// `isKnownPartner` through `memberIndex` (see `hasMember`).
    mutating func hasKnownPartner(_ id: String) -> Bool { hasMember(id) || wasMember(id) }

    /// A partner that is or was a member: one a lead, a committee seat or an attendance
    /// may name (a partner who left stays known to the convention).
    public func isKnownPartner(_ id: String) -> Bool { isMember(id) || wasMember(id) }

    private func wasMember(_ id: String) -> Bool {
        for i in formerMembers.indices where formerMembers[i].partner.id.sameBytes(id) { return true }
        return false
    }
    public func action(_ id: String) -> Action? { actions.first { $0.id.sameBytes(id) } }
    public func axis(_ id: String) -> Axis? { axes.first { $0.id.sameBytes(id) } }
    public func committee(_ id: String) -> Committee? { committees.first { $0.id.sameBytes(id) } }
    public func hasSigned(_ id: String) -> Bool { signatories.contains { $0.partnerId.sameBytes(id) } }

    /// The status shown for a business date: a signed convention whose period ended
    /// before `asOf` is `expired`. Never read from the system clock.
    public func displayStatus(asOf: CalendarDate?) -> String {
        if status == .signed, let asOf, period.end < asOf { return "expired" }
        return status.rawValue
    }

    mutating func addFundedYear(_ year: Int) {
        if let i = fundedYears.firstIndex(where: { $0.year == year }) {
            fundedYears[i].count += 1
        } else {
            fundedYears.append(YearCount(year: year, count: 1))
            fundedYears.sort { $0.year < $1.year }
        }
    }

    mutating func removeFundedYear(_ year: Int) {
        guard let i = fundedYears.firstIndex(where: { $0.year == year }) else { return }
        fundedYears[i].count -= 1
        if fundedYears[i].count == 0 { fundedYears.remove(at: i) }
    }
}

/// One funding decision's life: what is decided now, what was paid and recovered.
public struct DecisionState: Sendable, Equatable {
    /// What a decision is, fixed when it is taken: shared by every copy of its state,
    /// so that the copies the rules and the cache make retain one object rather than
    /// each of its strings.
    private final class Identity: Sendable {
        let id: String
        let stream: String
        let funder: String
        let beneficiary: Beneficiary
        let facility: String?
        let domain: DomainCode
        let scheme: Scheme
        let year: Int
        let decidedOn: CalendarDate
        let seq: UInt64

        init(id: String, stream: String, funder: String, beneficiary: Beneficiary, facility: String?, domain: DomainCode, scheme: Scheme, year: Int, decidedOn: CalendarDate, seq: UInt64) {
            (self.id, self.stream, self.funder, self.beneficiary, self.facility) = (id, stream, funder, beneficiary, facility)
            (self.domain, self.scheme, self.year, self.decidedOn, self.seq) = (domain, scheme, year, decidedOn, seq)
        }
    }

    private let identity: Identity
    public var id: String { identity.id }
    public var stream: String { identity.stream }
    public var funder: String { identity.funder }
    public var beneficiary: Beneficiary { identity.beneficiary }
    public var facility: String? { identity.facility }
    public var domain: DomainCode { identity.domain }
    public var scheme: Scheme { identity.scheme }
    public var year: Int { identity.year }
    public var decidedOn: CalendarDate { identity.decidedOn }
    /// The seq of the decision's FundingDecided event.
    public var seq: UInt64 { identity.seq }
    public var basis: Basis
    public var amount: Money
    public var cancelled: Bool
    public var paid: Money
    public var recovered: Money

    public init(id: String, stream: String, funder: String, beneficiary: Beneficiary, facility: String?, domain: DomainCode, scheme: Scheme,
                year: Int, basis: Basis, amount: Money, cancelled: Bool, paid: Money, recovered: Money, decidedOn: CalendarDate, seq: UInt64) {
        identity = Identity(id: id, stream: stream, funder: funder, beneficiary: beneficiary, facility: facility, domain: domain, scheme: scheme, year: year, decidedOn: decidedOn, seq: seq)
        (self.basis, self.amount, self.cancelled, self.paid, self.recovered) = (basis, amount, cancelled, paid, recovered)
    }

    public static func == (a: DecisionState, b: DecisionState) -> Bool {
        a.id.sameBytes(b.id) && a.stream.sameBytes(b.stream) && a.funder.sameBytes(b.funder) && a.beneficiary == b.beneficiary
            && a.facility == b.facility && a.domain == b.domain && a.scheme == b.scheme && a.year == b.year && a.decidedOn == b.decidedOn
            && a.seq == b.seq && a.basis == b.basis && a.amount == b.amount && a.cancelled == b.cancelled && a.paid == b.paid && a.recovered == b.recovered
    }

    /// The amount counted as decided: 0 once cancelled.
    public var decided: Money { cancelled ? .zero : amount }
    /// decided − paid + recovered: positive is still owed, negative is overpaid.
    public var balance: Money { decided - paid + recovered }

    /// The slot no two live decisions may share (no double funding).
    public var slot: FundingSlot {
        FundingSlot(stream: stream, funder: funder, beneficiaryKey: beneficiary.key, facility: facility, scheme: scheme, year: year)
    }
}

/// (stream, funder, beneficiary key, facility, scheme, year): at most one decision not
/// cancelled per slot.
public struct FundingSlot: Hashable, Sendable {
    /// Length-prefixed parts, so no text can make two slots collide; built once, as a slot
    /// is looked up and then written by the same event. The parts are not kept: only
    /// the key is ever read, and keeping them retained five strings per decision.
    public let keyBytes: [UInt8]

    public init(stream: String, funder: String, beneficiaryKey: String, facility: String?, scheme: Scheme, year: Int) {
        var out: [UInt8] = []
        out.reserveCapacity(stream.utf8.count + funder.utf8.count + beneficiaryKey.utf8.count + (facility?.utf8.count ?? 0) + 64)
        // Each part: its length (u32, big-endian), then its bytes; written in place
        // rather than through a temporary array per part.
        // Bytes copied from where each string keeps them (appending a string's UTF-8
        // view went byte by byte).
        func part(_ bytes: UnsafeBufferPointer<UInt8>, marker: UInt8? = nil) {
            let count = bytes.count + (marker == nil ? 0 : 1)
            withUnsafeBytes(of: UInt32(count).bigEndian) { out.append(contentsOf: $0) }
            if let marker { out.append(marker) }
            out.append(contentsOf: bytes)
        }
        stream.withUTF8Bytes { part($0) }
        funder.withUTF8Bytes { part($0) }
        beneficiaryKey.withUTF8Bytes { part($0) }
        if let facility { facility.withUTF8Bytes { part($0, marker: UInt8(ascii: "+")) } } else { "-".withUTF8Bytes { part($0) } }
        scheme.rawValue.withUTF8Bytes { part($0) }
        DecimalDigits.with(UInt64(year)) { part($0) }
        keyBytes = out
    }

    public static func == (a: FundingSlot, b: FundingSlot) -> Bool { a.keyBytes == b.keyBytes }
    public func hash(into hasher: inout Hasher) { hasher.combine(keyBytes) }
}
