/// Why a text is not strict JSON; `code` is stable for scripts and tests.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String
    /// Byte offset in the parsed text (0-based).
    public let offset: Int

    public var description: String { "\(code): \(message) (at byte \(offset + 1))" }
}

/// Parses the ledger's strict JSON dialect from UTF-8 bytes.
///
/// Rejects what RFC 8259 rejects, and also: `null`, duplicate keys (by UTF-8 bytes),
/// numbers other than integer literals in 0…2^53−1, unpaired surrogate escapes,
/// invalid UTF-8, a byte-order mark, and nesting deeper than `maxDepth`.
public struct JSONParser {
    public static let maxSafeInteger: Int64 = (1 << 53) - 1
    /// Deepest nesting of arrays and objects accepted; events need 4.
    public static let defaultMaxDepth = 16

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private let maxDepth: Int
    private let allowNull: Bool
    /// Kept alive by `parse`'s caller: used without a reference count per key.
    private let keys: Unmanaged<KeyTable>?
    private var scratch: [UInt8] = []
    /// How many times whitespace was skipped, and how many keys or strings were not in
    /// canonical form (escapes, keys out of order), so far: a value whose parse moved
    /// neither is written in canonical form already (see `JSONMember.raw`).
    private var whitespaceRuns = 0
    private var nonCanonical = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, allowNull: Bool, keys: KeyTable?) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.allowNull = allowNull
        self.keys = keys.map { Unmanaged.passUnretained($0) }
    }

    /// Parses one complete JSON text; whitespace may surround it.
    /// `allowNull` is for reading the ledger's own output (`"signedOn": null`), never events.
    /// `keys`: object keys expected in the text, made once (see `KeyTable`).
    public static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = defaultMaxDepth, allowNull: Bool = false, keys: KeyTable? = nil
    ) throws(JSONParseError) -> JSONValue {
        // `keys` outlives the parser, which holds it unowned.
        defer { withExtendedLifetime(keys) {} }
        var parser = JSONParser(bytes, maxDepth: maxDepth, allowNull: allowNull, keys: keys)
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF {
            throw JSONParseError(code: "bom", message: "a byte-order mark is not allowed", offset: 0)
        }
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.index < bytes.count {
            throw parser.fail("invalid-json", "unexpected \(parser.describeByte()) after the JSON value")
        }
        return value
    }

    /// Parses one complete JSON text held in `bytes`.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth, allowNull: Bool = false, keys: KeyTable? = nil) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (b) throws(JSONParseError) in try parse(b, maxDepth: maxDepth, allowNull: allowNull, keys: keys) }
    }

    /// Parses one complete JSON text held in `text`.
    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth, allowNull: Bool = false) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth, allowNull: allowNull)
    }

    private func fail(_ code: String, _ message: String) -> JSONParseError {
        JSONParseError(code: code, message: message, offset: min(index, max(bytes.count - 1, 0)))
    }

    private func describeByte() -> String {
        guard index < bytes.count else { return "end of line" }
        let b = bytes[index]
        if b >= 0x20 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
        return "byte 0x" + String(b, radix: 16, uppercase: true)
    }

    private mutating func skipWhitespace() {
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default:
                if index != start { whitespaceRuns += 1 }
                return
            }
        }
        if index != start { whitespaceRuns += 1 }
    }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw fail("invalid-json", "unexpected end of line, a value was expected") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return .object(try parseObject(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try parseArray(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            if allowNull { return .null }
            index -= 4
            throw fail("null-value", "null is not allowed: leave an optional field out instead")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .integer(try parseNumber())
        default: throw fail("invalid-json", "unexpected \(describeByte()), a value was expected")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        let start = literal.utf8Start
        guard index + count <= bytes.count else { throw fail("invalid-json", "unexpected \(describeByte())") }
        for i in 0..<count where bytes[index + i] != start[i] {
            throw fail("invalid-json", "unexpected \(describeByte()), a value was expected")
        }
        index += count
    }

    private mutating func parseNumber() throws(JSONParseError) -> Int64 {
        let start = index
        var negative = false
        if bytes[index] == UInt8(ascii: "-") { negative = true; index += 1 }
        guard index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 else {
            throw fail("invalid-json", "a digit must follow '-'")
        }
        var value: Int64 = 0
        var overflow = false
        if bytes[index] == 0x30 {
            index += 1
            if index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                throw fail("invalid-json", "a number cannot have a leading zero")
            }
        } else {
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                if value > JSONParser.maxSafeInteger { overflow = true } else { value = value * 10 + Int64(bytes[index] - 0x30) }
                index += 1
            }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") || bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            while index < bytes.count, !Self.isDelimiter(bytes[index]) { index += 1 }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            index = start
            throw fail("non-integer-number", "number \(text) is not an integer literal: write integers without fraction or exponent")
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if negative && !(value == 0 && text == "-0") || overflow || value > JSONParser.maxSafeInteger {
            index = start
            throw fail("number-out-of-range", "number \(text) is outside 0…9007199254740991")
        }
        if negative {
            index = start
            throw fail("number-out-of-range", "number \(text) is negative zero, write 0")
        }
        return value
    }

    private static func isDelimiter(_ b: UInt8) -> Bool {
        b == 0x2C || b == 0x7D || b == 0x5D || b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> [JSONValue] {
        if depth > maxDepth { throw fail("nesting-too-deep", "arrays and objects nest deeper than \(maxDepth) levels") }
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return elements }
        while true {
            skipWhitespace()
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw fail("invalid-json", "unexpected end of line inside an array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return elements }
            throw fail("invalid-json", "unexpected \(describeByte()) inside an array, ',' or ']' was expected")
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONObject {
        if depth > maxDepth { throw fail("nesting-too-deep", "arrays and objects nest deeper than \(maxDepth) levels") }
        index += 1
        var object = JSONObject()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return object }
        // Room for the members of most objects, rather than growing 1, 2, 4, 8.
        object.members.reserveCapacity(8)
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw fail("invalid-json", "unexpected \(describeByte()), an object key in double quotes was expected")
            }
            let keyStart = index
            var member = try parseKey()  // the value is parsed below
            let key = member.key
            // By index: iterating the members would copy (retain) each one.
            for i in object.members.indices where object.members[i].keyPrefix == member.keyPrefix && object.members[i].key.sameBytes(key) {
                index = keyStart
                throw fail("duplicate-key", "key \"\(key)\" appears twice in one object")
            }
            if let last = object.members.indices.last {
                // In JCS order after the previous key?
                if !JSONWriter.keyPrecedes(object.members[last].keyPrefix, object.members[last].key, member.keyPrefix, key) { nonCanonical += 1 }
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw fail("invalid-json", "unexpected \(describeByte()), ':' was expected after a key")
            }
            index += 1
            skipWhitespace()
            let (valueStart, runs, escapes) = (index, whitespaceRuns, nonCanonical)
            let value = try parseValue(depth: depth)
            member.setValue(value, raw: runs == whitespaceRuns && escapes == nonCanonical ? (valueStart, index - valueStart) : nil)
            object.members.append(consume member)
            skipWhitespace()
            guard index < bytes.count else { throw fail("invalid-json", "unexpected end of line inside an object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return object }
            throw fail("invalid-json", "unexpected \(describeByte()) inside an object, ',' or '}' was expected")
        }
    }

    /// An object's key, as a member with no value yet: from the key table when the key
    /// is plain ASCII found there, else parsed as any string.
    private mutating func parseKey() throws(JSONParseError) -> JSONMember {
        if let keys {
            let start = index + 1
            let end = skipPlain(from: start)
            // A key of plain ASCII bytes, short enough to be in the table; anything else
            // (an escape, a multi-byte character) takes the general path.
            if end < bytes.count, end - start <= KeyTable.maxLength, bytes[end] == UInt8(ascii: "\"") {
                let (base, count, readable) = (bytes.baseAddress! + start, end - start, bytes.count - start)
                if let (key, prefix) = keys._withUnsafeGuaranteedRef({ $0.find(base, count: count, readable: readable) }) {
                    index = end + 1
                    return JSONMember(key, prefix: prefix, .null)
                }
            }
        }
        return JSONMember(try parseString(), .null)
    }

    /// The first index from `i` of a quote, a backslash, a control character or a byte of
    /// a multi-byte character, found eight bytes at a time; in the text's last seven bytes
    /// (which may end the buffer) it stops at `i`'s word, for the caller to go byte by byte.
    @inline(__always)
    private func skipPlain(from i: Int) -> Int {
        var i = i
        while i + 8 <= bytes.count {
            let word = UnsafeRawPointer(bytes.baseAddress! + i).loadUnaligned(as: UInt64.self)
            let mask = JSONWriter.escapeMask(word) | word & 0x8080_8080_8080_8080
            if mask != 0 { return i + mask.trailingZeroBitCount >> 3 }
            i += 8
        }
        return i
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        index += 1
        let start = index
        // Fast path: no escapes, ASCII or well-formed UTF-8 taken as is.
        var needsSlowPath = false
        var ascii = true
        while index < bytes.count {
            index = skipPlain(from: index)
            guard index < bytes.count else { break }
            let b = bytes[index]
            if b == UInt8(ascii: "\"") { break }
            if b == UInt8(ascii: "\\") { needsSlowPath = true; break }
            if b < 0x20 { throw fail("invalid-json", "control character \(describeByte()) must be escaped in a string") }
            if b >= 0x80 { ascii = false }
            index += 1
        }
        guard index < bytes.count else { throw fail("invalid-json", "unterminated string") }
        if !needsSlowPath {
            let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
            if ascii {
                // ASCII is valid UTF-8: no validation needed.
                index += 1
                return String(decoding: slice, as: UTF8.self)
            }
            guard let s = String(validating: slice, as: UTF8.self) else {
                index = start
                throw fail("invalid-utf8", "a string is not valid UTF-8")
            }
            index += 1
            return s
        }
        // Written again without its escapes, the string's bytes change.
        nonCanonical += 1
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                guard let s = String(validating: scratch, as: UTF8.self) else {
                    index = start
                    throw fail("invalid-utf8", "a string is not valid UTF-8")
                }
                return s
            }
            if b < 0x20 { throw fail("invalid-json", "control character \(describeByte()) must be escaped in a string") }
            if b != UInt8(ascii: "\\") { scratch.append(b); index += 1; continue }
            index += 1
            guard index < bytes.count else { break }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): scratch.append(0x22)
            case UInt8(ascii: "\\"): scratch.append(0x5C)
            case UInt8(ascii: "/"): scratch.append(0x2F)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try parseHex4()
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw fail("unpaired-surrogate", "a high surrogate escape is not followed by a low one")
                    }
                    index += 2
                    let low = try parseHex4()
                    guard low >= 0xDC00 && low <= 0xDFFF else {
                        throw fail("unpaired-surrogate", "a high surrogate escape is not followed by a low one")
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                    throw fail("unpaired-surrogate", "a low surrogate escape has no high surrogate before it")
                }
                guard let us = Unicode.Scalar(scalar) else { throw fail("invalid-json", "invalid \\u escape") }
                scratch.append(contentsOf: UTF8.encode(us)!)
            default:
                index -= 1
                throw fail("invalid-json", "invalid escape '\\\(describeByte())' in a string")
            }
        }
        throw fail("invalid-json", "unterminated string")
    }

    private mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("invalid-json", "a \\u escape needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt32
            switch b {
            case 0x30...0x39: digit = UInt32(b - 0x30)
            case 0x41...0x46: digit = UInt32(b - 0x41 + 10)
            case 0x61...0x66: digit = UInt32(b - 0x61 + 10)
            default: throw fail("invalid-json", "a \\u escape needs four hex digits")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}
