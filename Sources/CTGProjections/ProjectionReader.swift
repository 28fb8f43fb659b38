import CTGDomain
import EventLog
import StrictJSON

/// Answers queries from the projection tables, never from the events: the cost of a
/// query follows the size of its answer, not the length of history.
public struct ProjectionReader<KV: KeyValueTables> {
    public let kv: KV
    private let codec = StateCodec()

    public init(_ kv: KV) { self.kv = kv }

    /// The last seq applied to the projections (0 when none).
    /// The layout of the stored projections; a store written by another layout is rebuilt.
    public static var format: String { "ctg-projections/2" }

    /// Whether the stored projections are in this program's layout (or there are none).
    public func formatIsCurrent() throws -> Bool {
        guard let bytes = try kv.get(.meta, Array("format".utf8)) else { return try checkpoint() == 0 }
        return String(decoding: bytes, as: UTF8.self) == Self.format
    }

    public func checkpoint() throws -> UInt64 {
        guard let bytes = try kv.get(.meta, Array("checkpoint".utf8)), bytes.count == 8 else { return 0 }
        return bytes.withUnsafeBytes { LogKey.decodeSeq($0) }
    }

    public func convention(_ id: String) throws -> ConventionState? {
        try kv.get(.conventions, Array(id.utf8)).map { try codec.decode(ConventionState.self, $0) }
    }

    /// Every convention, by id bytes.
    public func conventions() throws -> [ConventionState] {
        var result: [ConventionState] = []
        try forEachConvention { result.append($0) }
        return result
    }

    /// Every convention, by id bytes, decoded one at a time: a caller that keeps a little
    /// of each (a listing) does not hold every state at once.
    public func forEachConvention(_ body: (ConventionState) throws -> Void) throws {
        try kv.scan(.conventions, prefix: []) { _, value in
            try body(try codec.decode(ConventionState.self, value))
            return true
        }
    }

    public func decision(_ id: String) throws -> DecisionState? {
        try kv.get(.decisions, Array(id.utf8)).map { try codec.decode(DecisionState.self, $0) }
    }

    /// A convention's decisions, by id bytes.
    public func decisions(ofConvention stream: String) throws -> [DecisionState] {
        var ids: [String] = []
        let prefix = Array(stream.utf8) + [0]
        try kv.scan(.conventionDecisions, prefix: prefix) { key, _ in
            ids.append(String(decoding: key[prefix.count...], as: UTF8.self))
            return true
        }
        return try ids.compactMap { try decision($0) }
    }

    /// Totals of each group, by group key bytes.
    public func totals(by grouping: Grouping, scope: TotalsScope) throws -> [(key: String, totals: Totals)] {
        var result: [(String, Totals)] = []
        let prefix = scope.prefix(grouping)
        try kv.scan(.totals, prefix: prefix) { key, value in
            result.append((String(decoding: key[prefix.count...], as: UTF8.self), Totals(encoded: value)))
            return true
        }
        return result
    }
}
