/// Why a text is not strict JSON; `code` is stable for scripts and tests.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String
    /// Byte offset in the parsed text (0-based).
    public let offset: Int

    public var description: String { "\(code): \(message) (at byte \(offset + 1))" }
}

/// Parses the ledger's strict JSON dialect from UTF-8 bytes, into a `JSONTape` (or a
/// `JSONValue` tree made from one).
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
    /// Kept alive by `parse`'s caller: written without a reference count per value
    /// (through the writes below).
    private let tape: Unmanaged<JSONTape>
    private var scratch: [UInt8] = []
    /// How many times whitespace was skipped, and how many keys or strings were not in
    /// canonical form (escapes, keys out of order), so far: a value whose parse moved
    /// neither is written in canonical form already (see `JSONTape.Node.isCanonical`).
    private var whitespaceRuns = 0
    private var nonCanonical = 0

    private init(_ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, allowNull: Bool, tape: JSONTape) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.allowNull = allowNull
        self.tape = Unmanaged.passUnretained(tape)
    }

    // The tape's writes, each given its arguments: a closure reading the parser's fields
    // would copy the parser (and retain what it holds) at every value.
    @inline(__always) private func add(_ kind: JSONTape.Kind, start: Int, length: Int = 0, bits: UInt64 = 0) -> Int {
        tape._withUnsafeGuaranteedRef { $0.add(kind, start: start, length: length, bits: bits) }
    }
    @inline(__always) private func close(_ node: Int, length: Int, count: Int = 0, isCanonical: Bool) {
        tape._withUnsafeGuaranteedRef { $0.close(node, length: length, count: count, isCanonical: isCanonical) }
    }
    @inline(__always) private func setBits(_ node: Int, _ bits: UInt64) { tape._withUnsafeGuaranteedRef { $0.setBits(node, bits) } }
    @inline(__always) private func setOwnText(_ node: Int, _ text: UnsafeBufferPointer<UInt8>) {
        tape._withUnsafeGuaranteedRef { $0.setOwnText(node, text) }
    }
    @inline(__always) private func view() -> JSONTape.View { tape._withUnsafeGuaranteedRef { $0.view } }

    /// Parses one complete JSON text into `tape` (emptied first); whitespace may
    /// surround it. The tape points into `bytes`, which must outlive its use.
    /// `allowNull` is for reading the ledger's own output (`"signedOn": null`), never events.
    public static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, into tape: JSONTape, maxDepth: Int = defaultMaxDepth, allowNull: Bool = false
    ) throws(JSONParseError) {
        defer { withExtendedLifetime(tape) {} }
        // Offsets and counts are kept in 32 bits on the tape.
        guard bytes.count <= JSONTape.maxTextBytes else {
            throw JSONParseError(code: "text-too-long", message: "a JSON text of \(bytes.count) bytes is longer than \(JSONTape.maxTextBytes)", offset: 0)
        }
        tape.reset(source: bytes)
        var parser = JSONParser(bytes, maxDepth: maxDepth, allowNull: allowNull, tape: tape)
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF {
            throw JSONParseError(code: "bom", message: "a byte-order mark is not allowed", offset: 0)
        }
        parser.skipWhitespace()
        try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.index < bytes.count {
            throw parser.fail("invalid-json", "unexpected \(parser.describeByte()) after the JSON value")
        }
    }

    /// `parse(_:into:)` of a copy of `bytes` that the tape keeps: the tape may then be
    /// read after `bytes` are gone.
    public static func parse(
        copying bytes: UnsafeBufferPointer<UInt8>, into tape: JSONTape, maxDepth: Int = defaultMaxDepth, allowNull: Bool = false
    ) throws(JSONParseError) {
        try parse(tape.keep(bytes), into: tape, maxDepth: maxDepth, allowNull: allowNull)
    }

    /// Parses one complete JSON text into a tree.
    public static func parse(
        _ bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int = defaultMaxDepth, allowNull: Bool = false
    ) throws(JSONParseError) -> JSONValue {
        let tape = JSONTape()
        try parse(bytes, into: tape, maxDepth: maxDepth, allowNull: allowNull)
        return withExtendedLifetime(tape) { tape.view.value(at: 0) }
    }

    /// Parses one complete JSON text held in `bytes`.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth, allowNull: Bool = false) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (b) throws(JSONParseError) in try parse(b, maxDepth: maxDepth, allowNull: allowNull) }
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

    /// Most texts are compact: the byte at `index` is mostly not whitespace, which is
    /// told here without a call.
    @inline(__always) private mutating func skipWhitespace() {
        if index < bytes.count && bytes[index] > 0x20 { return }
        skipWhitespaceRun()
    }

    private mutating func skipWhitespaceRun() {
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

    private mutating func parseValue(depth: Int) throws(JSONParseError) {
        guard index < bytes.count else { throw fail("invalid-json", "unexpected end of line, a value was expected") }
        switch bytes[index] {
        case UInt8(ascii: "{"): try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): try parseString(into: add(.string, start: index))
        case UInt8(ascii: "t"): _ = add(.bool, start: index, length: 4, bits: 1); try expectLiteral("true")
        case UInt8(ascii: "f"): _ = add(.bool, start: index, length: 5, bits: 0); try expectLiteral("false")
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            if allowNull { _ = add(.null, start: index - 4, length: 4); return }
            index -= 4
            throw fail("null-value", "null is not allowed: leave an optional field out instead")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = index
            let value = try parseNumber()
            _ = add(.integer, start: start, length: index - start, bits: UInt64(bitPattern: value))
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
        guard negative || overflow || value > JSONParser.maxSafeInteger else { return value }
        // Only a refused number is made into text, for its message.
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if negative && !(value == 0 && text == "-0") || overflow || value > JSONParser.maxSafeInteger {
            index = start
            throw fail("number-out-of-range", "number \(text) is outside 0…9007199254740991")
        }
        index = start
        throw fail("number-out-of-range", "number \(text) is negative zero, write 0")
    }

    private static func isDelimiter(_ b: UInt8) -> Bool {
        b == 0x2C || b == 0x7D || b == 0x5D || b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) {
        if depth > maxDepth { throw fail("nesting-too-deep", "arrays and objects nest deeper than \(maxDepth) levels") }
        let (start, runs, escapes) = (index, whitespaceRuns, nonCanonical)
        let node = add(.array, start: start)
        var elements = 0
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            close(node, length: index - start, isCanonical: runs == whitespaceRuns)
            return
        }
        while true {
            skipWhitespace()
            try parseValue(depth: depth)
            elements += 1
            skipWhitespace()
            guard index < bytes.count else { throw fail("invalid-json", "unexpected end of line inside an array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                close(node, length: index - start, count: elements, isCanonical: runs == whitespaceRuns && escapes == nonCanonical)
                return
            }
            throw fail("invalid-json", "unexpected \(describeByte()) inside an array, ',' or ']' was expected")
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) {
        if depth > maxDepth { throw fail("nesting-too-deep", "arrays and objects nest deeper than \(maxDepth) levels") }
        let (start, runs, escapes) = (index, whitespaceRuns, nonCanonical)
        let node = add(.object, start: start)
        var members = 0
        var lastKey = -1
        // Whether every key so far follows the one before in JCS order: then a key that
        // follows the last one follows them all, and cannot repeat one (canonical input,
        // such as every stored event, is never searched for duplicates).
        var ascending = true
        // Otherwise a bit per key so far, by its prefix's hash: a key whose bit is not set
        // repeats none of them, and only one whose bit is set is compared with each.
        var seen: UInt64 = 0
        index += 1
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            close(node, length: index - start, isCanonical: runs == whitespaceRuns)
            return
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw fail("invalid-json", "unexpected \(describeByte()), an object key in double quotes was expected")
            }
            let keyStart = index
            let key = add(.string, start: index)
            try parseString(into: key)
            // Nothing is added to the tape while this view is read.
            let t = view()
            let prefix = JSONMember.prefix(of: t.text(key))
            setBits(key, prefix)
            // In JCS order after the previous key?
            if lastKey >= 0 && !JSONWriter.keyPrecedes(t[lastKey].bits, t.text(lastKey), prefix, t.text(key)) {
                nonCanonical += 1
                ascending = false
            }
            let bit: UInt64 = 1 << ((prefix &* 0x9E37_79B9_7F4A_7C15) >> 58)
            if !ascending && seen & bit != 0 {
                var other = node + 1
                for _ in 0..<members {
                    if t[other].bits == prefix && t.text(other).elementsEqual(t.text(key)) {
                        index = keyStart
                        throw fail("duplicate-key", "key \"\(t.string(key))\" appears twice in one object")
                    }
                    other = t.nextMember(after: other)
                }
            }
            seen |= bit
            lastKey = key
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw fail("invalid-json", "unexpected \(describeByte()), ':' was expected after a key")
            }
            index += 1
            skipWhitespace()
            try parseValue(depth: depth)
            members += 1
            skipWhitespace()
            guard index < bytes.count else { throw fail("invalid-json", "unexpected end of line inside an object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                close(node, length: index - start, count: members, isCanonical: runs == whitespaceRuns && escapes == nonCanonical)
                return
            }
            throw fail("invalid-json", "unexpected \(describeByte()) inside an object, ',' or '}' was expected")
        }
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

    /// The string at `index` (its opening quote), as string node `node`: its text stays
    /// in the source unless it has escapes, which are undone into the tape.
    private mutating func parseString(into node: Int) throws(JSONParseError) {
        let quote = index
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
            // ASCII is valid UTF-8: no validation needed.
            if !ascii && !JSONParser.isValidUTF8(UnsafeBufferPointer(rebasing: bytes[start..<index])) {
                index = start
                throw fail("invalid-utf8", "a string is not valid UTF-8")
            }
            index += 1
            close(node, length: index - quote, isCanonical: true)
            return
        }
        // Written again without its escapes, the string's bytes change.
        nonCanonical += 1
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                guard scratch.withUnsafeBufferPointer({ JSONParser.isValidUTF8($0) }) else {
                    index = start
                    throw fail("invalid-utf8", "a string is not valid UTF-8")
                }
                close(node, length: index - quote, isCanonical: false)
                scratch.withUnsafeBufferPointer { text in setOwnText(node, text) }
                return
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

    /// Whether `bytes` are well-formed UTF-8 (no overlong form, surrogate or code point
    /// past U+10FFFF), checked without making a string.
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
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
