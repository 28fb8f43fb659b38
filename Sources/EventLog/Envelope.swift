import StrictJSON

/// One event as received, checked against the envelope of spec §2, with its stored
/// form: the canonical (JCS) bytes that are stored, exported and hashed.
///
/// A class with only constant fields: it is handed between the parsing and the applying
/// thread and through several layers, and a reference is retained once where a struct of
/// a dozen strings and arrays would be retained field by field.
public final class Envelope: Sendable {
    public let id: String
    /// The stream with its hash, worked out on the parsing thread (see `Key`).
    public let streamKey: Key
    public var stream: String { streamKey.string }
    public let type: String
    public let schema: Int64
    public let occurredAt: String
    public let businessDate: CalendarDate
    public let actor: String
    public let sourceDoc: String?
    public let assumed: [String]?
    /// A precondition on the stream's version; never stored.
    public let expectedVersion: UInt64?
    public let data: JSONObject
    /// The JCS bytes of the stored form (schema written, actor written, no expectedVersion, no ledger).
    public let canonical: [UInt8]
    /// Where in `canonical` the `ledger` member goes (just before `"occurredAt"`).
    public let ledgerOffset: Int
    public static let maxIdLength = 128

    /// Checks `value` as an envelope. `defaultActor` fills a missing `actor` (from
    /// `--actor` or `$CTG_ACTOR`); a `ledger` member, as in an export, is ignored.
    public convenience init(_ value: JSONValue, defaultActor: String?) throws(Rejection) {
        var unused = 0
        try self.init(JSONTape(value), defaultActor: defaultActor, stored: nil, keepingData: true, data: &unused)
    }

