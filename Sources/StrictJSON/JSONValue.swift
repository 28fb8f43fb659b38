/// A JSON value of the ledger's strict dialect: no `null`, and numbers are integers
/// between 0 and 2^53−1 written without fraction or exponent.
///
/// Object members keep their input order; the canonical writer sorts them.
public enum JSONValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case bool(Bool)
    case array([JSONValue])
    case object(JSONObject)
    /// Only ever written (e.g. `"signedOn": null` in query output); the parser rejects it.
    case null

    /// Equality of the exact bytes of strings and keys, member order included.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case let (.string(a), .string(b)): return a.sameBytes(b)
        case let (.integer(a), .integer(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)): return a == b
        case (.null, .null): return true
        default: return false
        }
    }

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var integerValue: Int64? { if case .integer(let i) = self { i } else { nil } }
}

/// One member of a JSON object.
public struct JSONMember: Sendable, Equatable {
    public let key: String
    public var value: JSONValue
    /// The key's first 8 UTF-8 bytes as one big-endian integer (zero-padded), which
    /// orders and tells apart almost all keys without reading the string again;
    /// `unordered` when one of those bytes is 0xF0 or more, where UTF-8 byte order is
    /// not the UTF-16 order that JCS sorts by.
    public let keyPrefix: UInt64
    public static let unordered = UInt64.max

    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
        keyPrefix = key.withUTF8Bytes { JSONMember.prefix(of: $0) }
    }

    /// A member whose key's prefix is known already (a tape's key).
    init(_ key: String, prefix: UInt64, _ value: JSONValue) {
        self.key = key
        self.value = value
        keyPrefix = prefix
    }

    /// `keyPrefix` of a key's UTF-8 bytes.
    public static func prefix(of bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var p: UInt64 = 0
        let n = bytes.count
        if n >= 8 {
            // One load; big-endian so that integer order is byte order.
            p = UInt64(bigEndian: UnsafeRawPointer(bytes.baseAddress!).loadUnaligned(as: UInt64.self))
        } else if n >= 4 {
            // Two loads that overlap: the first four bytes, and the last four moved to
            // their place after them (the bytes both hold are the same).
            let base = UnsafeRawPointer(bytes.baseAddress!)
            let first = UInt64(UInt32(bigEndian: base.loadUnaligned(as: UInt32.self)))
            let last = UInt64(UInt32(bigEndian: base.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)))
            p = first << 32 | last << UInt64(64 - 8 * n)
        } else {
            for j in 0..<n { p |= UInt64(bytes[j]) << UInt64(56 - 8 * j) }
        }
        // A byte of 0xF0 or more has its four high bits set.
        let high = p & (p << 1) & (p << 2) & (p << 3) & 0x8080_8080_8080_8080
        return high == 0 ? p : unordered
    }

    public static func == (lhs: JSONMember, rhs: JSONMember) -> Bool {
        lhs.key.sameBytes(rhs.key) && lhs.value == rhs.value
    }
}

/// A JSON object whose keys are unique (by UTF-8 bytes) and kept in input order.
public struct JSONObject: Sendable, Equatable {
    public var members: [JSONMember]

    public init(_ members: [JSONMember] = []) { self.members = members }

    public subscript(key: String) -> JSONValue? {
        get {
            for member in members where member.key.sameBytes(key) { return member.value }
            return nil
        }
        set {
            if let index = members.firstIndex(where: { $0.key.sameBytes(key) }) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                members.append(JSONMember(key, newValue))
            }
        }
    }

    public var keys: [String] { members.map(\.key) }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { JSONMember($0.0, $0.1) }))
    }
}
