import CTGLedger
import CTGProjections
import StrictJSON
import Testing

@Suite("Funding totals equal hand-computed figures for every grouping and filter")
struct FundingTests {
    /// Two conventions: decisions, revisions up and down, a cancellation with payments,
    /// advances, a balance and a recovery.
    static func store() throws -> TempStore {
        let store = TempStore()
        var a = Events("ctg-a")
        var b = Events("ctg-b")
        try store.importLines(a.signedConvention() + [
            a.decide("a1", year: 2023, amount: "1000.00", beneficiary: "Crèche A"),      // → revised up to 1200, paid 350+350+500 balance
            a.pay("pa1", "a1", "350.00"), a.pay("pa2", "a1", "350.00"),
            a.revise("a1", "1200.00"),
            a.pay("pa3", "a1", "500.00", kind: "balance"),
            a.decide("a2", year: 2024, amount: "800.00", scheme: "bonus_territoire", beneficiary: "Centre social"),  // revised down to 500 after 700 paid, 200 recovered
            a.pay("pa4", "a2", "700.00"),
            a.revise("a2", "500.00"),
            a.recover("ra1", "a2", "200.00"),
            a.decide("a3", year: 2024, amount: "300.00", beneficiary: "Crèche A"),       // cancelled after 100 paid
            a.pay("pa5", "a3", "100.00"),
            a.cancel("a3"),
        ], name: "a.ndjson")
        try store.importLines(b.signedConvention() + [
            b.decide("b1", year: 2024, amount: "2500.50", beneficiary: "Crèche A"),
            b.pay("pb1", "b1", "875.18"),
        ], name: "b.ndjson")
        return store
    }

    static func groups(_ report: Report) -> [String: [String]] {
        var out: [String: [String]] = [:]
        for g in report.json.objectValue!["groups"]!.arrayValue! {
            let o = g.objectValue!
            out[o["key"]!.stringValue!] = ["decided", "paid", "recovered", "balance"].map { o[$0]!.stringValue! }
        }
        return out
    }

    static func total(_ report: Report) -> [String] {
        let o = report.json.objectValue!["total"]!.objectValue!
        return ["decided", "paid", "recovered", "balance"].map { o[$0]!.stringValue! }
    }

    @Test("by convention")
    func byConvention() throws {
        let store = try Self.store()
        let r = try store.ledger.fundingReport(by: .convention, convention: nil, year: nil)
        // a: decided 1200 + 500 + 0 = 1700; paid 1200 + 700 + 100 = 2000; recovered 200; balance -100 (a3 overpaid by its cancellation)
        #expect(Self.groups(r) == ["ctg-a": ["1700.00", "2000.00", "200.00", "-100.00"], "ctg-b": ["2500.50", "875.18", "0.00", "1625.32"]])
        #expect(Self.total(r) == ["4200.50", "2875.18", "200.00", "1525.32"])
    }

    @Test("by year, with the cancelled decision's payment counted in its year")
    func byYear() throws {
        let r = try Self.store().ledger.fundingReport(by: .year, convention: nil, year: nil)
        #expect(Self.groups(r) == ["2023": ["1200.00", "1200.00", "0.00", "0.00"], "2024": ["3000.50", "1675.18", "200.00", "1525.32"]])
    }

