#if canImport(Glibc)
import Glibc
#endif
import EventLog

/// A closed set of codes from spec §3, decoded strictly from strings.
public protocol Code: RawRepresentable, CaseIterable, Codable, Sendable, Hashable where RawValue == String {
    static var codeName: String { get }
    /// The codes by their bytes, made once (`static let table = CodeTable<Self>()`).
    static var table: CodeTable<Self> { get }
}

/// A code type's codes and their UTF-8 bytes, so that a code read from a line is found
/// by comparing bytes where the line holds them: making a string of it, searching the
/// cases by `String` equality and confirming the bytes (a reference count up and down)
/// took several hundred instructions per code.
public final class CodeTable<C: Code>: Sendable {
    private let codes: [C]
    private let bytes: [UInt8]
    private let spans: [(offset: Int, count: Int)]

    public init() {
        codes = Array(C.allCases)
        var bytes: [UInt8] = []
        var spans: [(offset: Int, count: Int)] = []
        for code in codes {
            spans.append((bytes.count, code.rawValue.utf8.count))
            bytes.append(contentsOf: code.rawValue.utf8)
        }
        (self.bytes, self.spans) = (bytes, spans)
    }

    /// The code whose bytes are `text`, if any.
    public func find(_ text: UnsafeBufferPointer<UInt8>) -> C? {
        bytes.withUnsafeBufferPointer { bytes in
            for (i, span) in spans.enumerated() where span.count == text.count {
                if span.count == 0 || memcmp(bytes.baseAddress! + span.offset, text.baseAddress!, span.count) == 0 { return codes[i] }
            }
            return nil
        }
    }
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
    public static let table = CodeTable<Self>()
}

public enum DomainCode: String, Code {
    case petite_enfance, enfance, jeunesse, parentalite, animation_vie_sociale, acces_aux_droits
    case inclusion_numerique, logement, handicap, solidarites, mobilite, pilotage, other
    public static let codeName = "domain"
    public static let table = CodeTable<Self>()
}

public enum Scheme: String, Code {
    case prestation_service, bonus_territoire, investissement, pilotage, fonds_locaux, other
    public static let codeName = "scheme"
    public static let table = CodeTable<Self>()
}

public enum ActionStatus: String, Code {
    case planned, in_progress, done, suspended, abandoned
    public static let codeName = "action-status"
    public static let table = CodeTable<Self>()

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
    public static let table = CodeTable<Self>()
}

public enum AxisKind: String, Code {
    case axis, ambition, objective
    public static let codeName = "axis-kind"
    public static let table = CodeTable<Self>()
}

public enum PredecessorKind: String, Code {
    case cej, ctg, other
    public static let codeName = "predecessor-kind"
    public static let table = CodeTable<Self>()
}

public enum BaselineQualifier: String, Code {
    case exact, at_least
    public static let codeName = "qualifier"
    public static let table = CodeTable<Self>()
}

public enum BaselineMeasure: String, Code {
    case paid, allocated
    public static let codeName = "measure"
    public static let table = CodeTable<Self>()
}

public enum Basis: String, Code {
    case provisional, final
    public static let codeName = "basis"
    public static let table = CodeTable<Self>()
}

public enum PaymentKind: String, Code {
    case advance, balance
    public static let codeName = "payment-kind"
    public static let table = CodeTable<Self>()
}

/// The lifecycle of a convention as stored; `expired` exists only in queries given `--as-of`.
public enum ConventionStatus: String, Codable, Sendable {
    case draft, engaged, signed, terminated
}
