import CTGDomain
@testable import EventLog
import Foundation
import StrictJSON
import Testing

@Suite("Money is exact integer cents parsed from the spec's amount strings")
struct MoneyTests {
    @Test("valid amounts become cents", arguments: [
        ("0", 0), ("0.5", 50), ("0.05", 5), ("12.5", 1250), ("1000.00", 100_000), ("999999999999.99", 99_999_999_999_999),
    ] as [(String, Int64)])
    func parses(text: String, cents: Int64) {
        #expect(Money(text)?.cents == cents)
    }

    @Test("invalid amounts are refused", arguments: [
        "", "-1.00", "+1", "1.", ".5", "1.234", "01", "00.10", "1e3", "1,50", "1 000", "1000000000000", "12.5.1", " 1", "NaN",
    ])
    func refuses(text: String) {
        #expect(Money(text) == nil)
    }

    @Test("amounts print with two decimals and a sign when negative")
    func prints() {
        #expect(Money(cents: 0).description == "0.00")
        #expect(Money(cents: 5).description == "0.05")
        #expect(Money(cents: -1250).description == "-12.50")
        #expect(Money(cents: 123_456_789).grouped == "1 234 567.89")
        #expect((Money("0.10")! + Money("0.20")!).description == "0.30")
    }
}

@Suite("Dates are validated calendar dates; a date-time's business date is the one written")
struct CalendarDateTests {
    @Test("real dates parse, impossible ones do not")
    func validation() {
        #expect(CalendarDate("2024-02-29") != nil)
        #expect(CalendarDate("2023-02-29") == nil)
        #expect(CalendarDate("2023-04-31") == nil)
        #expect(CalendarDate("2023-13-01") == nil)
        #expect(CalendarDate("2023-1-01") == nil)
        #expect(CalendarDate("1900-02-29") == nil)
        #expect(CalendarDate("2000-02-29") != nil)
    }

    @Test("occurredAt takes a date or an RFC 3339 date-time; its business date is the local date written")
    func businessDate() {
        #expect(CalendarDate.businessDate(of: "2023-06-20T23:30:00-05:00")?.description == "2023-06-20")
        #expect(CalendarDate.businessDate(of: "2023-06-20T00:30:00+02:00")?.description == "2023-06-20")
        #expect(CalendarDate.businessDate(of: "2023-06-20T10:00:00.123Z")?.description == "2023-06-20")
        #expect(CalendarDate.businessDate(of: "2023-06-20T10:00:00") == nil)
        #expect(CalendarDate.businessDate(of: "2023-06-20T24:00:00Z") == nil)
        #expect(CalendarDate.businessDate(of: "2023-02-30T10:00:00Z") == nil)
        #expect(CalendarDate.businessDate(of: "2023-06-20 10:00:00Z") == nil)
    }

    @Test("instants convert to milliseconds since 1970 through their offset")
    func epoch() {
        #expect(LedgerClock.epochMillis("1970-01-01T00:00:00Z") == 0)
        #expect(LedgerClock.epochMillis("1970-01-01T01:00:00+01:00") == 0)
        #expect(LedgerClock.epochMillis("2000-03-01") == 951_868_800_000)
    }

    @Test("recording times are RFC 3339 UTC with milliseconds, every field zero-padded")
    func recordingTimeFormat() throws {
        #expect(LedgerClock.format(year: 2026, month: 1, day: 2, hour: 3, minute: 4, second: 5, millisecond: 6) == "2026-01-02T03:04:05.006Z")
        #expect(LedgerClock.format(year: 999, month: 12, day: 31, hour: 23, minute: 59, second: 59, millisecond: 999) == "0999-12-31T23:59:59.999Z")
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        let now = LedgerClock.now()
        let after = Int64(Date().timeIntervalSince1970 * 1000)
        #expect(now.utf8.count == 24 && now.hasSuffix("Z"))
        let millis = try #require(LedgerClock.epochMillis(now))
        #expect(millis >= before - 1 && millis <= after + 1)
    }
}

@Suite("Payloads decode strictly and older schemas are upcast")
struct DecodingTests {
    static func decode(_ type: String, _ data: String, schema: Int64 = 1) throws -> DomainEvent {
        try DomainEvent.decode(type: type, schema: schema, data: JSONParser.parse(data).objectValue!)
    }

    static func code(_ type: String, _ data: String, schema: Int64 = 1) -> String? {
        do { _ = try decode(type, data, schema: schema); return nil } catch let r as Rejection { return r.code } catch { return "?" }
    }

    @Test("no silent coercion: a year is an integer, an amount a string with two decimals at most")
    func noCoercion() {
        let base = #""decisionId":"d","funder":"caf","beneficiary":{"name":"B"},"domain":"enfance","scheme":"other","basis":"final""#
        #expect(Self.code("FundingDecided", "{\(base),\"year\":\"2024\",\"amount\":\"1.00\"}") == "wrong-type")
        #expect(Self.code("FundingDecided", "{\(base),\"year\":2024,\"amount\":12}") == "wrong-type")
        #expect(Self.code("FundingDecided", "{\(base),\"year\":2024,\"amount\":\"12.505\"}") == "invalid-amount")
        #expect(Self.code("FundingDecided", "{\(base),\"year\":2024,\"amount\":\"1.00\",\"extra\":1}") == "unknown-field")
        #expect(Self.code("FundingDecided", "{\(base),\"year\":2024}") == "missing-field")
        #expect(Self.code("FundingDecided", "{\(base),\"year\":2024,\"amount\":\"1.00\"}") == nil)
        #expect(Self.code("FundingDecided", "{\(base),\"year\":2024,\"amount\":\"1.00\",\"beneficiary\":{\"name\":\"B\",\"siret\":\"123\"}}".replacing(#""beneficiary":{"name":"B"},"#, with: "")) == "invalid-siret")
    }

    @Test("codes are closed sets")
    func codes() {
        #expect(Self.code("ActionStatusChanged", #"{"actionId":"a","status":"finished"}"#) == "invalid-action-status")
        #expect(Self.code("PartnerJoined", #"{"partner":{"id":"p","name":"P","role":"mairie"}}"#) == "invalid-role")
        #expect(Self.code("ActionStatusChanged", #"{"actionId":"a","status":"done","correction":false}"#) == "wrong-type")
        #expect(Self.code("Unknown", "{}") == "unknown-type")
        #expect(Self.code("PartnerLeft", #"{"partnerId":"p","reason":"r"}"#, schema: 2) == "unsupported-schema")
    }

    @Test("DiagnosticShared schema 1 (from, to) is upcast to schema 2 (period) with the same meaning")
    func upcast() throws {
        guard case let .diagnosticShared(old, _, _) = try Self.decode("DiagnosticShared", #"{"from":"2022-01-01","to":"2022-06-30","domains":["jeunesse"],"summary":"s"}"#, schema: 1),
              case let .diagnosticShared(new, _, _) = try Self.decode("DiagnosticShared", #"{"period":{"start":"2022-01-01","end":"2022-06-30"},"domains":["jeunesse"],"summary":"s"}"#, schema: 2)
        else { Issue.record("not a diagnostic"); return }
        #expect(old == new)
        #expect(Self.code("DiagnosticShared", #"{"period":{"start":"2022-01-01","end":"2022-06-30"},"domains":[],"summary":"s"}"#, schema: 1) == "unknown-field")
        #expect(Self.code("DiagnosticShared", #"{"from":"2022-01-01","to":"2022-06-30","domains":[],"summary":"s"}"#, schema: 2) == "missing-field")
    }
}
