@testable import EventLog
import StrictJSON
import Testing

@Suite("The envelope of spec §2 is checked strictly and stored canonically")
struct EnvelopeTests {
    static let valid = #"{"id":"e-1","stream":"ctg-a","type":"PartnerLeft","occurredAt":"2024-01-02","actor":"caf/x","data":{}}"#

    static func code(_ text: String, actor: String? = nil) -> String? {
        do { _ = try Envelope(JSONParser.parse(text), defaultActor: actor); return nil } catch let r as Rejection { return r.code } catch { return "json" }
    }

    static func with(_ key: String, _ value: String) -> String {
        var o = try! JSONParser.parse(valid).objectValue!
        o[key] = try! JSONParser.parse(value)
        return JSONWriter.ordered(.object(o))
    }

    @Test("bad envelopes are rejected with their code", arguments: [
        ("id", #""-starts-with-dash""#, "invalid-id"),
        ("id", #""has space""#, "invalid-id"),
        ("id", #""a/b""#, "invalid-id"),
        ("id", #""café""#, "invalid-id"),
        ("stream", #""UPPER""#, "invalid-stream"),
        ("stream", #""a""#, "invalid-stream"),
        ("stream", #""ctg_a""#, "invalid-stream"),
        ("stream", #""ctg-é""#, "invalid-stream"),
        ("type", #""Partner2Left""#, "unknown-type"),
        ("type", #""PartnerLeft ""#, "unknown-type"),
        ("occurredAt", #""2023-02-29""#, "invalid-date"),
        ("occurredAt", #""2023-02-01T10:00:00""#, "invalid-date"),
        ("schema", "0", "invalid-schema"),
        ("data", "[]", "wrong-type"),
        ("sourceDoc", #""""#, "empty-string"),
        ("actor", #""""#, "empty-string"),
        ("unknown", "1", "unknown-field"),
        ("assumed", #"["/data/nothing"]"#, "invalid-assumed"),
        ("expectedVersion", #""3""#, "wrong-type"),
    ])
    func rejects(key: String, value: String, code: String) {
        #expect(Self.code(Self.with(key, value)) == code)
    }

    @Test("ids take letters, digits and . _ : -; streams lowercase letters, digits and -")
    func allowedCharacters() {
        #expect(Self.code(Self.with("id", #""A9.b_c:d-e""#)) == nil)
        #expect(Self.code(Self.with("stream", #""ctg-2024-a9""#)) == nil)
    }

    @Test("a missing actor is taken from the command line, and without one the event is refused")
    func actor() throws {
        let noActor = #"{"id":"e-1","stream":"ctg-a","type":"PartnerLeft","occurredAt":"2024-01-02","data":{}}"#
        #expect(Self.code(noActor) == "missing-actor")
        let e = try Envelope(JSONParser.parse(noActor), defaultActor: "cli/agent")
        #expect(e.actor == "cli/agent")
        #expect(String(decoding: e.canonical, as: UTF8.self).contains(#""actor":"cli/agent""#))
    }

    @Test("the stored form writes schema, drops expectedVersion, ignores ledger, keeps values as written")
    func storedForm() throws {
        let text = #"{"ledger":{"seq":9},"expectedVersion":3,"id":"e-1","stream":"ctg-a","type":"PartnerLeft","occurredAt":"2024-01-02T10:00:00+01:00","actor":"caf/x","data":{"z":"0.50","a":"é/"}}"#
        let e = try Envelope(JSONParser.parse(text), defaultActor: nil)
        #expect(e.expectedVersion == 3)
        #expect(String(decoding: e.canonical, as: UTF8.self) == #"{"actor":"caf/x","data":{"a":"é/","z":"0.50"},"id":"e-1","occurredAt":"2024-01-02T10:00:00+01:00","schema":1,"stream":"ctg-a","type":"PartnerLeft"}"#)
        #expect(e.ledgerOffset == String(decoding: e.canonical, as: UTF8.self).utf8.count - #""occurredAt":"2024-01-02T10:00:00+01:00","schema":1,"stream":"ctg-a","type":"PartnerLeft"}"#.utf8.count)
    }

    @Test("assumed pointers must name values of the event")
    func assumed() {
        #expect(Self.code(Self.with("assumed", #"["/occurredAt","/data"]"#)) == nil)
        #expect(Self.code(Self.with("assumed", #"["occurredAt"]"#)) == "invalid-assumed")
        // A payload object past 64 members (the envelope's own are at most 64).
        var wide = try! JSONParser.parse(Self.with("data", "{" + (0..<70).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + "}")).objectValue!
        wide["assumed"] = .array([.string("/data/k69")])
        #expect(Self.code(JSONWriter.ordered(.object(wide))) == nil)
        wide["assumed"] = .array([.string("/data/k70")])
        #expect(Self.code(JSONWriter.ordered(.object(wide))) == "invalid-assumed")
    }

    @Test("an assumed pointer is accepted exactly when it names a value of the stored form: members added and dropped, escapes and array indexes as RFC 6901 reads them")
    func assumedPointersResolveOnTheStoredForm() throws {
        // No actor and no schema (both added to the stored form), expectedVersion and
        // ledger (both dropped), keys that need escapes, nested arrays.
        let event = #"{"ledger":{"seq":1},"expectedVersion":0,"id":"e-1","stream":"ctg-a","type":"PartnerJoined","occurredAt":"2024-01-02","#
            + #""data":{"partner":{"id":"p","name":"N","role":"commune"},"a/b":[10,[20,{"~k":true,"":"empty"}]],"\u00e9\"q":{"x":[]},"10":"ten"},"assumed":["/id"]}"#
        let stored = try JSONParser.parse(try Envelope(JSONParser.parse(event), defaultActor: "cli/agent").canonical)
        // Every value of the stored form, then pointers next to them that name nothing.
        var pointers: [String] = []
        func walk(_ value: JSONValue, _ path: String) {
            pointers.append(path)
            switch value {
            case .object(let o): for m in o.members { walk(m.value, path + "/" + m.key.replacing("~", with: "~0").replacing("/", with: "~1")) }
            case .array(let a): for (i, e) in a.enumerated() { walk(e, path + "/\(i)") }
            default: break
            }
        }
        walk(stored, "")
        for p in pointers where !p.isEmpty {
            pointers += [p + "/0", p + "/x", p + "/", p + "~", p + "~2", p + "/00", p + "/-", p + "/+0", p + "/1e0"]
        }
        // Independent of the reference resolver, which shares the code that reads tokens.
        let named = Set(["/actor", "/schema", "/assumed/0", "/data/a~1b/1/1/~0k", "/data/a~1b/1/1/", "/data/10", "/data/é\"q/x"])
        let rejected = Set(["", "/expectedVersion", "/ledger", "/ledger/seq", "/data/a/b", "/data/a~1b/00", "/data/a~1b/-", "/data/a~1b/+0",
                            "/data/a~1b/1e0", "/data/a~1b/1/1/~2", "/data/partner~", "/data/x", "x"])
        pointers += Array(named) + Array(rejected)
        #expect(pointers.count > 200)
        for pointer in pointers {
            let expected = !pointer.isEmpty && JSONPointer.resolve(pointer, in: stored) != nil
            if named.contains(pointer) { #expect(expected, "\(pointer) should name a value") }
            if rejected.contains(pointer) { #expect(!expected, "\(pointer) should name nothing") }
            let line = event.replacing(#""assumed":["/id"]"#, with: #""assumed":"# + JSONWriter.ordered(.array([.string(pointer)])))
            // Both ways an envelope is read: a parsed line (an import) and a tree (`ctg record`).
            let fromLine = line.withUTF8Bytes { bytes in Result { () throws(Rejection) in try Envelope(line: bytes, defaultActor: "cli/agent") } }
            let fromTree = Result { () throws(Rejection) in try Envelope(try! JSONParser.parse(line), defaultActor: "cli/agent") }
            for (way, result) in [("line", fromLine), ("tree", fromTree)] {
                switch result {
                case .success: #expect(expected, "\(pointer) accepted from a \(way) but names nothing")
                // The empty string is refused before it is read as a pointer.
                case .failure(let r): #expect(!expected && r.code == (pointer.isEmpty ? "empty-string" : "invalid-assumed"), "\(pointer) refused from a \(way): \(r)")
                }
            }
        }
    }
}

@Suite("The envelope's byte classes are its patterns' character sets")
struct ByteClassTests {
    @Test("each byte class holds exactly the bytes of its pattern, whatever the byte (0 to 255)")
    func classesMatchPatterns() {
        func alnum(_ b: UInt8) -> Bool { (0x30...0x39).contains(b) || (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) }
        let patterns: [(Envelope.ByteClass, (UInt8) -> Bool, String)] = [
            (.idChar, { alnum($0) || Array("._:-".utf8).contains($0) }, "[A-Za-z0-9._:-]"),
            (.streamChar, { (0x30...0x39).contains($0) || (0x61...0x7A).contains($0) || $0 == UInt8(ascii: "-") }, "[a-z0-9-]"),
            (.letter, { (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }, "[A-Za-z]"),
        ]
        for (byteClass, member, pattern) in patterns {
            #expect(byteClass == Envelope.ByteClass(member), "\(pattern)")
            for b in 0...255 {
                #expect(byteClass.contains(UInt8(b)) == member(UInt8(b)), "\(pattern), byte \(b)")
            }
        }
    }
}

extension Envelope.ByteClass {
    /// The bytes below 128 for which `member` holds: the pattern a constant must equal.
    init(_ member: (UInt8) -> Bool) {
        var (low, high): (UInt64, UInt64) = (0, 0)
        for b in UInt8(0)..<128 where member(b) {
            if b < 64 { low |= 1 << UInt64(b) } else { high |= 1 << UInt64(b - 64) }
        }
        self.init(low: low, high: high)
    }
}
