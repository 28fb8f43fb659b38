import EventLog
import StrictJSON

/// Bounds on free text, so no event can carry an unbounded payload.
public enum TextLimit {
    public static let id = 128
    public static let name = 512
    public static let text = 16_384
    public static let listItems = 1_000
}

extension ObjectReader {
    mutating func ident(_ key: StaticString) throws(Rejection) -> String {
        try string(key, maxLength: TextLimit.id)
    }

    mutating func optionalIdent(_ key: StaticString) throws(Rejection) -> String? {
        try optionalString(key, maxLength: TextLimit.id)
    }

    mutating func name(_ key: StaticString) throws(Rejection) -> String {
        try string(key, maxLength: TextLimit.name)
    }

    mutating func optionalName(_ key: StaticString) throws(Rejection) -> String? {
        try optionalString(key, maxLength: TextLimit.name)
    }

    mutating func text(_ key: StaticString) throws(Rejection) -> String {
        try string(key, maxLength: TextLimit.text)
    }

    mutating func optionalText(_ key: StaticString) throws(Rejection) -> String? {
        try optionalString(key, maxLength: TextLimit.text)
    }

    mutating func date(_ key: StaticString) throws(Rejection) -> CalendarDate {
        guard let d = try optionalDate(key) else { throw Rejection("missing-field", "\(pointer(key)) is required") }
        return d
    }

    mutating func optionalDate(_ key: StaticString) throws(Rejection) -> CalendarDate? {
        guard let text = try optionalString(key, maxLength: 10) else { return nil }
        guard let d = CalendarDate(text) else {
            throw Rejection("invalid-date", "\(pointer(key)) \"\(text)\" is not a calendar date YYYY-MM-DD")
        }
        return d
    }

    mutating func code<C: Code>(_ key: StaticString, _: C.Type = C.self) throws(Rejection) -> C {
        guard let c = try optionalCode(key, C.self) else { throw Rejection("missing-field", "\(pointer(key)) is required") }
        return c
    }

    mutating func optionalCode<C: Code>(_ key: StaticString, _: C.Type = C.self) throws(Rejection) -> C? {
        guard let v = optionalNode(key) else { return nil }
        return try code(at: v, pointer: pointer(key))
    }

    /// The code at node `v`: found by its bytes, or (not a known code, not a string, too
    /// long) refused as a string would be, then as a code.
    private func code<C: Code>(at v: Int, pointer: @autoclosure () -> String) throws(Rejection) -> C {
        if tape[v].kind == .string, let c = C.table.find(tape.text(v)) { return c }
        let text = try ObjectReader.string(tape, v, at: pointer(), maxLength: 64)
        return try C.decode(text, at: pointer())
    }

    mutating func codes<C: Code>(_ key: StaticString, _: C.Type = C.self) throws(Rejection) -> [C] {
        guard let codes: [C] = try optionalCodes(key) else { throw Rejection("missing-field", "\(pointer(key)) is required") }
        return codes
    }

    mutating func optionalCodes<C: Code>(_ key: StaticString, _: C.Type = C.self) throws(Rejection) -> [C]? {
        guard let elements = try optionalArray(key) else { return nil }
        // Every item is a string of at most 64 characters before any is taken as a code,
        // as `optionalStringArray` checks (a first refusal is told, whatever comes after).
        for (i, v) in elements.enumerated() where tape[v].kind != .string || !(1...64).contains(tape.text(v).count) {
            _ = try ObjectReader.string(tape, v, at: "\(pointer(key))/\(i)", maxLength: 64)
        }
        var result: [C] = []
        result.reserveCapacity(elements.count)
        for (i, v) in elements.enumerated() {
            let c: C = try code(at: v, pointer: "\(pointer(key))/\(i)")
            if result.contains(c) {
                throw Rejection("duplicate-item", "\(pointer(key))/\(i) \"\(tape.string(v))\" is listed twice")
            }
            result.append(c)
        }
        return result
    }

    mutating func money(_ key: StaticString) throws(Rejection) -> Money {
        let text = try string(key, maxLength: 32)
        return try Money.decode(text, at: pointer(key))
    }

    mutating func year(_ key: StaticString) throws(Rejection) -> Int {
        let y = try integer(key)
        guard (1900...2999).contains(y) else {
            throw Rejection("invalid-year", "\(pointer(key)) \(y) is not a year between 1900 and 2999")
        }
        return Int(y)
    }

    /// The elements of list field `key` (at most `TextLimit.listItems`); nil when absent
    /// and not `required`.
    private mutating func list(_ key: StaticString, required: Bool) throws(Rejection) -> JSONTape.Elements? {
        guard let values = try optionalArray(key, maxItems: TextLimit.listItems) else {
            if required { throw Rejection("missing-field", "\(pointer(key)) is required") }
            return nil
        }
        return values
    }

    /// A list of strings of at most `maxLength` characters each, each at most once when
    /// `unique`.
    private mutating func strings(_ key: StaticString, required: Bool, maxLength: Int, unique: Bool) throws(Rejection) -> [String]? {
        guard let values = try list(key, required: required) else { return nil }
        var result: [String] = []
        result.reserveCapacity(values.count)
        // Items compared where the line holds them: comparing the strings borrowed both
        // strings' bytes, a reference count up and down each, for every pair.
        var nodes: [Int] = []
        if unique { nodes.reserveCapacity(values.count) }
        for (i, v) in values.enumerated() {
            let s = try ObjectReader.string(tape, v, at: "\(pointer(key))/\(i)", maxLength: maxLength)
            if unique {
                let text = tape.text(v)
                if nodes.contains(where: { tape.text($0).elementsEqual(text) }) {
                    throw Rejection("duplicate-item", "\(pointer(key))/\(i) \"\(s)\" is listed twice")
                }
                nodes.append(v)
            }
            result.append(s)
        }
        return result
    }

    /// A list of ids, each at most once.
    mutating func idList(_ key: StaticString, required: Bool = true) throws(Rejection) -> [String]? {
        try strings(key, required: required, maxLength: TextLimit.id, unique: true)
    }

    mutating func textList(_ key: StaticString, required: Bool) throws(Rejection) -> [String]? {
        try strings(key, required: required, maxLength: TextLimit.text, unique: false)
    }

    mutating func objects(_ key: StaticString, required: Bool) throws(Rejection) -> [ObjectReader]? {
        guard let values = try list(key, required: required) else { return nil }
        return try objects(values, of: key)
    }
}

/// Official identifiers.
enum OfficialCode {
    static func isSiret(_ s: String) -> Bool {
        s.utf8.count == 14 && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
