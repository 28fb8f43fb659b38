import EventLog

// The binary layout of the projection states; see `BinaryWriter`. Field order here is
// the format: change it only with a new format byte.

extension Partner {
    func write(_ w: inout BinaryWriter) {
        w.string(id); w.string(name); w.code(role); w.optional(code) { $0.string($1) }
    }
    init(_ r: inout BinaryReader) throws {
        self.init(id: try r.string(), name: try r.string(), role: try r.code(), code: try r.optional { try $0.string() })
    }
}

extension Signer {
    func write(_ w: inout BinaryWriter) {
        w.string(partnerId); w.optional(person) { $0.string($1) }; w.optional(capacity) { $0.string($1) }
    }
    init(_ r: inout BinaryReader) throws {
        self.init(partnerId: try r.string(), person: try r.optional { try $0.string() }, capacity: try r.optional { try $0.string() })
    }
}

extension Period {
    func write(_ w: inout BinaryWriter) { w.date(start); w.date(end) }
    init(_ r: inout BinaryReader) throws { self.init(start: try r.date(), end: try r.date()) }
}

extension FundingBaseline {
    func write(_ w: inout BinaryWriter) {
        w.int(year); w.money(amount); w.code(qualifier); w.code(measure); w.string(scope)
        w.optional(domains) { w, d in w.array(d) { $0.code($1) } }
        w.optional(share) { w, s in w.string(s.of); w.string(s.percent) }
    }
    init(_ r: inout BinaryReader) throws {
        self.init(year: try r.int(), amount: try r.money(), qualifier: try r.code(), measure: try r.code(), scope: try r.string(),
                  domains: try r.optional { r in try r.array { try $0.code() } },
                  share: try r.optional { r in Share(of: try r.string(), percent: try r.string()) })
    }
}

extension ConventionState {
    static let format: UInt8 = 1

    /// The stored bytes of this state.
    public func encoded() -> [UInt8] {
        var w = BinaryWriter(capacity: 1024)
        w.varint(UInt64(Self.format))
        w.string(id); w.string(title); caf.write(&w)
        w.string(territory.name); w.code(territory.kind); w.optional(territory.code) { $0.string($1) }
        period.write(&w); w.date(originalEnd)
        w.array(domains) { $0.code($1) }
        w.optional(cafOrdinal) { $0.int($1) }; w.optional(predecessor) { $0.string($1) }
        w.date(openedOn); w.code(status)
        w.elements(members)
        w.elements(formerMembers)
        w.optional(commitment) { w, k in
            w.date(k.signedOn); w.array(k.signatories) { $0.string($1) }; w.elements(k.signers)
            w.optional(k.signBy) { $0.date($1) }; w.optional(k.place) { $0.string($1) }
            w.optional(k.predecessor) { w, p in w.code(p.kind); w.date(p.endedOn) }
            w.optional(k.fundingEffectiveFrom) { $0.date($1) }
        }
        w.elements(signatories)
        w.optional(signedOn) { $0.date($1) }
        w.elements(amendments)
        w.elements(diagnostics)
        w.elements(baselines)
        w.elements(axes)
        w.elements(actions)
        w.elements(committees)
        w.elements(meetings)
        w.elements(evaluations)
        w.optional(termination) { w, t in w.date(t.date); w.string(t.reason) }
        w.elements(fundedYears)
        w.int(decisionCount); w.varint(version); w.varint(lastSeq)
        return w.bytes
    }

