import EventLog
import StrictJSON

/// A partner of conventions; its id is stable across conventions (`caf74`).
public struct Partner: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var role: Role
    public var code: String?

    static func read(_ r: inout ObjectReader) throws(Rejection) -> Partner {
        // `code` is meant to be a SIREN, SIRET or INSEE code, but what partners write there
        // varies (département numbers, codes with spaces): it is kept as written, bounded.
        let p = Partner(id: try r.ident("id"), name: try r.name("name"), role: try r.code("role"), code: try r.optionalString("code", maxLength: 32))
        try r.finish()
        return p
    }
}

/// Who signed for a partner (e.g. "Le Maire").
public struct Signer: Codable, Sendable, Equatable {
    public var partnerId: String
    public var person: String?
    public var capacity: String?

    static func read(_ r: inout ObjectReader) throws(Rejection) -> Signer {
        let s = Signer(partnerId: try r.ident("partnerId"), person: try r.optionalName("person"), capacity: try r.optionalName("capacity"))
        try r.finish()
        return s
    }
}

public struct Territory: Codable, Sendable, Equatable {
    public var name: String
    public var kind: Role
    public var code: String?
}

public struct Period: Codable, Sendable, Equatable {
    public var start: CalendarDate
    public var end: CalendarDate
}

public struct Beneficiary: Codable, Sendable, Equatable {
    public var name: String
    public var partnerId: String?
    public var siret: String?

    /// The identity used against double funding and for grouping: `siret` when given, else `name`.
    public var key: String { siret ?? name }
}

public struct Indicator: Codable, Sendable, Equatable {
    public var name: String
    public var value: String
    public var unit: String
}

public struct PredecessorContract: Codable, Sendable, Equatable {
    public var kind: PredecessorKind
    public var endedOn: CalendarDate
}

public struct Share: Codable, Sendable, Equatable {
    public var of: String
    public var percent: String
}
