import CTGLedger
import CTGProjections
import EventLog
import Foundation
import StrictJSON
import Testing

/// A temporary store, removed when the value goes away.
final class TempStore {
    let directory: String
    let path: String
    private var opened: Ledger?

    init() {
        directory = NSTemporaryDirectory() + "ctg-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/store"
    }

    deinit {
        opened = nil
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// The store opened read-write (once per test: one environment per process and store).
    var ledger: Ledger {
        if let opened { return opened }
        let l = try! Ledger(path: path, access: .readWrite)
        opened = l
        return l
    }

    /// Closes the store's environment so a test can open it another way.
    func close() { opened = nil }

    /// Opens the store read-only, as ctg-audit does.
    func auditor() throws -> Ledger { try Ledger(path: path, access: .readOnly) }

    /// Writes `lines` to a file in the temporary directory and imports it as one batch.
    @discardableResult
    func importLines(_ lines: [String], name: String = "batch.ndjson", actor: String? = nil) throws -> BatchSummary {
        let file = directory + "/" + name
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        return try ledger.importFile(file, actor: actor)
    }

    @discardableResult
    func importFixture(_ relative: String) throws -> BatchSummary {
        try ledger.importFile(Fixtures.path(relative), actor: nil)
    }

    /// The whole export, the byte-level picture of the log.
    func export() throws -> String {
        var out: [UInt8] = []
        try ledger.exportLines(stream: nil) { out.append(contentsOf: $0) }
        return String(decoding: out, as: UTF8.self)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let file = directory + "/" + name
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }
}

enum Fixtures {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url.path
    }()

    static func path(_ relative: String) -> String { root + "/Tests/Fixtures/" + relative }

    static var seedFiles: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: path("seeds")))?.filter { $0.hasSuffix(".ndjson") }.sorted() ?? []
    }
}

/// Builds event lines for tests.
struct Events {
    var stream: String
    var counter = 0
    var actor = "test/agent"

    init(_ stream: String) { self.stream = stream }

    mutating func line(_ type: String, _ date: String, _ data: JSONValue, id: String? = nil, extra: [(String, JSONValue)] = []) -> String {
        counter += 1
        var members = [
            JSONMember("id", .string(id ?? "\(stream)-\(counter)")), JSONMember("stream", .string(stream)),
            JSONMember("type", .string(type)), JSONMember("occurredAt", .string(date)),
            JSONMember("actor", .string(actor)), JSONMember("data", data),
        ]
        for (k, v) in extra { members.append(JSONMember(k, v)) }
        return JSONWriter.ordered(.object(JSONObject(members)))
    }

    /// Opened, an EPCI and a commune joined, signed: a convention ready for funding.
    mutating func signedConvention(start: String = "2023-01-01", end: String = "2026-12-31") -> [String] {
        [
            line("ConventionOpened", "2023-01-05", [
                "title": "CTG test", "caf": ["id": "caf01", "name": "Caf test", "role": "caf"],
                "territory": ["name": "CC test", "kind": "epci"], "period": ["start": .string(start), "end": .string(end)],
                "domains": ["petite_enfance"],
            ]),
            line("PartnerJoined", "2023-01-05", ["partner": ["id": "epci01", "name": "CC test", "role": "epci"]]),
            line("PartnerJoined", "2023-01-05", ["partner": ["id": "commune01", "name": "Commune test", "role": "commune"]]),
            line("ConventionSigned", "2023-03-01", ["signatories": ["caf01", "epci01"]]),
        ]
    }

    mutating func decide(_ id: String, year: Int64 = 2024, amount: String, scheme: String = "prestation_service", beneficiary: String = "Crèche A", facility: String? = nil, basis: String = "provisional") -> String {
        var data: [JSONMember] = [
            JSONMember("decisionId", .string(id)), JSONMember("funder", "caf01"),
            JSONMember("beneficiary", ["name": .string(beneficiary)]), JSONMember("domain", "petite_enfance"),
            JSONMember("scheme", .string(scheme)), JSONMember("year", .integer(year)), JSONMember("basis", .string(basis)),
            JSONMember("amount", .string(amount)),
        ]
        if let facility { data.append(JSONMember("facility", .string(facility))) }
        return line("FundingDecided", "\(year)-02-01", .object(JSONObject(data)))
    }

    mutating func pay(_ id: String, _ decision: String, _ amount: String, kind: String = "advance", overpayment: Bool = false) -> String {
        var data: [JSONMember] = [JSONMember("paymentId", .string(id)), JSONMember("decisionId", .string(decision)), JSONMember("kind", .string(kind)), JSONMember("amount", .string(amount)), JSONMember("paidOn", "2024-03-01")]
        if overpayment { data.append(JSONMember("overpayment", true)) }
        return line("PaymentMade", "2024-03-01", .object(JSONObject(data)))
    }

    mutating func revise(_ decision: String, _ amount: String, basis: String = "final") -> String {
        line("FundingRevised", "2025-03-01", ["decisionId": .string(decision), "amount": .string(amount), "basis": .string(basis), "reason": "droit définitif"])
    }

    mutating func recover(_ id: String, _ decision: String, _ amount: String) -> String {
        line("RecoveryOrdered", "2025-04-01", ["recoveryId": .string(id), "decisionId": .string(decision), "amount": .string(amount), "reason": "indu"])
    }

    mutating func cancel(_ decision: String) -> String {
        line("FundingCancelled", "2025-01-01", ["decisionId": .string(decision), "reason": "erreur"])
    }
}

/// Expects `body` to throw a ledger error with `code`, and returns it.
@discardableResult
func expectRejection(_ code: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> LedgerError? {
    do {
        try body()
        Issue.record("expected rejection \(code), but it was accepted", sourceLocation: sourceLocation)
        return nil
    } catch let error as LedgerError {
        #expect(error.code == code, "message: \(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected LedgerError \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