    /// Reads the envelope at the first node of `tape`.
    /// `stored`: the canonical bytes the tape was parsed from, read back from the log,
    /// which are taken as they are rather than written again (they are what the hash
    /// chain covers, and a record's hash is checked against them).
    /// `keepingData`: false leaves `data` empty for a caller that decodes the payload
    /// from the tape itself, at node `data`.
    private init(
        _ tape: JSONTape, defaultActor: String?, stored: (canonical: [UInt8], ledgerOffset: Int)?, keepingData: Bool, data dataNode: inout Int
    ) throws(Rejection) {
        let view = tape.view
        guard view[0].kind == .object else {
            throw Rejection("wrong-type", "an event must be a JSON object, not \(view.typeName(0))")
        }
        var r = try ObjectReader(tape, node: 0, path: "")
        _ = r.optionalNode("ledger")  // as in an export: ignored, never stored
        // Members the stored form adds to the event as written.
        var added: [JSONMember] = []
        // The id, stream and type are checked (and the stream's key hashed) on their bytes
        // in the tape: through the strings made of them, each check borrowed a string's
        // storage (a reference count up and down).
        let (id, idBytes) = try r.stringAndBytes("id", maxLength: 128)
        guard Envelope.isValidId(idBytes) else {
            throw Rejection("invalid-id", "id \"\(id)\" must match ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
        }
        self.id = id
        let (stream, streamBytes) = try r.stringAndBytes("stream", maxLength: 64)
        guard Envelope.isValidStream(streamBytes) else {
            throw Rejection("invalid-stream", "stream \"\(stream)\" must match ^[a-z0-9][a-z0-9-]{1,63}$")
        }
        self.streamKey = Key(stream, utf8: streamBytes)
        let (type, typeBytes) = try r.stringAndBytes("type", maxLength: 64)
        guard ByteClass.letter.containsAll(typeBytes) else {
            throw Rejection("unknown-type", "type \"\(type)\" is not an event type")
        }
        self.type = type
        let writtenSchema = try r.optionalInteger("schema")
        let schema = writtenSchema ?? 1
        guard schema >= 1 else { throw Rejection("invalid-schema", "/schema is \(schema), it must be 1 or more") }
        self.schema = schema
        let occurredAt = try r.string("occurredAt", maxLength: 64)
        guard let date = CalendarDate.businessDate(of: occurredAt) else {
            throw Rejection("invalid-date", "/occurredAt \"\(occurredAt)\" is not a calendar date (YYYY-MM-DD) or an RFC 3339 date-time with Z or an offset")
        }
        self.occurredAt = occurredAt
        self.businessDate = date
        if let actor = try r.optionalString("actor", maxLength: 128) {
            self.actor = actor
        } else if let defaultActor {
            guard (1...128).contains(defaultActor.unicodeScalars.count) else {
                throw Rejection("invalid-actor", "the actor given on the command line must have 1 to 128 characters")
            }
            self.actor = defaultActor
            added.append(JSONMember("actor", .string(defaultActor)))
        } else {
            throw Rejection("missing-actor", "/actor is required: write it in the event or give --actor (or $CTG_ACTOR)")
        }
        self.sourceDoc = try r.optionalString("sourceDoc", maxLength: 256)
        if let expected = try r.optionalInteger("expectedVersion") {
            self.expectedVersion = UInt64(expected)
        } else {
            self.expectedVersion = nil
        }
        let data = try r.node("data")
        guard view[data].kind == .object else {
            throw Rejection("wrong-type", "/data must be an object")
        }
        dataNode = data
        self.data = keepingData ? view.value(at: data).objectValue! : JSONObject()
        if writtenSchema == nil {
            // Most events leave `schema` out and write their actor: their one added member
            // is shared rather than made (an array and a member per event).
            if added.isEmpty { added = Envelope.schemaOne } else { added.append(JSONMember("schema", .integer(schema))) }
        }
        let assumed = try r.optionalStringArray("assumed", maxLength: 512)
        try r.finish()
        // `finish()` refused objects of more than 64 members, so a bit each fits. Only a
        // form to write, or `assumed` to check, needs them (not an event read back).
        var dropped: UInt64 = 0
        if stored == nil || assumed != nil {
            var key = 1
            for i in 0..<Int(view[0].count) {
                if Envelope.isDropped(view.text(key)) { dropped |= 1 << UInt64(i) }
                key = view.nextMember(after: key)
            }
        }
        // The stored form: as written, without `ledger` and `expectedVersion`, with what
        // was added. Events read back from the log have theirs already, and need it only
        // to check `assumed`.
        if let assumed {
            for (i, p) in assumed.enumerated() where !JSONPointer.resolves(p, in: view, object: 0, skipping: dropped, adding: added) {
                throw Rejection("invalid-assumed", "/assumed/\(i) \"\(p)\" does not point to a value of this event")
            }
        }
        self.assumed = assumed
        if let stored {
            (self.canonical, self.ledgerOffset) = stored
        } else {
            var out = CanonicalBuffer()
            let offset = JSONWriter.writeCanonical(view, object: 0, adding: added, skipping: dropped, into: &out, offsetAfterKey: "ledger")
            guard let offset, offset > 1 else { preconditionFailure("occurredAt is required, so a key sorts after ledger") }
            let canonical = out.bytes
            (self.canonical, self.ledgerOffset) = (canonical, offset)
        }
    }

    /// Parses and checks one NDJSON line into `tape`, and hands the payload over apart:
    /// the envelope's `data` is left empty, for a caller that decodes the payload with
    /// the reader returned (valid while `line` is and until `tape` is reused).
    public static func parsingPayload(line: UnsafeBufferPointer<UInt8>, defaultActor: String?, tape: JSONTape) throws(Rejection) -> (Envelope, ObjectReader) {
        try Envelope.parse(line, into: tape)
        var data = 0
        let envelope = try Envelope(tape, defaultActor: defaultActor, stored: nil, keepingData: false, data: &data)
        return (envelope, try ObjectReader(tape, node: data, path: "/data"))
    }

    /// `parsingPayload` of an event read back from its stored canonical bytes.
    /// The tape keeps a copy of the bytes (the reader is used after this returns).
    public static func parsingPayload(stored canonical: [UInt8], ledgerOffset: Int, tape: JSONTape) throws(Rejection) -> (Envelope, ObjectReader) {
        try canonical.withUnsafeBufferPointer { (b) throws(Rejection) in try Envelope.parse(b, into: tape, copying: true) }
        var data = 0
        let envelope = try Envelope(tape, defaultActor: nil, stored: (canonical, ledgerOffset), keepingData: false, data: &data)
        return (envelope, try ObjectReader(tape, node: data, path: "/data"))
    }

    private static let droppedKeys: (StaticString, StaticString) = ("ledger", "expectedVersion")

    /// The member added to an event written without `schema` (it is then 1).
    private static let schemaOne = [JSONMember("schema", .integer(1))]

    /// Whether a member of this key, written in an event, is left out of its stored form.
    private static func isDropped(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
        droppedKeys.0.withUTF8Buffer { key.elementsEqual($0) } || droppedKeys.1.withUTF8Buffer { key.elementsEqual($0) }
    }

    /// Parses and checks one NDJSON line.
    public convenience init(line: UnsafeBufferPointer<UInt8>, defaultActor: String?) throws(Rejection) {
        let tape = JSONTape()
        try Envelope.parse(line, into: tape)
        var unused = 0
        try self.init(tape, defaultActor: defaultActor, stored: nil, keepingData: true, data: &unused)
    }

    /// Reads an event back from its stored canonical bytes, with the same checks.
    public convenience init(stored canonical: [UInt8], ledgerOffset: Int) throws(Rejection) {
        let tape = JSONTape()
        var unused = 0
        try canonical.withUnsafeBufferPointer { (b) throws(Rejection) in try Envelope.parse(b, into: tape, copying: true) }
        try self.init(tape, defaultActor: nil, stored: (canonical, ledgerOffset), keepingData: true, data: &unused)
    }

    /// Strict JSON, a parse error told as a rejection with its column.
    /// `copying`: the tape keeps a copy of the bytes, to be read after they are gone.
    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>, into tape: JSONTape, copying: Bool = false) throws(Rejection) {
        do {
            if copying { try JSONParser.parse(copying: bytes, into: tape) } else { try JSONParser.parse(bytes, into: tape) }
        } catch {
            throw Rejection(error.code, "\(error.message) (column \(error.offset + 1))")
        }
    }

