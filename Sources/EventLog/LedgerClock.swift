#if canImport(Glibc)
import Glibc
#endif

/// The ledger's clock: the current UTC instant as RFC 3339 with milliseconds and `Z`.
public enum LedgerClock {
    public static func now() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = time_t(ts.tv_sec)
        var parts = tm()
        gmtime_r(&t, &parts)
        return format(
            year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
            hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: Int(parts.tm_sec), millisecond: Int(ts.tv_nsec) / 1_000_000)
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`, digits written into 24 bytes (a batch of one event, as
    /// `ctg record` writes, took longer to interpolate this than to check its rules).
    static func format(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int) -> String {
        precondition((0...9999).contains(year), "a four-digit year")
        return String(unsafeUninitializedCapacity: 24) { out in
            var i = 0
            func digits(_ value: Int, _ count: Int, then separator: UInt8) {
                var v = value
                for k in stride(from: count - 1, through: 0, by: -1) {
                    out[i + k] = UInt8(ascii: "0") + UInt8(v % 10)
                    v /= 10
                }
                out[i + count] = separator
                i += count + 1
            }
            digits(year, 4, then: UInt8(ascii: "-"))
            digits(month, 2, then: UInt8(ascii: "-"))
            digits(day, 2, then: UInt8(ascii: "T"))
            digits(hour, 2, then: UInt8(ascii: ":"))
            digits(minute, 2, then: UInt8(ascii: ":"))
            digits(second, 2, then: UInt8(ascii: "."))
            digits(millisecond, 3, then: UInt8(ascii: "Z"))
            return i
        }
    }
}

extension LedgerClock {
    /// Milliseconds since 1970 of an RFC 3339 date-time (`Z` or an offset) or of a date
    /// (its midnight UTC); nil when the text is neither.
    public static func epochMillis(_ text: String) -> Int64? {
        guard let date = CalendarDate.businessDate(of: text) else { return nil }
        let u = Array(text.utf8)
        let days = Int64(daysFromCivil(date.year, date.month, date.day))
        if u.count == 10 { return days * 86_400_000 }
        func num(_ r: Range<Int>) -> Int64 { r.reduce(0) { $0 * 10 + Int64(u[$1] - 0x30) } }
        var ms = days * 86_400_000 + num(11..<13) * 3_600_000 + num(14..<16) * 60_000 + num(17..<19) * 1000
        var i = 19
        if u[i] == UInt8(ascii: ".") {
            i += 1
            var scale: Int64 = 100
            while i < u.count, u[i] >= 0x30, u[i] <= 0x39 {
                ms += Int64(u[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
        }
        if u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") {
            let offset = num((i + 1)..<(i + 3)) * 3_600_000 + num((i + 4)..<(i + 6)) * 60_000
            ms += u[i] == UInt8(ascii: "+") ? -offset : offset
        }
        return ms
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