    @Test("by scheme, beneficiary, funder and domain")
    func otherGroupings() throws {
        let ledger = try Self.store().ledger
        #expect(Self.groups(try ledger.fundingReport(by: .scheme, convention: nil, year: nil)) == [
            "bonus_territoire": ["500.00", "700.00", "200.00", "0.00"], "prestation_service": ["3700.50", "2175.18", "0.00", "1525.32"]])
        #expect(Self.groups(try ledger.fundingReport(by: .beneficiary, convention: nil, year: nil)) == [
            "Centre social": ["500.00", "700.00", "200.00", "0.00"], "Crèche A": ["3700.50", "2175.18", "0.00", "1525.32"]])
        #expect(Self.groups(try ledger.fundingReport(by: .funder, convention: nil, year: nil)) == ["caf01": ["4200.50", "2875.18", "200.00", "1525.32"]])
        #expect(Self.groups(try ledger.fundingReport(by: .domain, convention: nil, year: nil)) == ["petite_enfance": ["4200.50", "2875.18", "200.00", "1525.32"]])
    }

    @Test("the convention and year filters keep the shape and narrow the groups")
    func filters() throws {
        let ledger = try Self.store().ledger
        let r = try ledger.fundingReport(by: .year, convention: "ctg-a", year: 2024)
        #expect(Self.groups(r) == ["2024": ["500.00", "800.00", "200.00", "-100.00"]])
        let keys = r.json.objectValue!.keys
        #expect(keys == ["by", "groups", "total"])
        #expect(Self.groups(try ledger.fundingReport(by: .convention, convention: nil, year: 2023)) == ["ctg-a": ["1200.00", "1200.00", "0.00", "0.00"]])
        #expect(Self.groups(try ledger.fundingReport(by: .beneficiary, convention: "ctg-b", year: nil)) == ["Crèche A": ["2500.50", "875.18", "0.00", "1625.32"]])
        #expect(Self.groups(try ledger.fundingReport(by: .year, convention: "ctg-b", year: 2023)).isEmpty)
    }

    @Test("groups are sorted by the UTF-8 bytes of their keys")
    func groupOrder() throws {
        let r = try Self.store().ledger.fundingReport(by: .beneficiary, convention: nil, year: nil)
        let keys = r.json.objectValue!["groups"]!.arrayValue!.map { $0.objectValue!["key"]!.stringValue! }
        #expect(keys == ["Centre social", "Crèche A"])
    }

    @Test("the JSON shape is exactly the spec's")
    func jsonShape() throws {
        let r = try Self.store().ledger.fundingReport(by: .year, convention: "ctg-b", year: nil)
        #expect(JSONWriter.ordered(r.json) == #"{"by":"year","groups":[{"key":"2024","decided":"2500.50","paid":"875.18","recovered":"0.00","balance":"1625.32"}],"total":{"decided":"2500.50","paid":"875.18","recovered":"0.00","balance":"1625.32"}}"#)
    }

    @Test("CSV has a header row, quotes fields as RFC 4180 says, and parses back to the JSON figures")
    func csvParsesBack() throws {
        let r = try Self.store().ledger.fundingReport(by: .beneficiary, convention: nil, year: nil)
        let csv = r.rendered(.csv)
        let rows = CSV.parse(csv)
        #expect(rows.first == ["key", "decided", "paid", "recovered", "balance"])
        #expect(rows.dropFirst().map { $0[0] } == ["Centre social", "Crèche A"])
        #expect(rows[2] == ["Crèche A", "3700.50", "2175.18", "0.00", "1525.32"])
        let tricky = TableData(headers: ["a", "b"], rows: [["x, \"y\"", "line\nbreak"]]).csv()
        #expect(CSV.parse(tricky) == [["a", "b"], ["x, \"y\"", "line\nbreak"]])
    }

    @Test("the table shows amounts in euros, aligned, with a total row")
    func tableIsReadable() throws {
        let text = try Self.store().ledger.fundingReport(by: .convention, convention: nil, year: nil).rendered(.table)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("convention"))
        #expect(lines.contains { $0.hasPrefix("ctg-b") && $0.contains("2 500.50") && $0.contains("1 625.32") })
        #expect(lines.last?.hasPrefix("total") == true)
        #expect(Set(lines.dropFirst(2).map(\.count)).count == 1)
    }

    @Test("funding baselines are context and never counted in totals")
    func baselinesNotCounted() throws {
        let store = TempStore()
        var a = Events("ctg-a")
        try store.importLines(a.signedConvention() + [
            a.line("FundingBaselineRecorded", "2023-02-01", ["year": 2022, "amount": "3915227.00", "qualifier": "exact", "measure": "allocated", "scope": "gestionnaires"]),
        ])
        let r = try store.ledger.fundingReport(by: .convention, convention: nil, year: nil)
        #expect(Self.groups(r).isEmpty)
        #expect(try store.ledger.convention("ctg-a").baselines.count == 1)
    }
}

/// A small RFC 4180 reader for checking our CSV.
enum CSV {
    static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.count && chars[i + 1] == "\"" { field.append("\""); i += 1 } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field); field = ""
            } else if c == "\r\n" || c == "\n" {
                row.append(field); rows.append(row); row = []; field = ""
            } else { field.append(c) }
            i += 1
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        chars.removeAll()
        return rows
    }
}