    /// The event's id as found in a line that failed to parse, for error messages.
    public static func sniffId(_ line: UnsafeBufferPointer<UInt8>) -> String? {
        guard let value = try? JSONParser.parse(line), case .object(let o) = value, case .string(let id)? = o["id"] else {
            return nil
        }
        return String(id.prefix(maxIdLength))
    }

    /// `^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`, of an id's UTF-8 bytes.
    static func isValidId(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = u.first, isAlnum(first), u.count <= 128 else { return false }
        return ByteClass.idChar.containsAll(u)
    }

    /// `^[a-z0-9][a-z0-9-]{1,63}$`
    public static func isValidStream(_ s: String) -> Bool {
        s.withUTF8Bytes { isValidStream($0) }
    }

    /// `isValidStream` of a stream's UTF-8 bytes.
    static func isValidStream(_ u: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = u.first, isLowerAlnum(first), (2...64).contains(u.count) else { return false }
        return ByteClass.streamChar.containsAll(u)
    }

    static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    static func isLowerAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x7A)
    }

    /// A set of ASCII bytes as a 128-bit mask: every event's id, stream and type are
    /// checked, a shift and a test per byte, in one pass over the string's bytes (a
    /// table in an array cost its lazy initialisation check and a second borrow of the
    /// string per check).
    struct ByteClass: Equatable {
        let low: UInt64
        let high: UInt64

        init(low: UInt64, high: UInt64) { (self.low, self.high) = (low, high) }

        @inline(__always)
        func contains(_ b: UInt8) -> Bool {
            b < 64 ? (low >> UInt64(b)) & 1 != 0 : b < 128 && (high >> UInt64(b - 64)) & 1 != 0
        }

        func containsAll(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            for b in bytes where !contains(b) { return false }
            return true
        }

        // Constants rather than sets built once: a lazily built global is checked at each
        // use. A test builds each from its pattern and compares.
        /// `[A-Za-z0-9._:-]`
        static var idChar: ByteClass { ByteClass(low: 0x07FF_6000_0000_0000, high: 0x07FF_FFFE_87FF_FFFE) }
        /// `[a-z0-9-]`
        static var streamChar: ByteClass { ByteClass(low: 0x03FF_2000_0000_0000, high: 0x07FF_FFFE_0000_0000) }
        /// `[A-Za-z]`
        static var letter: ByteClass { ByteClass(low: 0, high: 0x07FF_FFFE_07FF_FFFE) }
    }
}

