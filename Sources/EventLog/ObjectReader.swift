#if canImport(Glibc)
import Glibc
#endif
import StrictJSON

/// Reads the fields of one JSON object strictly: a missing required field, a value of
/// the wrong JSON type, and (at `finish()`) any field not read are rejections naming
/// the field's JSON Pointer.
///
/// Reads a `JSONTape` in place: a field read makes no value but the string asked for.
public struct ObjectReader {
    /// Read without a reference count per reader: the tape outlives its readers (kept
    /// by its owner, or by `owner`).
    public let tape: JSONTape.View
    /// The tape of a tree, made for this reader and its children.
    private let owner: JSONTape?
    /// The object's node in `tape`.
    public let node: Int
    /// The pointer is worked out only for a message: `base`, then `/key`, then `/index`.
    private let base: String
    private let key: StaticString?
    private let index: Int
    /// Which members were read, by ordinal: a bit each, no allocation per field.
    private var read: UInt64 = 0
    /// Where the next search for a field starts: a member's ordinal and key node.
    private var hint: (ordinal: Int, key: Int)
    /// A bit per member, by its key's prefix (see `filterBit`), made after the first
    /// search that finds nothing: optional fields are mostly absent, and each absent
    /// one then costs a test instead of a pass over every member.
    private var keyFilter: UInt64?
    /// Objects with more members than this are refused outright (events need 10).
    public static let maxMembers = 64

    /// The object at `node` of `tape`, or a rejection naming `path`.
    /// The caller keeps `tape` alive while the reader (or one of its children) is used.
    public init(_ tape: JSONTape, node: Int, path: String) throws(Rejection) {
        try self.init(tape.view, owner: nil, node: node, base: path, key: nil, index: -1)
    }

    private init(_ tape: JSONTape.View, owner: JSONTape?, node: Int, base: String, key: StaticString?, index: Int) throws(Rejection) {
        self.tape = tape
        self.owner = owner
        self.node = node
        self.base = base
        self.key = key
        self.index = index
        hint = (0, node + 1)
        guard tape[node].kind == .object else {
            throw Rejection("wrong-type", "\(path) must be an object, not \(tape.typeName(node))")
        }
    }

    /// Reads a tree's object (made into a tape of its own).
    public init(_ object: JSONObject, path: String) {
        let tape = JSONTape(.object(object))
        // An object node cannot be refused.
        try! self.init(tape.view, owner: tape, node: 0, base: path, key: nil, index: -1)
    }

    /// Reads a tree's `value` as an object at `path`, or rejects it.
    public init(_ value: JSONValue, path: String) throws(Rejection) {
        let tape = JSONTape(value)
        try self.init(tape.view, owner: tape, node: 0, base: path, key: nil, index: -1)
    }

    /// The object's JSON Pointer in its event.
    public var path: String {
        var p = base
        if let key { p += "/\(key)" }
        if index >= 0 { p += "/\(index)" }
        return p
    }

    public func pointer(_ key: String) -> String { "\(path)/\(key)" }
    public func pointer(_ key: StaticString) -> String { "\(path)/\(key)" }

    /// The value node of field `key`, marked read. Field names are literals: their bytes
    /// are compared where the literal is.
    public mutating func optionalNode(_ key: StaticString) -> Int? {
        key.withUTF8Buffer { optionalNode(bytes: $0) }
    }

    private mutating func optionalNode(bytes key: UnsafeBufferPointer<UInt8>) -> Int? {
        let n = Int(tape[node].count)
        guard n > 0 else { return nil }
        let prefix = JSONMember.prefix(of: key)
        if let keyFilter, keyFilter & ObjectReader.filterBit(prefix) == 0 { return nil }
        // Fields are mostly read in the order they are written: the search starts after
        // the member found last and wraps around.
        var (ordinal, k) = hint.ordinal < n ? hint : (0, node + 1)
        // A key of at most 8 bytes is all in its prefix: equal prefixes and lengths are
        // equal keys (the length tells "a" from "a\u{0}", which pad to the same prefix).
        let whole = key.count <= 8 && prefix != JSONMember.unordered
        for _ in 0..<n {
            // The prefixes tell most keys apart (and an absent field costs a compare per member).
            if tape[k].bits == prefix {
                let text = tape.text(k)
                if text.count == key.count && (whole || memcmp(text.baseAddress!, key.baseAddress!, key.count) == 0) {
                    if ordinal < 64 { read |= 1 << UInt64(ordinal) }
                    let value = k + 1
                    ordinal += 1
                    hint = ordinal < n ? (ordinal, Int(tape[value].next)) : (0, node + 1)
                    return value
                }
            }
            ordinal += 1
            if ordinal == n { (ordinal, k) = (0, node + 1) } else { k = tape.nextMember(after: k) }
        }
        if keyFilter == nil {
            var filter: UInt64 = 0
            k = node + 1
            for _ in 0..<n {
                filter |= ObjectReader.filterBit(tape[k].bits)
                k = tape.nextMember(after: k)
            }
            keyFilter = filter
        }
        return nil
    }

    /// One of 64 bits for a key's prefix (the top six bits of a multiplicative hash).
    @inline(__always) private static func filterBit(_ prefix: UInt64) -> UInt64 {
        1 << ((prefix &* 0x9E37_79B9_7F4A_7C15) >> 58)
    }

    public mutating func node(_ key: StaticString) throws(Rejection) -> Int {
        guard let v = optionalNode(key) else {
            throw Rejection("missing-field", "\(pointer(key)) is required")
        }
        return v
    }

