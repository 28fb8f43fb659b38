import CTGDomain
import StrictJSON

/// decided, paid and recovered of a group of decisions; balance derives from them.
public struct Totals: Sendable, Equatable {
    public var decided: Money = .zero
    public var paid: Money = .zero
    public var recovered: Money = .zero

    public init(decided: Money = .zero, paid: Money = .zero, recovered: Money = .zero) {
        self.decided = decided
        self.paid = paid
        self.recovered = recovered
    }

    /// decided − paid + recovered: positive is still owed, negative overpaid.
    public var balance: Money { decided - paid + recovered }

    public static func + (a: Totals, b: Totals) -> Totals {
        Totals(decided: a.decided + b.decided, paid: a.paid + b.paid, recovered: a.recovered + b.recovered)
    }

    public static func += (a: inout Totals, b: Totals) { a = a + b }

    public static func - (a: Totals, b: Totals) -> Totals {
        Totals(decided: a.decided - b.decided, paid: a.paid - b.paid, recovered: a.recovered - b.recovered)
    }

    var encoded: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 24) { buffer, count in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            raw.storeBytes(of: decided.cents.littleEndian, toByteOffset: 0, as: Int64.self)
            raw.storeBytes(of: paid.cents.littleEndian, toByteOffset: 8, as: Int64.self)
            raw.storeBytes(of: recovered.cents.littleEndian, toByteOffset: 16, as: Int64.self)
            count = 24
        }
    }

    /// `encoded`, on the stack.
    func withEncoded<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var words = (decided.cents.littleEndian, paid.cents.littleEndian, recovered.cents.littleEndian)
        return try withUnsafeBytes(of: &words) { try body($0) }
    }

    init(encoded bytes: [UInt8]) {
        precondition(bytes.count == 24, "totals cell of \(bytes.count) bytes")
        func at(_ i: Int) -> Money {
            Money(cents: bytes.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)) })
        }
        self.init(decided: at(0), paid: at(1), recovered: at(2))
    }

    /// A decision's contribution to every total it counts in.
    public init(of decision: DecisionState) {
        self.init(decided: decision.decided, paid: decision.paid, recovered: decision.recovered)
    }
}

/// The groupings of spec §4.
public enum Grouping: String, CaseIterable, Sendable {
    case convention, year, domain, scheme, beneficiary, funder

    var tag: UInt8 {
        switch self {
        case .convention: 1
        case .year: 2
        case .domain: 3
        case .scheme: 4
        case .beneficiary: 5
        case .funder: 6
        }
    }

    /// The group key a decision falls in.
    public func key(of d: DecisionState) -> String {
        switch self {
        case .convention: d.stream
        case .year: String(d.year)
        case .domain: d.domain.rawValue
        case .scheme: d.scheme.rawValue
        case .beneficiary: d.beneficiary.key
        case .funder: d.funder
        }
    }
}

/// Which decisions a total covers: all, one convention, one year, or both. Every
/// decision counts in the four scopes it belongs to, so a filtered query reads only
/// its own groups, whatever the history's length.
public struct TotalsScope: Hashable, Sendable {
    public var convention: String?
    public var year: Int?

    public init(convention: String? = nil, year: Int? = nil) {
        self.convention = convention
        self.year = year
    }

    /// The four kinds of scope, numbered as the first byte of their keys: all (0), one
    /// convention (1), one year (2), one convention in one year (3).
    static let kinds = 4

    /// One convention in one year: every other scope's cell is a sum of these.
    static let finest = 3

    /// The cells of scope `kind` summed from cells of the finest scope, whose keys are
    /// `3 ‖ length ‖ convention ‖ year (u32 BE) ‖ grouping tag ‖ group key` (see
    /// `appendScope`): the convention, the year or both are left out of the key.
    static func sum(_ finest: CellTable, into kind: Int) -> CellTable {
        // A kind has at most as many cells as the finest; the scopes without a convention
        // far fewer (room for 1024 made up front, not 1024 for a single event's flush).
        var cells = CellTable(capacity: kind == 1 ? finest.count : min(finest.count, 1024))
        var scratch: [UInt8] = []
        scratch.reserveCapacity(256)
        finest.forEach { key, delta in
            key.withMemoryRebound(to: UInt8.self) { k in
                precondition(k.count >= 7 && k[0] == UInt8(TotalsScope.finest), "not a convention-and-year cell")
                let conventionEnd = 2 + Int(k[1])
                let yearEnd = conventionEnd + 4
                scratch.removeAll(keepingCapacity: true)
                scratch.append(UInt8(kind))
                if kind & 1 != 0 { scratch.append(contentsOf: k[1..<conventionEnd]) }
                if kind & 2 != 0 { scratch.append(contentsOf: k[conventionEnd..<yearEnd]) }
                scratch.append(contentsOf: k[yearEnd...])
            }
            cells.add(scratch, delta)
        }
        return cells
    }

    /// The scope of `kind` that `d` counts in.
    static func of(_ d: DecisionState, kind: Int) -> TotalsScope {
        TotalsScope(convention: kind & 1 != 0 ? d.stream : nil, year: kind & 2 != 0 ? d.year : nil)
    }

    func prefix(_ grouping: Grouping) -> [UInt8] {
        var out: [UInt8] = []
        appendPrefix(grouping, to: &out)
        return out
    }

    func appendPrefix(_ grouping: Grouping, to out: inout [UInt8]) {
        appendScope(to: &out)
        out.append(grouping.tag)
    }

    /// The key bytes that name the scope, before the grouping's tag.
    func appendScope(to out: inout [UInt8]) {
        out.append((convention == nil ? 0 : 1) | (year == nil ? 0 : 2))
        if let convention {
            out.append(UInt8(convention.utf8.count))
            out.append(contentsOf: convention.utf8)
        }
        if let year { withUnsafeBytes(of: UInt32(year).bigEndian) { out.append(contentsOf: $0) } }
    }
}