/// RFC 6901 JSON Pointers, to check that `assumed` names values of the event.
public enum JSONPointer {
    /// The value `pointer` names in `value` (the empty pointer names `value` itself).
    public static func resolve(_ pointer: String, in value: JSONValue) -> JSONValue? {
        if pointer.isEmpty { return value }
        guard let tokens = tokens(pointer) else { return nil }
        return resolve(tokens[...], in: value)
    }

    static func resolve(_ tokens: ArraySlice<String>, in value: JSONValue) -> JSONValue? {
        var current = value
        for key in tokens {
            switch current {
            case .object(let o):
                guard let next = o[key] else { return nil }
                current = next
            case .array(let a):
                guard let i = index(key, count: a.count) else { return nil }
                current = a[i]
            default:
                return nil
            }
        }
        return current
    }

    /// Whether the non-empty `pointer` names a value of the object at node `object` of
    /// `view` taken without the members whose bit is set in `dropped` and with `added`
    /// after them — an event's stored form, resolved on the event's tape rather than on a
    /// tree made of the whole event for each event with `assumed` (with `tokens` on
    /// bytes, 200 000 such events imported in 1.19 s instead of 1.67 s).
    static func resolves(_ pointer: String, in view: JSONTape.View, object: Int, skipping dropped: UInt64, adding added: [JSONMember]) -> Bool {
        guard let tokens = tokens(pointer), let first = tokens.first else { return false }
        guard var node = member(first, of: object, in: view, skipping: dropped) else {
            guard let member = added.first(where: { $0.key.sameBytes(first) }) else { return false }
            return resolve(tokens.dropFirst(), in: member.value) != nil
        }
        for token in tokens.dropFirst() {
            switch view[node].kind {
            case .object:
                guard let value = member(token, of: node, in: view) else { return false }
                node = value
            case .array:
                guard let i = index(token, count: Int(view[node].count)) else { return false }
                var element = node + 1
                for _ in 0..<i { element = Int(view[element].next) }
                node = element
            default:
                return false
            }
        }
        return true
    }

    /// The value node of the member keyed `key` of the object at node `object`, leaving
    /// out the members whose bit is set in `dropped` (a shift past 63 is 0: none).
    private static func member(_ key: String, of object: Int, in view: JSONTape.View, skipping dropped: UInt64 = 0) -> Int? {
        var k = object + 1
        for i in 0..<Int(view[object].count) {
            if dropped & (1 << UInt64(i)) == 0, key.withUTF8Bytes({ view.text(k).elementsEqual($0) }) { return k + 1 }
            k = view.nextMember(after: k)
        }
        return nil
    }

    /// The reference tokens of a pointer, unescaped (`~1` is `/`, `~0` is `~`, read left
    /// to right, which is RFC 6901's `~1` then `~0`); nil when it does not start with `/`
    /// or has a `~` followed by neither 0 nor 1. On bytes: `String.replacing` took a sixth
    /// of an import whose every event has `assumed`.
    static func tokens(_ pointer: String) -> [String]? {
        let tilde = UInt8(ascii: "~")
        guard pointer.utf8.first == UInt8(ascii: "/") else { return nil }
        var tokens: [String] = []
        for raw in pointer.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst() {
            guard raw.contains(tilde) else {
                tokens.append(String(decoding: raw, as: UTF8.self))
                continue
            }
            var bytes: [UInt8] = []
            var escaped = false
            for b in raw {
                if escaped {
                    switch b {
                    case UInt8(ascii: "0"): bytes.append(tilde)
                    case UInt8(ascii: "1"): bytes.append(UInt8(ascii: "/"))
                    default: return nil
                    }
                    escaped = false
                } else if b == tilde {
                    escaped = true
                } else {
                    bytes.append(b)
                }
            }
            guard !escaped else { return nil }
            tokens.append(String(decoding: bytes, as: UTF8.self))
        }
        return tokens
    }

    /// An array index: decimal digits as `String(i)` writes them, below `count`.
    static func index(_ token: String, count: Int) -> Int? {
        guard let i = Int(token), String(i) == token, i >= 0, i < count else { return nil }
        return i
    }
}
