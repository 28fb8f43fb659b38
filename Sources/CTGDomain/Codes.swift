import EventLog

/// A closed set of codes from spec §3, decoded strictly from strings.
public protocol Code: RawRepresentable, CaseIterable, Codable, Sendable, Hashable where RawValue == String {
    static var codeName: String { get }
}

extension Code {
    static func decode(_ text: String, at pointer: @autoclosure () -> String) throws(Rejection) -> Self {
        // Byte comparison: "caf" written with a look-alike or a combining mark is not "caf".
        // `init(rawValue:)` finds the candidate (String equality, which admits canonical
        // equivalents), the byte comparison confirms it.
        if let c = Self(rawValue: text), c.rawValue.sameBytes(text) { return c }
        throw Rejection(
            "invalid-\(codeName)",
            "\(pointer()) \"\(text)\" is not a \(codeName); expected one of \(allCases.map(\.rawValue).joined(separator: ", "))")
    }
}

public enum Role: String, Code {
    case caf, epci, commune, syndicat, departement, msa, etat, association, other
    public static let codeName = "role"
}

public enum DomainCode: String, Code {
    case petite_enfance, enfance, jeunesse, parentalite, animation_vie_sociale, acces_aux_droits
    case inclusion_numerique, logement, handicap, solidarites, mobilite, pilotage, other
    public static let codeName = "domain"
}

public enum Scheme: String, Code {
    case prestation_service, bonus_territoire, investissement, pilotage, fonds_locaux, other
    public static let codeName = "scheme"
}

public enum ActionStatus: String, Code {
    case planned, in_progress, done, suspended, abandoned
    public static let codeName = "action-status"

    /// The moves allowed without `correction`.
    public func canMove(to next: ActionStatus) -> Bool {
        switch (self, next) {
        case (.planned, .in_progress), (.planned, .done), (.planned, .suspended), (.planned, .abandoned): true
        case (.in_progress, .done), (.in_progress, .suspended), (.in_progress, .abandoned): true
        case (.suspended, .in_progress), (.suspended, .abandoned): true
        default: false
        }
    }
}

public enum CommitteeKind: String, Code {
    case steering, technical, thematic
    public static let codeName = "committee-kind"
}

public enum AxisKind: String, Code {
    case axis, ambition, objective
    public static let codeName = "axis-kind"
}

public enum PredecessorKind: String, Code {
    case cej, ctg, other
    public static let codeName = "predecessor-kind"
}

public enum BaselineQualifier: String, Code {
    case exact, at_least
    public static let codeName = "qualifier"
}

public enum BaselineMeasure: String, Code {
    case paid, allocated
    public static let codeName = "measure"
}

public enum Basis: String, Code {
    case provisional, final
    public static let codeName = "basis"
}

public enum PaymentKind: String, Code {
    case advance, balance
    public static let codeName = "payment-kind"
}

/// The lifecycle of a convention as stored; `expired` exists only in queries given `--as-of`.
public enum ConventionStatus: String, Codable, Sendable {
    case draft, engaged, signed, terminated
}
