import EventLog
import StrictJSON

/// The stored encoding of projection states: fields in a fixed order, lengths as
/// varints, no names. Deterministic, so an incremental build and a replay store the
/// same bytes, and an order of magnitude cheaper than Codable's JSON. A leading format
/// byte lets a later version change the layout.
public struct BinaryWriter: ~Copyable {
    // Written through the canonical writer's buffer (room checked once per value):
    // appending to an array checked room and uniqueness at every byte, and a
    // convention's state is thousands of them.
    private var out: CanonicalBuffer

    public init(capacity: Int = 256) { out = CanonicalBuffer(capacity: capacity) }

    /// The bytes written.
    public var bytes: [UInt8] { out.bytes }

    private mutating func put(_ byte: UInt8) { out.append(byte) }

    public mutating func varint(_ value: UInt64) {
        out.reserve(10)
        var v = value
        while v >= 0x80 {
            out.put(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.put(UInt8(v))
    }

    public mutating func int(_ value: Int) { varint(UInt64(bitPattern: Int64(value))) }
    public mutating func int64(_ value: Int64) { varint(UInt64(bitPattern: value)) }
    public mutating func bool(_ value: Bool) { put(value ? 1 : 0) }

    public mutating func string(_ value: String) {
        value.withUTF8Bytes { b in
            varint(UInt64(b.count))
            out.append(b)
        }
    }

    public mutating func optional<T>(_ value: T?, _ write: (inout BinaryWriter, T) -> Void) {
        if let value {
            put(1)
            write(&self, value)
        } else {
            put(0)
        }
    }

    public mutating func array<T>(_ values: [T], _ write: (inout BinaryWriter, T) -> Void) {
        varint(UInt64(values.count))
        // Elements lent in place: iterating the array would copy each one (retaining
        // every string it holds, and releasing it after).
        values.withUnsafeBufferPointer { elements in
            for i in elements.indices { write(&self, elements[i]) }
        }
    }

    /// A list whose elements write themselves, each called where it is stored.
    mutating func elements<T: BinaryWritable>(_ values: [T]) {
        varint(UInt64(values.count))
        for i in values.indices { values[i].write(&self) }
    }

    public mutating func date(_ d: CalendarDate) { varint(UInt64(d.year * 10_000 + d.month * 100 + d.day)) }
    public mutating func money(_ m: Money) { int64(m.cents) }
    public mutating func code<C: RawRepresentable>(_ c: C) where C.RawValue == String { string(c.rawValue) }
}

/// A value with a place in a stored state's layout, written field after field.
protocol BinaryWritable {
    func write(_ w: inout BinaryWriter)
}

/// Reads what `BinaryWriter` wrote; any inconsistency is a damaged store.
public struct BinaryReader {
    let bytes: [UInt8]
    var index = 0

    public struct Damaged: Error, CustomStringConvertible {
        public let what: String
        public var description: String { "damaged projection record: \(what)" }
    }

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var isAtEnd: Bool { index == bytes.count }

    public mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < bytes.count, shift < 64 else { throw Damaged(what: "varint") }
            let b = bytes[index]
            index += 1
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    public mutating func int() throws -> Int { Int(Int64(bitPattern: try varint())) }
    public mutating func int64() throws -> Int64 { Int64(bitPattern: try varint()) }

    public mutating func bool() throws -> Bool {
        guard index < bytes.count else { throw Damaged(what: "bool") }
        index += 1
        return bytes[index - 1] != 0
    }

    public mutating func string() throws -> String {
        let count = Int(try varint())
        guard count >= 0, index + count <= bytes.count else { throw Damaged(what: "string") }
        defer { index += count }
        return String(decoding: bytes[index..<(index + count)], as: UTF8.self)
    }

    public mutating func optional<T>(_ read: (inout BinaryReader) throws -> T) throws -> T? {
        try bool() ? try read(&self) : nil
    }

    public mutating func array<T>(_ read: (inout BinaryReader) throws -> T) throws -> [T] {
        let count = Int(try varint())
        guard count <= bytes.count - index else { throw Damaged(what: "array length") }
        var result: [T] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(try read(&self)) }
        return result
    }

    public mutating func date() throws -> CalendarDate {
        let v = Int(try varint())
        guard let d = CalendarDate(year: v / 10_000, month: v / 100 % 100, day: v % 100) else { throw Damaged(what: "date") }
        return d
    }

    public mutating func money() throws -> Money { Money(cents: try int64()) }

    public mutating func code<C: RawRepresentable>(_: C.Type = C.self) throws -> C where C.RawValue == String {
        guard let c = C(rawValue: try string()) else { throw Damaged(what: "code") }
        return c
    }
}