    /// Decodes stored bytes; throws on anything but a complete record of this format.
    public init(encoded bytes: [UInt8]) throws {
        var r = BinaryReader(bytes)
        guard try r.varint() == UInt64(Self.format) else { throw BinaryReader.Damaged(what: "convention format") }
        let id = try r.string(), title = try r.string(), caf = try Partner(&r)
        let territory = Territory(name: try r.string(), kind: try r.code(), code: try r.optional { try $0.string() })
        let period = try Period(&r), originalEnd = try r.date()
        let domains: [DomainCode] = try r.array { try $0.code() }
        let ordinal = try r.optional { try $0.int() }, predecessor = try r.optional { try $0.string() }
        let openedOn = try r.date()
        let status: ConventionStatus = try r.code()
        let members = try r.array { r in Member(partner: try Partner(&r), joinedOn: try r.date()) }
        let former = try r.array { r in FormerMember(partner: try Partner(&r), joinedOn: try r.date(), leftOn: try r.date(), reason: try r.string()) }
        let commitment = try r.optional { r in
            Commitment(signedOn: try r.date(), signatories: try r.array { try $0.string() }, signers: try r.array { try Signer(&$0) },
                       signBy: try r.optional { try $0.date() }, place: try r.optional { try $0.string() },
                       predecessor: try r.optional { r in PredecessorContract(kind: try r.code(), endedOn: try r.date()) },
                       fundingEffectiveFrom: try r.optional { try $0.date() })
        }
        let signatories = try r.array { r in
            Signatory(partnerId: try r.string(), signedOn: try r.date(), signers: try r.array { try Signer(&$0) }, place: try r.optional { try $0.string() })
        }
        let signedOn = try r.optional { try $0.date() }
        let amendments = try r.array { r in Amendment(number: try r.int(), date: try r.date(), summary: try r.string(), periodEnd: try r.optional { try $0.date() }) }
        let diagnostics = try r.array { r in Diagnostic(date: try r.date(), period: try Period(&r), domains: try r.array { try $0.code() }, summary: try r.string()) }
        let baselines = try r.array { try FundingBaseline(&$0) }
        let axes = try r.array { r in
            Axis(id: try r.string(), title: try r.string(), kind: try r.optional { try $0.code() }, parentAxisId: try r.optional { try $0.string() }, ref: try r.optional { try $0.string() })
        }
        let actions = try r.array { r in
            Action(id: try r.string(), axisId: try r.optional { try $0.string() }, title: try r.string(), domain: try r.code(), lead: try r.optional { try $0.string() },
                   due: try r.optional { try $0.date() }, ref: try r.optional { try $0.string() }, status: try r.code(),
                   history: try r.array { r in
                       StatusChange(status: try r.code(), date: try r.date(), seq: try r.varint(), note: try r.optional { try $0.string() }, correction: try r.optional { try $0.bool() })
                   })
        }
        let committees = try r.array { r in
            Committee(id: try r.string(), kind: try r.code(), name: try r.string(), members: try r.array { try $0.string() }, bodies: try r.array { try $0.string() })
        }
        let meetings = try r.array { r in
            Meeting(id: try r.string(), committee: try r.code(), committeeId: try r.optional { try $0.string() }, date: try r.date(), seq: try r.varint(),
                    attendees: try r.array { try $0.string() }, decisions: try r.array { try $0.string() }, actionsReviewed: try r.array { try $0.string() })
        }
        let evaluations = try r.array { r in
            Evaluation(id: try r.string(), date: try r.date(), scope: try r.string(), findings: try r.string(),
                       indicators: try r.array { r in Indicator(name: try r.string(), value: try r.string(), unit: try r.string()) })
        }
        let termination = try r.optional { r in Termination(date: try r.date(), reason: try r.string()) }
        let fundedYears = try r.array { r in YearCount(year: try r.int(), count: try r.int()) }
        let decisionCount = try r.int(), version = try r.varint(), lastSeq = try r.varint()
        guard r.isAtEnd else { throw BinaryReader.Damaged(what: "trailing bytes in convention \(id)") }
        self.init(id: id, title: title, caf: caf, territory: territory, period: period, originalEnd: originalEnd, domains: domains,
                  cafOrdinal: ordinal, predecessor: predecessor, openedOn: openedOn, status: status, members: members, formerMembers: former,
                  commitment: commitment, signatories: signatories, signedOn: signedOn, amendments: amendments, diagnostics: diagnostics,
                  baselines: baselines, axes: axes, actions: actions, committees: committees, meetings: meetings, evaluations: evaluations,
                  termination: termination, fundedYears: fundedYears, decisionCount: decisionCount, version: version, lastSeq: lastSeq)
    }
}

extension DecisionState {
    static let format: UInt8 = 1

    public func encoded() -> [UInt8] {
        var w = BinaryWriter(capacity: 160)
        w.varint(UInt64(Self.format))
        w.string(id); w.string(stream); w.string(funder)
        w.string(beneficiary.name); w.optional(beneficiary.partnerId) { $0.string($1) }; w.optional(beneficiary.siret) { $0.string($1) }
        w.optional(facility) { $0.string($1) }
        w.code(domain); w.code(scheme); w.int(year); w.code(basis); w.money(amount); w.bool(cancelled)
        w.money(paid); w.money(recovered); w.date(decidedOn); w.varint(seq)
        return w.bytes
    }

