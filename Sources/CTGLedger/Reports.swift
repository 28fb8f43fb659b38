import CTGDomain
import CTGProjections
import EventLog
import StrictJSON

/// The JSON shapes of spec §5 and the tables that go with them.
public enum Reports {
    static func date(_ d: CalendarDate?) -> JSONValue { d.map { .string($0.description) } ?? .null }

    static func object(_ members: [(String, JSONValue?)]) -> JSONValue {
        .object(JSONObject(members.compactMap { key, value in value.map { JSONMember(key, $0) } }))
    }

    static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }

    static func period(_ p: Period) -> JSONValue { object([("start", .string(p.start.description)), ("end", .string(p.end.description))]) }

    static func partner(_ p: Partner) -> [(String, JSONValue?)] {
        [("id", .string(p.id)), ("name", .string(p.name)), ("role", .string(p.role.rawValue)), ("code", p.code.map(JSONValue.string))]
    }

    static func signers(_ s: [Signer]) -> JSONValue {
        .array(s.map { object([("partnerId", .string($0.partnerId)), ("person", $0.person.map(JSONValue.string)), ("capacity", $0.capacity.map(JSONValue.string))]) })
    }

    // MARK: Conventions

    /// What `ctg conventions` shows of one convention, taken from its state as it is
    /// read, so that a listing of thousands holds rows, not states.
    public struct ConventionRow: Sendable {
        let id: String
        let title: String
        let status: String
        let period: Period
        let version: UInt64
        let members: Int

        public init(_ c: ConventionState, asOf: CalendarDate?) {
            (id, title, status, period, version, members) = (c.id, c.title, c.displayStatus(asOf: asOf), c.period, c.version, c.members.count)
        }
    }

    /// `ctg conventions`: `[{"id","title","status","period","version"}]` sorted by id.
    public static func conventions(_ list: [ConventionState], asOf: CalendarDate?) -> Report {
        conventions(list.map { ConventionRow($0, asOf: asOf) })
    }

    public static func conventions(_ list: [ConventionRow]) -> Report {
        let json = JSONValue.array(list.map { c in
            object([("id", .string(c.id)), ("title", .string(c.title)), ("status", .string(c.status)),
                    ("period", period(c.period)), ("version", .integer(Int64(c.version)))])
        })
        let table = TableData(
            headers: ["id", "status", "start", "end", "version", "members", "title"],
            rows: list.map { [$0.id, $0.status, $0.period.start.description, $0.period.end.description, String($0.version), String($0.members), $0.title] },
            numeric: [4, 5])
        return Report(json: json, tables: [table])
    }

    /// `ctg convention ID`: the whole state.
    public static func convention(_ c: ConventionState, asOf: CalendarDate?) -> Report {
        let json = conventionJSON(c, asOf: asOf)
        var preamble = [
            "\(c.id) — \(c.title)",
            "status \(c.displayStatus(asOf: asOf)), period \(c.period.start) – \(c.period.end)\(c.period.end != c.originalEnd ? " (first agreed end \(c.originalEnd))" : ""), version \(c.version)",
            "Caf \(c.caf.name) (\(c.caf.id)); territory \(c.territory.name) (\(c.territory.kind.rawValue)\(c.territory.code.map { ", \($0)" } ?? ""))",
            "signed on \(c.signedOn?.description ?? "not signed")\(c.commitment.map { "; acte d'engagement signed on \($0.signedOn)" } ?? "")",
        ]
        if let t = c.termination { preamble.append("terminated on \(t.date): \(t.reason)") }
        if !c.domains.isEmpty { preamble.append("domains: \(c.domains.map(\.rawValue).joined(separator: ", "))") }
        var tables = [
            TableData(title: "\nMembers (\(c.members.count))", headers: ["id", "role", "joined", "signed", "name"],
                      rows: c.members.map { m in [m.partner.id, m.partner.role.rawValue, m.joinedOn.description, c.signatories.first { $0.partnerId.sameBytes(m.partner.id) }?.signedOn.description ?? "", m.partner.name] }),
        ]
        if !c.formerMembers.isEmpty {
            tables.append(TableData(title: "\nFormer members", headers: ["id", "role", "left", "reason"], rows: c.formerMembers.map { [$0.partner.id, $0.partner.role.rawValue, $0.leftOn.description, $0.reason] }))
        }
        if !c.axes.isEmpty {
            tables.append(TableData(title: "\nAxes (\(c.axes.count))", headers: ["id", "kind", "parent", "title"], rows: c.axes.map { [$0.id, $0.kind?.rawValue ?? "", $0.parentAxisId ?? "", $0.title] }))
        }
        tables.append(actionsTable(c))
        tables.append(meetingsTable(c))
        if !c.evaluations.isEmpty {
            tables.append(TableData(title: "\nEvaluations", headers: ["id", "date", "scope", "findings"], rows: c.evaluations.map { [$0.id, $0.date.description, $0.scope, $0.findings] }))
        }
        if !c.baselines.isEmpty {
            tables.append(TableData(title: "\nFunding baselines (context, not in totals)", headers: ["year", "amount", "qualifier", "measure", "scope"],
                                    rows: c.baselines.map { [String($0.year), $0.amount.grouped, $0.qualifier.rawValue, $0.measure.rawValue, $0.scope] }, numeric: [1]))
        }
        var report = Report(json: json, tables: tables, preamble: preamble)
        report.csvTable = TableData(headers: ["field", "value"], rows: [
            ["id", c.id], ["title", c.title], ["status", c.displayStatus(asOf: asOf)],
            ["periodStart", c.period.start.description], ["periodEnd", c.period.end.description], ["version", String(c.version)],
            ["signedOn", c.signedOn?.description ?? ""], ["commitmentSignedOn", c.commitment?.signedOn.description ?? ""],
            ["caf", c.caf.id], ["territory", c.territory.name], ["members", String(c.members.count)],
            ["signatories", String(c.signatories.count)], ["axes", String(c.axes.count)], ["actions", String(c.actions.count)],
            ["meetings", String(c.meetings.count)], ["evaluations", String(c.evaluations.count)], ["amendments", String(c.amendments.count)],
            ["decisions", String(c.decisionCount)], ["terminatedOn", c.termination?.date.description ?? ""],
        ])
        return report
    }

    static func actionsTable(_ c: ConventionState) -> TableData {
        TableData(title: "\nActions (\(c.actions.count))", headers: ["id", "status", "since", "due", "lead", "axis", "title"],
                  rows: c.actions.map { [$0.id, $0.status.rawValue, $0.history.last?.date.description ?? "", $0.due?.description ?? "", $0.lead ?? "", $0.axisId ?? "", $0.title] })
    }

    static func meetingsTable(_ c: ConventionState) -> TableData {
        TableData(title: "\nMeetings (\(c.meetings.count))", headers: ["id", "date", "committee", "attendees", "decisions"],
                  rows: c.meetings.map { [$0.id, $0.date.description, $0.committeeId ?? $0.committee.rawValue, String($0.attendees.count), $0.decisions.joined(separator: "; ")] },
                  numeric: [3])
    }

    static func conventionJSON(_ c: ConventionState, asOf: CalendarDate?) -> JSONValue {
        object([
            ("id", .string(c.id)), ("title", .string(c.title)), ("status", .string(c.displayStatus(asOf: asOf))),
            ("period", period(c.period)), ("version", .integer(Int64(c.version))), ("signedOn", date(c.signedOn)),
            ("members", .array(c.members.map { m in object(partner(m.partner) + [("joinedOn", .string(m.joinedOn.description))]) })),
            ("actions", .array(c.actions.map(actionJSON))),
            ("meetings", .array(c.meetings.map { m in
                object([("id", .string(m.id)), ("committee", .string(m.committee.rawValue)), ("date", .string(m.date.description)),
                        ("committeeId", m.committeeId.map(JSONValue.string)), ("attendees", strings(m.attendees)),
                        ("decisions", strings(m.decisions)), ("actionsReviewed", strings(m.actionsReviewed))])
            })),
            ("caf", object(partner(c.caf))),
            ("territory", object([("name", .string(c.territory.name)), ("kind", .string(c.territory.kind.rawValue)), ("code", c.territory.code.map(JSONValue.string))])),
            ("originalPeriodEnd", .string(c.originalEnd.description)),
            ("domains", strings(c.domains.map(\.rawValue))),
            ("cafOrdinal", c.cafOrdinal.map { .integer(Int64($0)) }),
            ("predecessor", c.predecessor.map(JSONValue.string)),
            ("openedOn", .string(c.openedOn.description)),
            ("formerMembers", .array(c.formerMembers.map { m in
                object(partner(m.partner) + [("joinedOn", .string(m.joinedOn.description)), ("leftOn", .string(m.leftOn.description)), ("reason", .string(m.reason))])
            })),
            ("commitment", c.commitment.map { k in
                object([("signedOn", .string(k.signedOn.description)), ("signatories", strings(k.signatories)), ("signers", signers(k.signers)),
                        ("signBy", k.signBy.map { .string($0.description) }), ("place", k.place.map(JSONValue.string)),
                        ("predecessor", k.predecessor.map { object([("kind", .string($0.kind.rawValue)), ("endedOn", .string($0.endedOn.description))]) }),
                        ("fundingEffectiveFrom", k.fundingEffectiveFrom.map { .string($0.description) })])
            } ?? .null),
            ("signatories", .array(c.signatories.map { s in
                object([("partnerId", .string(s.partnerId)), ("signedOn", .string(s.signedOn.description)), ("signers", signers(s.signers)), ("place", s.place.map(JSONValue.string))])
            })),
            ("amendments", .array(c.amendments.map { a in
                object([("amendment", .integer(Int64(a.number))), ("date", .string(a.date.description)), ("summary", .string(a.summary)), ("periodEnd", a.periodEnd.map { .string($0.description) })])
            })),
            ("diagnostics", .array(c.diagnostics.map { d in
                object([("date", .string(d.date.description)), ("from", .string(d.period.start.description)), ("to", .string(d.period.end.description)), ("domains", strings(d.domains.map(\.rawValue))), ("summary", .string(d.summary))])
            })),
            ("fundingBaselines", .array(c.baselines.map { b in
                object([("year", .integer(Int64(b.year))), ("amount", .string(b.amount.description)), ("qualifier", .string(b.qualifier.rawValue)),
                        ("measure", .string(b.measure.rawValue)), ("scope", .string(b.scope)), ("domains", b.domains.map { strings($0.map(\.rawValue)) }),
                        ("share", b.share.map { object([("of", .string($0.of)), ("percent", .string($0.percent))]) })])
            })),
            ("axes", .array(c.axes.map { a in
                object([("id", .string(a.id)), ("title", .string(a.title)), ("kind", a.kind.map { .string($0.rawValue) }), ("parentAxisId", a.parentAxisId.map(JSONValue.string)), ("ref", a.ref.map(JSONValue.string))])
            })),
            ("committees", .array(c.committees.map { k in
                object([("id", .string(k.id)), ("kind", .string(k.kind.rawValue)), ("name", .string(k.name)), ("members", strings(k.members)), ("bodies", strings(k.bodies))])
            })),
            ("evaluations", .array(c.evaluations.map { e in
                object([("id", .string(e.id)), ("date", .string(e.date.description)), ("scope", .string(e.scope)), ("findings", .string(e.findings)),
                        ("indicators", .array(e.indicators.map { object([("name", .string($0.name)), ("value", .string($0.value)), ("unit", .string($0.unit))]) }))])
            })),
            ("amendmentCount", .integer(Int64(c.amendments.count))),
            ("decisionCount", .integer(Int64(c.decisionCount))),
            ("termination", c.termination.map { object([("date", .string($0.date.description)), ("reason", .string($0.reason))]) } ?? .null),
        ])
    }

    static func actionJSON(_ a: ConventionState.Action) -> JSONValue {
        object([
            ("id", .string(a.id)), ("title", .string(a.title)), ("status", .string(a.status.rawValue)),
            ("axisId", a.axisId.map(JSONValue.string)), ("domain", .string(a.domain.rawValue)), ("lead", a.lead.map(JSONValue.string)),
            ("due", a.due.map { .string($0.description) }), ("ref", a.ref.map(JSONValue.string)),
            ("history", .array(a.history.map { h in
                object([("status", .string(h.status.rawValue)), ("date", .string(h.date.description)), ("seq", .integer(Int64(h.seq))),
                        ("note", h.note.map(JSONValue.string)), ("correction", h.correction.map(JSONValue.bool))])
            })),
        ])
    }

    /// `ctg actions ID`: actions in planning order, each with its status history.
    public static func actions(_ c: ConventionState) -> Report {
        var rows: [[String]] = []
        for a in c.actions {
            for h in a.history {
                rows.append([a.id, h.status.rawValue, h.date.description, String(h.seq), h.correction == true ? "correction" : "", h.note ?? "", a.title])
            }
        }
        let history = TableData(headers: ["action", "status", "date", "seq", "kind", "note", "title"], rows: rows, numeric: [3])
        return Report(json: .array(c.actions.map(actionJSON)), tables: [actionsTable(c)] + [TableData(title: "\nStatus history", headers: history.headers, rows: history.rows, numeric: [3])])
            .csvFirst(history)
    }

    /// `ctg meetings ID`: meetings in seq order.
    public static func meetings(_ c: ConventionState) -> Report {
        let json = conventionJSON(c, asOf: nil).objectValue?["meetings"] ?? .array([])
        return Report(json: json, tables: [meetingsTable(c)])
    }

    // MARK: Funding

    static func totalsJSON(_ t: Totals) -> [(String, JSONValue?)] {
        [("decided", .string(t.decided.description)), ("paid", .string(t.paid.description)),
         ("recovered", .string(t.recovered.description)), ("balance", .string(t.balance.description))]
    }

    /// `ctg funding`: `{"by","groups":[{key,decided,paid,recovered,balance}],"total"}`.
    public static func funding(by grouping: Grouping, groups: [(key: String, totals: Totals)]) -> Report {
        let total = groups.reduce(Totals()) { $0 + $1.totals }
        let json = object([
            ("by", .string(grouping.rawValue)),
            ("groups", .array(groups.map { g in object([("key", .string(g.key))] + totalsJSON(g.totals)) })),
            ("total", object(totalsJSON(total))),
        ])
        var rows = groups.map { [$0.key, $0.totals.decided.grouped, $0.totals.paid.grouped, $0.totals.recovered.grouped, $0.totals.balance.grouped] }
        let table = TableData(headers: [grouping.rawValue, "decided €", "paid €", "recovered €", "balance €"], rows: rows, numeric: [1, 2, 3, 4])
        rows.append(["total", total.decided.grouped, total.paid.grouped, total.recovered.grouped, total.balance.grouped])
        var shown = table
        shown.rows = rows
        let csv = TableData(headers: ["key", "decided", "paid", "recovered", "balance"],
                            rows: groups.map { [$0.key, $0.totals.decided.description, $0.totals.paid.description, $0.totals.recovered.description, $0.totals.balance.description] })
        return Report(json: json, tables: [shown]).csvFirst(csv)
    }

    static func decisionJSON(_ d: DecisionState) -> [(String, JSONValue?)] {
        [("id", .string(d.id)), ("convention", .string(d.stream)), ("funder", .string(d.funder)),
         ("beneficiary", object([("name", .string(d.beneficiary.name)), ("partnerId", d.beneficiary.partnerId.map(JSONValue.string)), ("siret", d.beneficiary.siret.map(JSONValue.string))])),
         ("facility", d.facility.map(JSONValue.string)), ("domain", .string(d.domain.rawValue)), ("scheme", .string(d.scheme.rawValue)),
         ("year", .integer(Int64(d.year))), ("basis", .string(d.basis.rawValue)), ("cancelled", .bool(d.cancelled)),
         ("decidedOn", .string(d.decidedOn.description))] + totalsJSON(Totals(of: d))
    }

    /// `ctg decisions ID`: a convention's decisions with decided, paid, recovered, balance.
    public static func decisions(_ list: [DecisionState]) -> Report {
        let table = TableData(
            headers: ["decision", "year", "scheme", "basis", "beneficiary", "decided €", "paid €", "recovered €", "balance €", "state"],
            rows: list.map { d in [d.id, String(d.year), d.scheme.rawValue, d.basis.rawValue, d.beneficiary.key, d.decided.grouped, d.paid.grouped, d.recovered.grouped, d.balance.grouped, d.cancelled ? "cancelled" : "live"] },
            numeric: [5, 6, 7, 8])
        let csv = TableData(
            headers: ["decision", "convention", "year", "domain", "scheme", "basis", "funder", "beneficiary", "facility", "decided", "paid", "recovered", "balance", "cancelled"],
            rows: list.map { d in [d.id, d.stream, String(d.year), d.domain.rawValue, d.scheme.rawValue, d.basis.rawValue, d.funder, d.beneficiary.key, d.facility ?? "", d.decided.description, d.paid.description, d.recovered.description, d.balance.description, d.cancelled ? "true" : "false"] })
        return Report(json: .array(list.map { object(decisionJSON($0)) }), tables: [table]).csvFirst(csv)
    }
}

extension Report {
    /// Uses `table` for CSV when it differs from the one shown to people.
    func csvFirst(_ table: TableData) -> Report {
        var copy = self
        copy.csvTable = table
        return copy
    }
}
