/// Writes JSON values: canonically (RFC 8785, JCS) for hashing and identity, or in
/// member order, compact or indented, for output meant for people and scripts.
public enum JSONWriter {
    /// The RFC 8785 canonical form: keys sorted by UTF-16 code units, no whitespace,
    /// strings escaping only `"`, `\` and control characters.
    public static func canonical(_ value: JSONValue) -> [UInt8] {
        var out = CanonicalBuffer()
        writeCanonical(value, into: &out)
        return out.bytes
    }

    public static func writeCanonical(_ value: JSONValue, into out: inout CanonicalBuffer) {
        switch value {
        case .object(let object):
            writeCanonical(object.members, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeCanonical(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .string(let s):
            writeString(s, into: &out)
        case .integer(let i):
            writeInteger(i, into: &out)
        case .bool(let b):
            out.append(b ? "true" : "false")
        case .null:
            out.append("null")
        }
    }

    /// An object of these members, in JCS key order.
    public static func writeCanonical(_ members: [JSONMember], into out: inout CanonicalBuffer) {
        out.append(UInt8(ascii: "{"))
        // Members borrowed through the buffer: `members[m]` would copy each.
        withCanonicalOrder(members) { order in
            members.withUnsafeBufferPointer { members in
                for (i, m) in order.enumerated() {
                    if i > 0 { out.append(UInt8(ascii: ",")) }
                    writeMember(at: members.baseAddress! + m, into: &out)
                }
            }
        }
        out.append(UInt8(ascii: "}"))
    }

    /// `"key":value` of a member read in place (passing one copies it).
    static func writeMember(at member: UnsafePointer<JSONMember>, into out: inout CanonicalBuffer) {
        writeString(member.pointee.key, into: &out)
        out.append(UInt8(ascii: ":"))
        writeCanonical(member.pointee.value, into: &out)
    }

    private static func writeInteger(_ value: Int64, into out: inout CanonicalBuffer) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        DecimalDigits.with(value.magnitude) { out.append($0) }
    }

    /// Member order kept; `indent` > 0 writes one member or element per line.
    public static func ordered(_ value: JSONValue, indent: Int = 0) -> String {
        withOrderedBytes(value, indent: indent) { String(decoding: $0, as: UTF8.self) }
    }

    /// `ordered`, followed by `suffix`, handed to `body` as bytes: a large report (a
    /// replay's hundreds of megabytes) is not copied into a string, checked as UTF-8 and
    /// copied again to add a newline.
    public static func withOrderedBytes<R>(_ value: JSONValue, indent: Int = 0, suffix: UInt8? = nil, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var out = CanonicalBuffer()
        writeOrdered(value, indent: indent, level: 0, into: &out)
        if let suffix { out.append(suffix) }
        return try out.withBytes { try body(UnsafeRawBufferPointer($0)) }
    }

    private static func writeOrdered(_ value: JSONValue, indent: Int, level: Int, into out: inout CanonicalBuffer) {
        func newline(_ level: Int) {
            guard indent > 0 else { return }
            out.append(0x0A)
            for _ in 0..<(indent * level) { out.append(UInt8(ascii: " ")) }
        }
        switch value {
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            for (i, member) in object.members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1)
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                if indent > 0 { out.append(UInt8(ascii: " ")) }
                writeOrdered(member.value, indent: indent, level: level + 1, into: &out)
            }
            if !object.members.isEmpty { newline(level) }
            out.append(UInt8(ascii: "}"))
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                newline(level + 1)
                writeOrdered(element, indent: indent, level: level + 1, into: &out)
            }
            if !elements.isEmpty { newline(level) }
            out.append(UInt8(ascii: "]"))
        case .string, .integer, .bool, .null:
            // A scalar is written the same way in either order.
            writeCanonical(value, into: &out)
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Writes a string as JCS does (ECMAScript `JSON.stringify`).
    public static func writeString(_ s: String, into out: inout CanonicalBuffer) {
        s.withUTF8Bytes { writeString(bytes: $0, into: &out) }
    }