    public init(encoded bytes: [UInt8]) throws {
        var r = BinaryReader(bytes)
        guard try r.varint() == UInt64(Self.format) else { throw BinaryReader.Damaged(what: "decision format") }
        self.init(id: try r.string(), stream: try r.string(), funder: try r.string(),
                  beneficiary: Beneficiary(name: try r.string(), partnerId: try r.optional { try $0.string() }, siret: try r.optional { try $0.string() }),
                  facility: try r.optional { try $0.string() }, domain: try r.code(), scheme: try r.code(), year: try r.int(), basis: try r.code(),
                  amount: try r.money(), cancelled: try r.bool(), paid: try r.money(), recovered: try r.money(), decidedOn: try r.date(), seq: try r.varint())
        guard r.isAtEnd else { throw BinaryReader.Damaged(what: "trailing bytes in decision") }
    }
}

// Each list element writes itself: called on the element in its array's storage, where
// a closure given the element took a copy of it (retaining every string it holds).
extension ConventionState.Member: BinaryWritable {
    func write(_ w: inout BinaryWriter) { partner.write(&w); w.date(joinedOn) }
}

extension ConventionState.FormerMember: BinaryWritable {
    func write(_ w: inout BinaryWriter) { partner.write(&w); w.date(joinedOn); w.date(leftOn); w.string(reason) }
}

extension ConventionState.Signatory: BinaryWritable {
    func write(_ w: inout BinaryWriter) {
        w.string(partnerId); w.date(signedOn); w.elements(signers); w.optional(place) { $0.string($1) }
    }
}

extension ConventionState.Amendment: BinaryWritable {
    func write(_ w: inout BinaryWriter) { w.int(number); w.date(date); w.string(summary); w.optional(periodEnd) { $0.date($1) } }
}

extension ConventionState.Diagnostic: BinaryWritable {
    func write(_ w: inout BinaryWriter) { w.date(date); period.write(&w); w.array(domains) { $0.code($1) }; w.string(summary) }
}

extension ConventionState.Axis: BinaryWritable {
    func write(_ w: inout BinaryWriter) {
        w.string(id); w.string(title); w.optional(kind) { $0.code($1) }; w.optional(parentAxisId) { $0.string($1) }; w.optional(ref) { $0.string($1) }
    }
}

extension ConventionState.Action: BinaryWritable {
    func write(_ w: inout BinaryWriter) {
        w.string(id); w.optional(axisId) { $0.string($1) }; w.string(title); w.code(domain); w.optional(lead) { $0.string($1) }
        w.optional(due) { $0.date($1) }; w.optional(ref) { $0.string($1) }; w.code(status)
        w.elements(history)
    }
}

extension ConventionState.StatusChange: BinaryWritable {
    func write(_ w: inout BinaryWriter) {
        w.code(status); w.date(date); w.varint(seq); w.optional(note) { $0.string($1) }; w.optional(correction) { $0.bool($1) }
    }
}

extension ConventionState.Committee: BinaryWritable {
    func write(_ w: inout BinaryWriter) { w.string(id); w.code(kind); w.string(name); w.array(members) { $0.string($1) }; w.array(bodies) { $0.string($1) } }
}

extension ConventionState.Meeting: BinaryWritable {
    func write(_ w: inout BinaryWriter) {
        w.string(id); w.code(committee); w.optional(committeeId) { $0.string($1) }; w.date(date); w.varint(seq)
        w.array(attendees) { $0.string($1) }; w.array(decisions) { $0.string($1) }; w.array(actionsReviewed) { $0.string($1) }
    }
}

extension ConventionState.Evaluation: BinaryWritable {
    func write(_ w: inout BinaryWriter) { w.string(id); w.date(date); w.string(scope); w.string(findings); w.elements(indicators) }
}

extension Indicator: BinaryWritable {
    func write(_ w: inout BinaryWriter) { w.string(name); w.string(value); w.string(unit) }
}

extension Signer: BinaryWritable {}
extension FundingBaseline: BinaryWritable {}

extension ConventionState.YearCount: BinaryWritable {
    func write(_ w: inout BinaryWriter) { w.int(year); w.int(count) }
}
