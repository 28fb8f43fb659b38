#if canImport(Glibc)
import Glibc
#endif
import StrictJSON

/// Reads the fields of one JSON object strictly: a missing required field, a value of
/// the wrong JSON type, and (at `finish()`) any field not read are rejections naming
/// the field's JSON Pointer.
public struct ObjectReader {
    public let object: JSONObject
    public let path: String
    /// Which members were read, by index: a bit each, no allocation per field.
    private var read: UInt64 = 0
    /// Where the next search for a field starts.
    private var hint = 0
    /// Objects with more members than this are refused outright (events need 10).
    public static let maxMembers = 64

    public init(_ object: JSONObject, path: String) {
        self.object = object
        self.path = path
    }

    /// Reads `value` as an object at `path`, or rejects it.
    public init(_ value: JSONValue, path: String) throws(Rejection) {
        guard case .object(let object) = value else {
            throw Rejection("wrong-type", "\(path) must be an object, not \(value.typeName)")
        }
        self.init(object, path: path)
    }

    public func pointer(_ key: String) -> String { "\(path)/\(key)" }
    public func pointer(_ key: StaticString) -> String { "\(path)/\(key)" }

    /// Field names are literals: their bytes are read where the literal is, with no
    /// string made or retained per field read.
    public mutating func optionalValue(_ key: StaticString) -> JSONValue? {
        key.withUTF8Buffer { optionalValue(bytes: $0) }
    }

    private mutating func optionalValue(bytes key: UnsafeBufferPointer<UInt8>) -> JSONValue? {
        let n = object.members.count
        // Fields are mostly read in the order they are written: the search starts after
        // the member found last and wraps around.
        var i = hint < n ? hint : 0
        let prefix = JSONMember.prefix(of: key)
        // A key of at most 8 bytes is all in its prefix: equal prefixes and lengths are
        // equal keys (the length tells "a" from "a\u{0}", which pad to the same prefix).
        let whole = key.count <= 8 && prefix != JSONMember.unordered
        let found: Int? = object.members.withUnsafeBufferPointer { members in
            for _ in 0..<n {
                // The prefixes tell most keys apart (and an absent field costs a compare per member).
                if members[i].keyPrefix == prefix
                    && (whole ? members[i].key.utf8.count == key.count : members[i].key.withUTF8Bytes { $0.count == key.count && memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }) {
                    return i
                }
                i = i + 1 == n ? 0 : i + 1
            }
            return nil
        }
        guard let found else { return nil }
        if found < 64 { read |= 1 << UInt64(found) }
        hint = found + 1
        return object.members[found].value
    }

    public mutating func value(_ key: StaticString) throws(Rejection) -> JSONValue {
        guard let v = optionalValue(key) else {
            throw Rejection("missing-field", "\(pointer(key)) is required")
        }
        return v
    }

    public mutating func optionalString(_ key: StaticString, maxLength: Int = 4096, minLength: Int = 1) throws(Rejection) -> String? {
        guard let v = optionalValue(key) else { return nil }
        return try ObjectReader.string(v, at: pointer(key), minLength: minLength, maxLength: maxLength)
    }

    public mutating func string(_ key: StaticString, maxLength: Int = 4096, minLength: Int = 1) throws(Rejection) -> String {
        guard let s = try optionalString(key, maxLength: maxLength, minLength: minLength) else {
            throw Rejection("missing-field", "\(pointer(key)) is required")
        }
        return s
    }

    /// A string value with its length counted in Unicode code points, as JSON Schema does.
    public static func string(_ v: JSONValue, at pointer: @autoclosure () -> String, minLength: Int = 1, maxLength: Int = 4096) throws(Rejection) -> String {
        guard case .string(let s) = v else {
            throw Rejection("wrong-type", "\(pointer()) must be a string, not \(v.typeName)")
        }
        // A string has at most as many code points as UTF-8 bytes and at least one per
        // four: count them only when the byte count cannot decide.
        let bytes = s.utf8.count
        if bytes <= maxLength && bytes >= minLength * 4 { return s }
        let length = s.unicodeScalars.count
        if length < minLength {
            throw Rejection("empty-string", "\(pointer()) must not be empty")
        }
        if length > maxLength {
            throw Rejection("string-too-long", "\(pointer()) has \(length) characters, more than \(maxLength)")
        }
        return s
    }

    public mutating func optionalInteger(_ key: StaticString) throws(Rejection) -> Int64? {
        guard let v = optionalValue(key) else { return nil }
        guard case .integer(let i) = v else {
            throw Rejection("wrong-type", "\(pointer(key)) must be an integer, not \(v.typeName)")
        }
        return i
    }

    public mutating func integer(_ key: StaticString) throws(Rejection) -> Int64 {
        guard let i = try optionalInteger(key) else { throw Rejection("missing-field", "\(pointer(key)) is required") }
        return i
    }

    /// A flag that is either absent or `true` (`false` would be a second way to say "absent").
    public mutating func optionalTrue(_ key: StaticString) throws(Rejection) -> Bool {
        guard let v = optionalValue(key) else { return false }
        guard case .bool(true) = v else {
            throw Rejection("wrong-type", "\(pointer(key)) must be true when present (leave it out otherwise)")
        }
        return true
    }

    public mutating func optionalArray(_ key: StaticString, maxItems: Int = 10_000) throws(Rejection) -> [JSONValue]? {
        guard let v = optionalValue(key) else { return nil }
        guard case .array(let a) = v else {
            throw Rejection("wrong-type", "\(pointer(key)) must be an array, not \(v.typeName)")
        }
        if a.count > maxItems {
            throw Rejection("too-many-items", "\(pointer(key)) has \(a.count) items, more than \(maxItems)")
        }
        return a
    }

    public mutating func array(_ key: StaticString, maxItems: Int = 10_000) throws(Rejection) -> [JSONValue] {
        guard let a = try optionalArray(key, maxItems: maxItems) else {
            throw Rejection("missing-field", "\(pointer(key)) is required")
        }
        return a
    }

    public mutating func optionalStringArray(_ key: StaticString, maxLength: Int = 4096) throws(Rejection) -> [String]? {
        guard let a = try optionalArray(key) else { return nil }
        var result: [String] = []
        result.reserveCapacity(a.count)
        for (i, v) in a.enumerated() {
            result.append(try ObjectReader.string(v, at: "\(pointer(key))/\(i)", maxLength: maxLength))
        }
        return result
    }

    public mutating func stringArray(_ key: StaticString, maxLength: Int = 4096) throws(Rejection) -> [String] {
        guard let a = try optionalStringArray(key, maxLength: maxLength) else {
            throw Rejection("missing-field", "\(pointer(key)) is required")
        }
        return a
    }

    public mutating func optionalObject(_ key: StaticString) throws(Rejection) -> ObjectReader? {
        guard let v = optionalValue(key) else { return nil }
        return try ObjectReader(v, path: pointer(key))
    }

    public mutating func object(_ key: StaticString) throws(Rejection) -> ObjectReader {
        guard let o = try optionalObject(key) else { throw Rejection("missing-field", "\(pointer(key)) is required") }
        return o
    }

    /// Rejects the first field that was never read.
    public func finish() throws(Rejection) {
        if object.members.count > ObjectReader.maxMembers {
            throw Rejection("too-many-fields", "\(path.isEmpty ? "the event" : path) has \(object.members.count) fields, more than \(ObjectReader.maxMembers)")
        }
        for (i, member) in object.members.enumerated() where read & (1 << UInt64(i)) == 0 {
            throw Rejection("unknown-field", "\(pointer(member.key)) is not a field of this object")
        }
    }
}
