import EventLog
import StrictJSON

/// An exact amount of euros held as integer cents; never a floating-point value.
///
/// Parsed from the spec's amount strings (`^(0|[1-9][0-9]{0,11})(\.[0-9]{1,2})?$`) and
/// printed with two decimals. Totals may be negative (a balance); arithmetic traps
/// on overflow rather than wrapping, and the parser bounds inputs far below it.
public struct Money: Comparable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let cents: Int64

    public static let zero = Money(cents: 0)
    /// 999,999,999,999.99 euros, the largest amount an event may carry.
    public static let maxAmount = Money(cents: 99_999_999_999_999)

    public init(cents: Int64) { self.cents = cents }

    /// Parses an amount string; nil when it does not match the spec's pattern.
    public init?(_ text: String) {
        // Read in place: every funding event carries an amount.
        guard let cents = text.withUTF8Bytes({ Money.parseCents($0) }) else { return nil }
        self.cents = cents
    }

    private static func parseCents(_ u: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        var euros: Int64 = 0
        let intStart = i
        while i < u.count, u[i] >= 0x30, u[i] <= 0x39 {
            euros = euros * 10 + Int64(u[i] - 0x30)
            i += 1
            if i - intStart > 12 { return nil }
        }
        let intDigits = i - intStart
        guard intDigits >= 1, !(intDigits > 1 && u[intStart] == 0x30) else { return nil }
        var cents: Int64 = 0
        if i < u.count {
            guard u[i] == UInt8(ascii: "."), i + 1 < u.count, u.count - (i + 1) <= 2 else { return nil }
            var scale: Int64 = 10
            for j in (i + 1)..<u.count {
                guard u[j] >= 0x30, u[j] <= 0x39 else { return nil }
                cents += Int64(u[j] - 0x30) * scale
                scale /= 10
            }
        }
        return euros * 100 + cents
    }

    /// Decodes a JSON amount string at `pointer`, or rejects it naming the value.
    public static func decode(_ text: String, at pointer: @autoclosure () -> String) throws(Rejection) -> Money {
        guard let m = Money(text) else {
            throw Rejection(
                "invalid-amount",
                "\(pointer()) \"\(text)\" is not an amount: euros as a string with at most two decimals, no sign or exponent, at most 999999999999.99")
        }
        return m
    }

    public static func + (a: Money, b: Money) -> Money {
        let (sum, overflow) = a.cents.addingReportingOverflow(b.cents)
        precondition(!overflow, "money overflow")
        return Money(cents: sum)
    }

    public static func - (a: Money, b: Money) -> Money {
        let (diff, overflow) = a.cents.subtractingReportingOverflow(b.cents)
        precondition(!overflow, "money overflow")
        return Money(cents: diff)
    }

    public static func += (a: inout Money, b: Money) { a = a + b }
    public static func -= (a: inout Money, b: Money) { a = a - b }

    public static func < (a: Money, b: Money) -> Bool { a.cents < b.cents }

    /// Two decimals, no separators, a minus sign when negative: `-12.50`.
    public var description: String {
        let negative = cents < 0
        let magnitude = cents.magnitude
        let euros = magnitude / 100
        let rest = magnitude % 100
        return (negative ? "-" : "") + String(euros) + "." + (rest < 10 ? "0" : "") + String(rest)
    }

    /// Euros grouped by thousands with a thin separator, for tables read by people.
    public var grouped: String {
        let plain = description
        let negative = plain.hasPrefix("-")
        let body = negative ? String(plain.dropFirst()) : plain
        let parts = body.split(separator: ".")
        var digits = Array(parts[0])
        var out: [Character] = []
        while digits.count > 3 {
            out.insert(contentsOf: [" "] + digits.suffix(3), at: 0)
            digits.removeLast(3)
        }
        out.insert(contentsOf: digits, at: 0)
        return (negative ? "-" : "") + String(out) + "." + parts[1]
    }

    public init(from decoder: any Decoder) throws {
        cents = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(cents)
    }
}

/// Indicator and percentage values: decimal strings `^-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,6})?$`,
/// kept as written.
public enum DecimalText {
    public static func isValid(_ text: String) -> Bool {
        var u = Array(text.utf8)[...]
        if u.first == UInt8(ascii: "-") { u = u.dropFirst() }
        let intPart = u.prefix { $0 >= 0x30 && $0 <= 0x39 }
        guard (1...15).contains(intPart.count), !(intPart.count > 1 && intPart.first == 0x30) else { return false }
        let rest = u.dropFirst(intPart.count)
        if rest.isEmpty { return true }
        guard rest.first == UInt8(ascii: "."), (2...7).contains(rest.count) else { return false }
        return rest.dropFirst().allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }

    static func decode(_ text: String, at pointer: @autoclosure () -> String) throws(Rejection) -> String {
        guard isValid(text) else {
            throw Rejection("invalid-decimal", "\(pointer()) \"\(text)\" is not a decimal string (at most 15 digits, 6 decimals)")
        }
        return text
    }
}