    public mutating func optionalString(_ key: StaticString, maxLength: Int = 4096, minLength: Int = 1) throws(Rejection) -> String? {
        guard let v = optionalNode(key) else { return nil }
        return try ObjectReader.string(tape, v, at: pointer(key), minLength: minLength, maxLength: maxLength)
    }

    public mutating func string(_ key: StaticString, maxLength: Int = 4096, minLength: Int = 1) throws(Rejection) -> String {
        guard let s = try optionalString(key, maxLength: maxLength, minLength: minLength) else {
            throw Rejection("missing-field", "\(pointer(key)) is required")
        }
        return s
    }

    /// `string(key)` and the bytes it was made of, where the tape holds them (valid while
    /// the tape lives): checks of the bytes then borrow nothing of the string.
    public mutating func stringAndBytes(_ key: StaticString, maxLength: Int = 4096) throws(Rejection) -> (string: String, bytes: UnsafeBufferPointer<UInt8>) {
        let v = try node(key)
        return (try ObjectReader.string(tape, v, at: pointer(key), maxLength: maxLength), tape.text(v))
    }

    /// A string node's text, its length counted in Unicode code points as JSON Schema does.
    public static func string(_ tape: JSONTape.View, _ v: Int, at pointer: @autoclosure () -> String, minLength: Int = 1, maxLength: Int = 4096) throws(Rejection) -> String {
        guard tape[v].kind == .string else {
            throw Rejection("wrong-type", "\(pointer()) must be a string, not \(tape.typeName(v))")
        }
        let text = tape.text(v)
        // A string has at most as many code points as UTF-8 bytes and at least one per
        // four: count them only when the byte count cannot decide.
        if !(text.count <= maxLength && text.count >= minLength * 4) {
            // Code points: the bytes that do not continue a multi-byte character.
            var length = 0
            for b in text where b & 0xC0 != 0x80 { length += 1 }
            if length < minLength {
                throw Rejection("empty-string", "\(pointer()) must not be empty")
            }
            if length > maxLength {
                throw Rejection("string-too-long", "\(pointer()) has \(length) characters, more than \(maxLength)")
            }
        }
        return String(decoding: text, as: UTF8.self)
    }

    public mutating func optionalInteger(_ key: StaticString) throws(Rejection) -> Int64? {
        guard let v = optionalNode(key) else { return nil }
        guard tape[v].kind == .integer else {
            throw Rejection("wrong-type", "\(pointer(key)) must be an integer, not \(tape.typeName(v))")
        }
        return Int64(bitPattern: tape[v].bits)
    }

    public mutating func integer(_ key: StaticString) throws(Rejection) -> Int64 {
        guard let i = try optionalInteger(key) else { throw Rejection("missing-field", "\(pointer(key)) is required") }
        return i
    }

    /// A flag that is either absent or `true` (`false` would be a second way to say "absent").
    public mutating func optionalTrue(_ key: StaticString) throws(Rejection) -> Bool {
        guard let v = optionalNode(key) else { return false }
        guard tape[v].kind == .bool, tape[v].bits != 0 else {
            throw Rejection("wrong-type", "\(pointer(key)) must be true when present (leave it out otherwise)")
        }
        return true
    }

    public mutating func optionalArray(_ key: StaticString, maxItems: Int = 10_000) throws(Rejection) -> JSONTape.Elements? {
        guard let v = optionalNode(key) else { return nil }
        guard tape[v].kind == .array else {
            throw Rejection("wrong-type", "\(pointer(key)) must be an array, not \(tape.typeName(v))")
        }
        let count = Int(tape[v].count)
        if count > maxItems {
            throw Rejection("too-many-items", "\(pointer(key)) has \(count) items, more than \(maxItems)")
        }
        return tape.elements(of: v)
    }

    public mutating func optionalStringArray(_ key: StaticString, maxLength: Int = 4096) throws(Rejection) -> [String]? {
        guard let a = try optionalArray(key) else { return nil }
        var result: [String] = []
        result.reserveCapacity(a.count)
        for (i, v) in a.enumerated() {
            result.append(try ObjectReader.string(tape, v, at: "\(pointer(key))/\(i)", maxLength: maxLength))
        }
        return result
    }

    public mutating func optionalObject(_ key: StaticString) throws(Rejection) -> ObjectReader? {
        guard let v = optionalNode(key) else { return nil }
        return try ObjectReader(tape, owner: owner, node: v, base: path, key: key, index: -1)
    }

    public mutating func object(_ key: StaticString) throws(Rejection) -> ObjectReader {
        guard let o = try optionalObject(key) else { throw Rejection("missing-field", "\(pointer(key)) is required") }
        return o
    }

    /// The objects of array field `key`, each read at its own pointer (`/key/i`).
    public func objects(_ elements: JSONTape.Elements, of key: StaticString) throws(Rejection) -> [ObjectReader] {
        var result: [ObjectReader] = []
        result.reserveCapacity(elements.count)
        let base = path
        for (i, v) in elements.enumerated() {
            result.append(try ObjectReader(tape, owner: owner, node: v, base: base, key: key, index: i))
        }
        return result
    }

    /// Rejects the first field that was never read.
    public func finish() throws(Rejection) {
        let n = Int(tape[node].count)
        if n > ObjectReader.maxMembers {
            throw Rejection("too-many-fields", "\(path.isEmpty ? "the event" : path) has \(n) fields, more than \(ObjectReader.maxMembers)")
        }
        var k = node + 1
        for i in 0..<n {
            if read & (1 << UInt64(i)) == 0 {
                throw Rejection("unknown-field", "\(pointer(tape.string(k))) is not a field of this object")
            }
            k = tape.nextMember(after: k)
        }
    }
}
