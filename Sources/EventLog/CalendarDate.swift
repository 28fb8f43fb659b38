import StrictJSON

/// A date that exists in the proleptic Gregorian calendar, written `YYYY-MM-DD`.
public struct CalendarDate: Comparable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// A validated date; nil when the day does not exist (2023-02-29, 2024-13-01).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...CalendarDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD`.
    public init?(_ text: String) {
        // Read in place: dates are parsed several times per imported event.
        guard let date = text.withUTF8Bytes({ u in u.count == 10 ? CalendarDate.parsePrefix(u) : nil }) else { return nil }
        self = date
    }

    /// The last day of `year`.
    public static func endOfYear(_ year: Int) -> CalendarDate? { CalendarDate(year: year, month: 12, day: 31) }

    public static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    static func digits(_ u: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        var value = 0
        for i in range {
            guard u[i] >= 0x30 && u[i] <= 0x39 else { return nil }
            value = value * 10 + Int(u[i] - 0x30)
        }
        return value
    }

    static func parsePrefix(_ u: UnsafeBufferPointer<UInt8>) -> CalendarDate? {
        guard u.count >= 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-"),
            let y = digits(u, 0..<4), let m = digits(u, 5..<7), let d = digits(u, 8..<10)
        else { return nil }
        return CalendarDate(year: y, month: m, day: d)
    }

    /// The business date of an `occurredAt` value: a `YYYY-MM-DD` date, or an RFC 3339
    /// date-time with `Z` or an offset, whose date is the one written (not converted to UTC).
    /// Nil when the text is neither or names a time or date that does not exist.
    public static func businessDate(of text: String) -> CalendarDate? {
        text.withUTF8Bytes { businessDate(of: $0) }
    }

    /// `businessDate(of:)` of UTF-8 bytes.
    public static func businessDate(of u: UnsafeBufferPointer<UInt8>) -> CalendarDate? {
        guard let date = parsePrefix(u) else { return nil }
        if u.count == 10 { return date }
        // date-time: T HH:MM:SS [.frac] (Z | ±HH:MM)
        guard u.count >= 20, u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: "t"),
            u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":"),
            let hh = digits(u, 11..<13), let mm = digits(u, 14..<16), let ss = digits(u, 17..<19),
            hh < 24, mm < 60, ss <= 60
        else { return nil }
        var i = 19
        if u[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < u.count, u[i] >= 0x30, u[i] <= 0x39 { i += 1 }
            guard i > start, i - start <= 9 else { return nil }
        }
        guard i < u.count else { return nil }
        if u[i] == UInt8(ascii: "Z") || u[i] == UInt8(ascii: "z") {
            return i + 1 == u.count ? date : nil
        }
        guard u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-"), u.count == i + 6,
            u[i + 3] == UInt8(ascii: ":"), let oh = digits(u, (i + 1)..<(i + 3)), let om = digits(u, (i + 4)..<(i + 6)),
            oh < 24, om < 60
        else { return nil }
        return date
    }

    public var description: String {
        func pad(_ v: Int, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (a: CalendarDate, b: CalendarDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = CalendarDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad date \(text)"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