    /// `writeString` of a string's UTF-8 bytes.
    public static func writeString(bytes: UnsafeBufferPointer<UInt8>, into out: inout CanonicalBuffer) {
        do {
            // The most an escaped string takes: six bytes per byte, and the quotes.
            out.reserve(6 * bytes.count + 2)
            out.put(UInt8(ascii: "\""))
            // Runs of bytes that need no escape (most strings are one run) are copied
            // whole; the next byte to escape is found eight bytes at a time.
            var runStart = 0
            var i = 0
            while i < bytes.count {
                let mask: UInt64
                if i + 8 <= bytes.count {
                    mask = escapeMask(UnsafeRawPointer(bytes.baseAddress! + i).loadUnaligned(as: UInt64.self))
                } else {
                    // The last bytes, padded with a byte that needs no escape (the
                    // string's storage may end right after them).
                    var word: UInt64 = 0x4141_4141_4141_4141
                    withUnsafeMutableBytes(of: &word) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[i...])) }
                    mask = escapeMask(word)
                }
                if mask == 0 {
                    i += 8
                    continue
                }
                // The word starts at `i`: its lowest flag is a byte to escape.
                i += mask.trailingZeroBitCount >> 3
                let byte = bytes[i]
                out.put(UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                i += 1
                runStart = i
                out.put(0x5C)
                switch byte {
                case 0x22: out.put(0x22)
                case 0x5C: out.put(0x5C)
                case 0x08: out.put(UInt8(ascii: "b"))
                case 0x0C: out.put(UInt8(ascii: "f"))
                case 0x0A: out.put(UInt8(ascii: "n"))
                case 0x0D: out.put(UInt8(ascii: "r"))
                case 0x09: out.put(UInt8(ascii: "t"))
                default:
                    out.put(UInt8(ascii: "u"))
                    out.put(0x30)
                    out.put(0x30)
                    out.put(hexDigits[Int(byte >> 4)])
                    out.put(hexDigits[Int(byte & 0xF)])
                }
            }
            out.put(UnsafeBufferPointer(rebasing: bytes[runStart...]))
            out.put(UInt8(ascii: "\""))
        }
    }

    /// The high bit of each of the 8 bytes of `word` (read little-endian) that is below
    /// 0x20, `"` or `\\` — exact for the lowest such byte, which is all that is used:
    /// a byte above a flagged one may be flagged wrongly by the borrow ("Bit Twiddling
    /// Hacks": a zero byte of `x ^ c·0x01…01` is a byte equal to `c`).
    @inline(__always) static func escapeMask(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func zeros(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highs }
        return (word &- 0x20 &* ones) & ~word & highs | zeros(word ^ (0x22 &* ones)) | zeros(word ^ (0x5C &* ones))
    }

    /// Whether a key sorts before another in JCS order, given their prefixes (see
    /// `JSONMember.keyPrefix`): the prefixes decide almost every comparison; equal
    /// prefixes (or a key with a byte that UTF-8 and UTF-16 order differently) take the
    /// keys themselves, read only then.
    @inline(__always)
    static func keyPrecedes(_ x: UInt64, _ a: @autoclosure () -> String, _ y: UInt64, _ b: @autoclosure () -> String) -> Bool {
        if x != y && x != JSONMember.unordered && y != JSONMember.unordered { return x < y }
        return utf16Precedes(a(), b())
    }

    /// `keyPrecedes` of keys given as UTF-8 bytes.
    @inline(__always)
    static func keyPrecedes(_ x: UInt64, _ a: @autoclosure () -> UnsafeBufferPointer<UInt8>, _ y: UInt64, _ b: @autoclosure () -> UnsafeBufferPointer<UInt8>) -> Bool {
        if x != y && x != JSONMember.unordered && y != JSONMember.unordered { return x < y }
        return utf16Precedes(bytes: a(), b())
    }

    /// Calls `body` with the indices of `members` in JCS key order, kept on the stack.
    public static func withCanonicalOrder<R>(_ members: [JSONMember], _ body: (UnsafeBufferPointer<Int>) throws -> R) rethrows -> R {
        func precedes(_ a: Int, _ b: Int) -> Bool {
            keyPrecedes(members[a].keyPrefix, members[a].key, members[b].keyPrefix, members[b].key)
        }
        return try withUnsafeTemporaryAllocation(of: Int.self, capacity: members.count) { order in
            // Insertion sort: objects have a handful of members, often nearly in order.
            for i in 0..<members.count {
                var j = i
                while j > 0 && precedes(i, order[j - 1]) {
                    order[j] = order[j - 1]
                    j -= 1
                }
                order[j] = i
            }
            return try body(UnsafeBufferPointer(order))
        }
    }

    /// JCS orders keys by their UTF-16 code units, which differs from UTF-8 byte order
    /// for characters above U+FFFF against those in U+E000…U+FFFF.
    public static func utf16Precedes(_ a: String, _ b: String) -> Bool {
        a.withUTF8Bytes { x in b.withUTF8Bytes { y in utf16Precedes(bytes: x, y) } }
    }

    /// `utf16Precedes` of two strings' UTF-8 bytes.
    public static func utf16Precedes(bytes x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
        // UTF-8 byte order is code point order, which UTF-16 order follows except for
        // characters above U+FFFF (lead byte 0xF0 and up): only those need UTF-16 units.
        let n = Swift.min(x.count, y.count)
        for i in 0..<n where x[i] != y[i] {
            if x[i] >= 0xF0 || y[i] >= 0xF0 {
                return String(decoding: x, as: UTF8.self).utf16.lexicographicallyPrecedes(String(decoding: y, as: UTF8.self).utf16)
            }
            return x[i] < y[i]
        }
        return x.count < y.count
    }
}
