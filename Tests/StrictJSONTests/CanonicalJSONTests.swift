@testable import StrictJSON
import Testing

@Suite("The canonical writer follows RFC 8785 (JCS)")
struct CanonicalJSONTests {
    static func canonical(_ text: String) throws -> String {
        String(decoding: JSONWriter.canonical(try JSONParser.parse(text)), as: UTF8.self)
    }

    @Test("keys are sorted by UTF-16 code units (RFC 8785 §3.2.3 example)")
    func keyOrder() throws {
        let input = #"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\u{FB33}\":\"Hebrew Letter Dalet With Dagesh\"}"
        #expect(try Self.canonical(input) == expected)
    }

    @Test("strings escape only quote, backslash and control characters (RFC 8785 §3.2.2.2 example)")
    func stringEscaping() throws {
        let input = #"["\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/"]"#
        #expect(try Self.canonical(input) == #"["€$\u000f\nA'B\"\\\\\"/"]"#)
    }

    @Test("control characters use the short escapes where JSON has them, else lowercase \\u00xx")
    func controlCharacters() throws {
        #expect(try Self.canonical(#"["\b\f\n\r\t\u0000\u001F\u007f"]"#) == "[\"\\b\\f\\n\\r\\t\\u0000\\u001f\u{7F}\"]")
    }

    @Test("keys sharing their first eight bytes, or with characters above U+FFFF there, are still sorted by UTF-16")
    func keyOrderBeyondThePrefix() throws {
        // Equal 8-byte prefixes, a key that is a prefix of another, a NUL after the prefix,
        // and U+1F600 (UTF-8 F0…, UTF-16 D83D…) against U+FB33 (UTF-8 EF…, UTF-16 FB33).
        let input = #"{"abcdefghZ":1,"abcdefgh":2,"abcdefghA":3,"abcdefgh\u0000":4,"x\ud83d\ude00":5,"x\ufb33":6,"x":7}"#
        let expected = "{\"abcdefgh\":2,\"abcdefgh\\u0000\":4,\"abcdefghA\":3,\"abcdefghZ\":1,\"x\":7,\"x😀\":5,\"x\u{FB33}\":6}"
        #expect(try Self.canonical(input) == expected)
    }

