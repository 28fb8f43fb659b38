/// Writes JSON values: canonically (RFC 8785, JCS) for hashing and identity, or in
/// member order, compact or indented, for output meant for people and scripts.
public enum JSONWriter {
    /// The RFC 8785 canonical form: keys sorted by UTF-16 code units, no whitespace,
    /// strings escaping only `"`, `\` and control characters.
    public static func canonical(_ value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        writeCanonical(value, into: &out)
        return out
    }

    public static func writeCanonical(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            let sorted = sortedMembers(object.members)
            for (i, member) in sorted.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                writeCanonical(member.value, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeCanonical(element, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        default:
            writeScalar(value, into: &out)
        }
    }

    /// Member order kept; `indent` > 0 writes one member or element per line.
    public static func ordered(_ value: JSONValue, indent: Int = 0) -> String {
        var out: [UInt8] = []
        writeOrdered(value, indent: indent, level: 0, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func writeOrdered(_ value: JSONValue, indent: Int, level: Int, into out: inout [UInt8]) {
        func newline(_ level: Int) {
            guard indent > 0 else { return }
            out.append(0x0A)
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * level))
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
        default:
            writeScalar(value, into: &out)
        }
    }

    private static func writeScalar(_ value: JSONValue, into out: inout [UInt8]) {
        switch value {
        case .string(let s): writeString(s, into: &out)
        case .integer(let i): out.append(contentsOf: String(i).utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .null: out.append(contentsOf: "null".utf8)
        case .object, .array: preconditionFailure("not a scalar")
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Writes a string as JCS does (ECMAScript `JSON.stringify`).
    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var copy = s
        copy.withUTF8 { bytes in
            // Runs of bytes that need no escape are copied whole.
            var runStart = 0
            for (i, byte) in bytes.enumerated() where byte < 0x20 || byte == 0x22 || byte == 0x5C {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<i]))
                runStart = i + 1
                switch byte {
                case 0x22: out.append(0x5C); out.append(0x22)
                case 0x5C: out.append(0x5C); out.append(0x5C)
                case 0x08: out.append(0x5C); out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(0x5C); out.append(UInt8(ascii: "f"))
                case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
                case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
                default:
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30])
                    out.append(hexDigits[Int(byte >> 4)])
                    out.append(hexDigits[Int(byte & 0xF)])
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Members in JCS key order; input already in that order (an export) is not re-sorted.
    public static func sortedMembers(_ members: [JSONMember]) -> [JSONMember] {
        var inOrder = true
        for i in members.indices.dropFirst() where !utf16Precedes(members[i - 1].key, members[i].key) {
            inOrder = false
            break
        }
        return inOrder ? members : members.sorted { utf16Precedes($0.key, $1.key) }
    }

    /// JCS orders keys by their UTF-16 code units, which differs from UTF-8 byte order
    /// for characters above U+FFFF against those in U+E000…U+FFFF.
    public static func utf16Precedes(_ a: String, _ b: String) -> Bool {
        // UTF-8 byte order is code point order, which UTF-16 order follows except for
        // characters above U+FFFF (lead byte 0xF0 and up): only those need UTF-16 units.
        let fast = a.utf8.withContiguousStorageIfAvailable { x -> Bool? in
            b.utf8.withContiguousStorageIfAvailable { y -> Bool? in
                let n = Swift.min(x.count, y.count)
                for i in 0..<n where x[i] != y[i] {
                    if x[i] >= 0xF0 || y[i] >= 0xF0 { return nil }
                    return x[i] < y[i]
                }
                return x.count < y.count
            } ?? nil
        } ?? nil
        if let fast { return fast }
        return a.utf16.lexicographicallyPrecedes(b.utf16)
    }
}