    @Test("a character to escape is found at every position of a long string")
    func escapesAtEveryPosition() {
        let specials: [(String, String)] = [("\"", #"\""#), ("\\", #"\\"#), ("\n", #"\n"#), ("\u{1F}", #"\u001f"#), ("é", "é")]
        for (special, escaped) in specials {
            for position in 0..<20 {
                let (before, after) = (String(repeating: "a", count: position), String(repeating: "b", count: 19 - position))
                let written = String(decoding: JSONWriter.canonical(.string(before + special + after)), as: UTF8.self)
                #expect(written == "\"" + before + escaped + after + "\"", "\(escaped) at \(position)")
            }
        }
    }

    @Test("random strings with runs of characters to escape are written as a byte-by-byte writer writes them, and read back")
    func randomEscapes() throws {
        // Controls next to bytes just above them (0x1F then 0x20, 0x21), quotes and
        // backslashes side by side, multi-byte characters: what word-at-a-time scans get
        // wrong at a borrow or at a word's end.
        let alphabet: [Unicode.Scalar] = ["a", " ", "!", "\"", "\\", "\u{0}", "\u{1}", "\u{1F}", "\n", "\t", "é", "€", "😀", "#", "~", "\u{7F}"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...40, using: &generator) { scalars.append(alphabet.randomElement(using: &generator)!) }
            let string = String(scalars)
            var expected: [UInt8] = [0x22]
            for byte in string.utf8 {
                switch byte {
                case 0x22: expected += Array(#"\""#.utf8)
                case 0x5C: expected += Array(#"\\"#.utf8)
                case 0x08: expected += Array(#"\b"#.utf8)
                case 0x0C: expected += Array(#"\f"#.utf8)
                case 0x0A: expected += Array(#"\n"#.utf8)
                case 0x0D: expected += Array(#"\r"#.utf8)
                case 0x09: expected += Array(#"\t"#.utf8)
                case ..<0x20: expected += Array(#"\u00"#.utf8) + Array(String(byte, radix: 16).leftPadded(to: 2).utf8)
                default: expected.append(byte)
                }
            }
            expected.append(0x22)
            let written = JSONWriter.canonical(.string(string))
            #expect(written == expected, "\(Array(string.utf8))")
            #expect(try JSONParser.parse(written) == .string(string), "\(Array(string.utf8))")
        }
    }

    @Test("a tape's canonical parts are copied, and give the bytes the tree writer gives: random texts with whitespace, escapes and keys out of order")
    func copiedPartsAreCanonical() throws {
        var rng = SystemRandomNumberGenerator()
        let keys = ["a", "b", "id", "é", "z\u{1F600}", "ab", "\u{FB33}", "aaaaaaaaa", "aaaaaaaab"]
        let strings = ["x", "", "é€", "a\"b", "a\\b", "tab\tx", "/slash", "\u{1F600}"]
        func space() -> String { Int.random(in: 0..<6, using: &rng) == 0 ? [" ", "\n", "\t", "  "].randomElement(using: &rng)! : "" }
        // A string as JSON, its characters escaped at random where JSON allows.
        func quoted(_ s: String) -> String {
            var out = "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x10000 && Int.random(in: 0..<5, using: &rng) == 0 {
                        let hex = String(scalar.value, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else if scalar == "/" && Bool.random(using: &rng) {
                        out += "\\/"
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "\""
        }
        func value(_ depth: Int) -> String {
            switch Int.random(in: 0..<(depth > 2 ? 3 : 5), using: &rng) {
            case 0: return quoted(strings.randomElement(using: &rng)!)
            case 1: return String(Int.random(in: 0...9_007_199_254_740_991, using: &rng))
            case 2: return Bool.random(using: &rng) ? "true" : "false"
            case 3: return "[" + (0..<Int.random(in: 0...3, using: &rng)).map { _ in space() + value(depth + 1) + space() }.joined(separator: ",") + "]"
            default: return object(depth + 1)
            }
        }
        func object(_ depth: Int) -> String {
            var chosen = Array(keys.shuffled(using: &rng).prefix(Int.random(in: 0...5, using: &rng)))
            if Bool.random(using: &rng) { chosen.sort { JSONWriter.canonical(.string($0)).lexicographicallyPrecedes(JSONWriter.canonical(.string($1))) } }
            return "{" + chosen.map { space() + quoted($0) + space() + ":" + space() + value(depth) + space() }.joined(separator: ",") + "}"
        }
        var copied = 0
        for _ in 0..<3000 {
            let text = Array(object(0).utf8)
            let parsed = try JSONParser.parse(text)
            // Written from the tape, copying its canonical nodes, and from a tape made of
            // the tree (nothing to copy): both give what the tree writer writes anew.
            let tape = JSONTape()
            var fromTape = CanonicalBuffer()
            try text.withUnsafeBufferPointer { source in
                try JSONParser.parse(source, into: tape)
                let view = tape.view
                JSONWriter.writeCanonical(view, at: 0, into: &fromTape)
                copied += (0..<view.count).filter { view[$0].isCanonical && view[$0].kind != .string }.count
            }
            #expect(fromTape.bytes == JSONWriter.canonical(parsed), "\(String(decoding: text, as: UTF8.self))")
            let treeTape = JSONTape(parsed)
            var fromTree = CanonicalBuffer()
            withExtendedLifetime(treeTape) { JSONWriter.writeCanonical(treeTape.view, at: 0, into: &fromTree) }
            #expect(fromTree.bytes == JSONWriter.canonical(parsed), "\(String(decoding: text, as: UTF8.self))")
        }
        #expect(copied > 1000)
    }

    @Test("a key's prefix is its first eight bytes, big-endian and zero-padded, whatever its length")
    func keyPrefixes() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let bytes = (0..<Int.random(in: 0...12, using: &rng)).map { _ in UInt8.random(in: 0...0xEF, using: &rng) }
            var expected: UInt64 = 0
            for (j, b) in bytes.prefix(8).enumerated() { expected |= UInt64(b) << UInt64(56 - 8 * j) }
            #expect(bytes.withUnsafeBufferPointer { JSONMember.prefix(of: $0) } == expected, "\(bytes)")
        }
        #expect([UInt8]([0x61, 0xF0, 0x9F, 0x98, 0x80]).withUnsafeBufferPointer { JSONMember.prefix(of: $0) } == JSONMember.unordered)
    }

    @Test("integers are written as their digits", arguments: [("0", "0"), ("9007199254740991", "9007199254740991"), ("2024", "2024")])
    func integers(input: String, output: String) throws {
        #expect(try Self.canonical("[\(input)]") == "[\(output)]")
    }

    @Test("whitespace goes and nesting keeps its order")
    func nesting() throws {
        #expect(try Self.canonical(#" { "b" : [ 1 , { "z" : true , "a" : false } ] , "a" : "x" } "#) == #"{"a":"x","b":[1,{"a":false,"z":true}]}"#)
    }
}

@Suite("The strict parser rejects what the ledger's JSON dialect forbids")
struct StrictParserTests {
    @Test("rejections carry a stable code", arguments: [
        (#"{"a":null}"#, "null-value"),
        (#"{"a":1,"a":2}"#, "duplicate-key"),
        // Keys in order up to the repeat, a repeat after a key out of order, long keys
        // sharing their first eight bytes, and a repeat inside a canonical nested object.
        (#"{"a":1,"b":2,"b":3}"#, "duplicate-key"),
        (#"{"a":1,"c":2,"b":3,"c":4}"#, "duplicate-key"),
        (#"{"b":1,"a":2,"z":3,"b":4}"#, "duplicate-key"),
        (#"{"occurredAt":1,"occurredAtZ":2,"occurredAt":3}"#, "duplicate-key"),
        (#"{"d":{"id":"x","name":"y","name":"z"}}"#, "duplicate-key"),
        (#"{"a":1.0}"#, "non-integer-number"),
        (#"{"a":2.024e3}"#, "non-integer-number"),
        (#"{"a":-1}"#, "number-out-of-range"),
        (#"{"a":9007199254740992}"#, "number-out-of-range"),
        (#"{"a":01}"#, "invalid-json"),
        (#"{"a":"\ud800"}"#, "unpaired-surrogate"),
        (#"{"a":"\udc00x"}"#, "unpaired-surrogate"),
        (#"{"a":1"#, "invalid-json"),
        (#"{"a":1} x"#, "invalid-json"),
        (#"{'a':1}"#, "invalid-json"),
        ("{\"a\":\"tab\there\"}", "invalid-json"),
        ("[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]", "nesting-too-deep"),
    ])
    func rejects(text: String, code: String) {
        do {
            _ = try JSONParser.parse(text)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == code)
        }
    }

    @Test("invalid UTF-8 and a byte-order mark are rejected")
    func bytes() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
        do { _ = try JSONParser.parse([0x22, 0xFF, 0x22]) } catch { #expect(error.code == "invalid-utf8") }
        do { _ = try JSONParser.parse([0xEF, 0xBB, 0xBF, 0x7B, 0x7D]) } catch { #expect(error.code == "bom") }
    }

    @Test("duplicate keys are compared as bytes: canonically equivalent keys are distinct")
    func duplicateKeysByBytes() throws {
        let value = try JSONParser.parse("{\"caf\u{E9}\":1,\"cafe\u{301}\":2}")
        #expect(value.objectValue?.members.count == 2)
    }

    @Test("every repeat of a key is found, in objects of any order and width", arguments: [true, false])
    func duplicatesInWideObjects(ascending: Bool) throws {
        // 60 distinct keys (more than the 64-bit filter of keys seen can tell apart by
        // itself), in order or reversed: accepted; the same with any one key repeated at
        // the end: refused.
        var keys = (0..<60).map { "k\($0 < 10 ? "0" : "")\($0)" }
        if !ascending { keys.reverse() }
        let members = keys.map { "\"\($0)\":1" }
        #expect(try JSONParser.parse("{" + members.joined(separator: ",") + "}").objectValue?.members.count == 60)
        for repeated in keys {
            do {
                _ = try JSONParser.parse("{" + members.joined(separator: ",") + ",\"\(repeated)\":2}")
                Issue.record("accepted a repeat of \(repeated)")
            } catch {
                #expect(error.code == "duplicate-key")
            }
        }
    }

    @Test("escaped surrogate pairs decode to one scalar")
    func surrogatePair() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude00""#) == .string("😀"))
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

@Suite("Keys are equal exactly when their UTF-8 bytes are")
struct KeyEqualityTests {
    @Test("canonically equivalent keys are distinct, ASCII keys of the same bytes equal, in comparisons, sets and dictionaries")
    func equalityIsByteEquality() {
        // "é" precomposed and decomposed, combining marks in either order, ASCII, a key
        // whose only non-ASCII byte comes after eight ASCII ones, and the empty key.
        let texts = ["caf\u{E9}", "cafe\u{301}", "a\u{301}\u{316}", "a\u{316}\u{301}", "cafe", "commune-000001-00",
                     "commune-\u{E9}", "commune-e\u{301}", "", "12345678\u{E9}", "12345678e\u{301}"]
        for a in texts {
            for b in texts {
                let same = Array(a.utf8) == Array(b.utf8)
                #expect((Key(a) == Key(String(decoding: Array(b.utf8), as: UTF8.self))) == same, "\(Array(a.utf8)) vs \(Array(b.utf8))")
            }
        }
        #expect(Set(texts.map(Key.init)).count == texts.count)
        var counts: [Key: Int] = [:]
        for text in texts + texts { counts[Key(text), default: 0] += 1 }
        #expect(counts.count == texts.count && counts.values.allSatisfy { $0 == 2 })
    }

    @Test("a key is marked all-ASCII (then compared with String ==) only when every byte is ASCII, wherever a non-ASCII byte sits")
    func asciiMark() {
        for length in 0..<20 {
            let ascii = String(repeating: "k", count: length)
            #expect(Key(ascii).bytesHash & Key.asciiFlag != 0, "\(length) ASCII bytes")
            for position in 0...length {
                var text = ascii
                text.insert("\u{E9}", at: text.index(text.startIndex, offsetBy: position))
                #expect(Key(text).bytesHash & Key.asciiFlag == 0, "é at \(position) of \(length + 1)")
            }
        }
    }
}
