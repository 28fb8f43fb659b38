import CTGLedger
import Foundation
import StrictJSON
import Testing

/// Runs the built executables as users and scripts do.
struct Tool {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func path(_ name: String) -> String { Fixtures.root + "/.build/debug/" + name }

    @discardableResult
    static func run(_ name: String, _ arguments: [String], store: String? = nil, stdin: String? = nil, environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path(name))
        process.arguments = arguments + (store.map { ["--store", $0] } ?? [])
        var env = ProcessInfo.processInfo.environment
        env["CTG_STORE"] = nil
        env["CTG_ACTOR"] = nil
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), input = Pipe()
        // Standard error goes to a file, so neither stream can fill up and block the child.
        let errPath = NSTemporaryDirectory() + "ctg-stderr-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: errPath) }
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try err.close()
        let stderrData = try Data(contentsOf: URL(fileURLWithPath: errPath))
        return Result(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self), stderr: String(decoding: stderrData, as: UTF8.self))
    }
}

@Suite("The ctg and ctg-audit executables, run as processes")
struct CommandLineTests {
    @Test("import prints counts, is idempotent, and the audit verifies")
    func importAndVerify() throws {
        let store = TempStore()
        let first = try Tool.run("ctg", ["import", Fixtures.path("lifecycle.ndjson")], store: store.path)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("26 appended, 0 skipped"))
        let again = try Tool.run("ctg", ["import", Fixtures.path("lifecycle.ndjson")], store: store.path)
        #expect(again.stdout.contains("0 appended, 26 skipped"))
        let verify = try Tool.run("ctg-audit", ["verify"], store: store.path)
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("26 events"))
    }

    @Test("a rejected file exits non-zero, names file, line, event and rule on stderr, keeps stdout clean and appends nothing")
    func rejectedFile() throws {
        let store = TempStore()
        var e = Events("ctg-cli")
        let file = try store.write("bad.ndjson", (e.signedConvention() + [e.decide("d1", amount: "100.00"), e.pay("p1", "d1", "100.01")]).joined(separator: "\n") + "\n")
        let result = try Tool.run("ctg", ["import", file], store: store.path)
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("bad.ndjson:6"))
        #expect(result.stderr.contains("event ctg-cli-6"))
        #expect(result.stderr.contains("payment-exceeds-decided"))
        let export = try Tool.run("ctg", ["export"], store: store.path)
        #expect(export.stdout.isEmpty)
    }

    @Test("malformed lines are rejected with their line number", arguments: [
        ("{\"id\":\"x\",", "invalid-json"),
        ("{\"id\":\"a\",\"id\":\"b\"}", "duplicate-key"),
        ("{\"id\":\"x\",\"stream\":\"ctg-a\",\"type\":\"PartnerLeft\",\"occurredAt\":\"2024-01-01\",\"actor\":\"a\",\"data\":{\"partnerId\":null}}", "null-value"),
    ])
    func malformed(line: String, code: String) throws {
        let store = TempStore()
        var e = Events("ctg-cli")
        let file = try store.write("bad.ndjson", e.signedConvention().joined(separator: "\n") + "\n" + line + "\n")
        let result = try Tool.run("ctg", ["import", file], store: store.path)
        #expect(result.status != 0)
        #expect(result.stderr.contains("bad.ndjson:5"))
        #expect(result.stderr.contains(code))
    }

    @Test("invalid UTF-8 is rejected with its line number")
    func invalidUTF8() throws {
        let store = TempStore()
        let file = store.directory + "/bad.ndjson"
        var bytes = Array("{\"id\":\"x\",\"stream\":\"ctg-a\",\"type\":\"PartnerLeft\",\"occurredAt\":\"2024-01-01\",\"actor\":\"".utf8)
        bytes += [0xC3, 0x28] + Array("\",\"data\":{}}\n".utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let result = try Tool.run("ctg", ["import", file], store: store.path)
        #expect(result.status != 0)
        #expect(result.stderr.contains("bad.ndjson:1"))
        #expect(result.stderr.contains("invalid-utf8"))
    }

    @Test("standard input imports with -, and --actor fills events without an actor")
    func stdinAndActor() throws {
        let store = TempStore()
        var e = Events("ctg-cli")
        let lines = e.signedConvention().map { $0.replacing(#","actor":"test/agent""#, with: "") }
        let refused = try Tool.run("ctg", ["import", "-"], store: store.path, stdin: lines.joined(separator: "\n"))
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("missing-actor"))
        let ok = try Tool.run("ctg", ["import", "-", "--actor", "caf01/agent:cli"], store: store.path, stdin: lines.joined(separator: "\n"))
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("<stdin>: 4 appended"))
        let export = try Tool.run("ctg", ["export"], store: store.path)
        #expect(export.stdout.contains(#""actor":"caf01/agent:cli""#))
    }

    @Test("record appends one event through the same checks, with optimistic concurrency")
    func record() throws {
        let store = TempStore()
        var e = Events("ctg-cli")
        try Tool.run("ctg", ["import", try store.write("a.ndjson", e.signedConvention().joined(separator: "\n"))], store: store.path)
        let data = #"{"decisionId":"d1","funder":"caf01","beneficiary":{"name":"Crèche"},"domain":"enfance","scheme":"prestation_service","year":2024,"basis":"provisional","amount":"500.00"}"#
        let conflict = try Tool.run("ctg", ["record", "FundingDecided", "--stream", "ctg-cli", "--id", "rec-1", "--occurred-at", "2024-02-01", "--actor", "caf01/x", "--data", data, "--expected-version", "3"], store: store.path)
        #expect(conflict.status != 0)
        #expect(conflict.stderr.contains("version-conflict"))
        let ok = try Tool.run("ctg", ["record", "FundingDecided", "--stream", "ctg-cli", "--id", "rec-1", "--occurred-at", "2024-02-01", "--actor", "caf01/x", "--data", data, "--expected-version", "4"], store: store.path)
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.stdout.contains("seq 5"))
        let bad = try Tool.run("ctg", ["record", "PaymentMade", "--stream", "ctg-cli", "--id", "rec-2", "--occurred-at", "2024-03-01", "--actor", "caf01/x",
                                       "--data", #"{"paymentId":"p1","decisionId":"d1","kind":"advance","amount":"500.01","paidOn":"2024-03-01"}"#], store: store.path)
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("payment-exceeds-decided"))
        let funding = try Tool.run("ctg", ["funding", "--format", "json"], store: store.path)
        #expect(funding.stdout.contains(#""decided": "500.00""#))
    }

    @Test("queries answer in JSON, CSV and table; unknown ids and missing stores fail clearly")
    func queries() throws {
        let store = TempStore()
        try Tool.run("ctg", ["import", Fixtures.path("lifecycle.ndjson")], store: store.path)
        let list = try Tool.run("ctg", ["conventions", "--format", "json"], store: store.path)
        let array = try JSONParser.parse(list.stdout, allowNull: true).arrayValue!
        #expect(array.first?.objectValue?.keys == ["id", "title", "status", "period", "version"])
        let state = try JSONParser.parse(try Tool.run("ctg", ["convention", "ctg-demo-2022", "--format", "json"], store: store.path).stdout, allowNull: true).objectValue!
        for key in ["id", "title", "status", "period", "version", "signedOn", "members", "actions", "meetings"] {
            #expect(state[key] != nil, "missing \(key)")
        }
        #expect(state["signedOn"] == "2022-09-20")
        #expect(state["meetings"]?.arrayValue?.first?.objectValue?["date"] == "2023-06-20")
        let csv = try Tool.run("ctg", ["funding", "--by", "year", "--format", "csv"], store: store.path)
        #expect(csv.stdout.hasPrefix("key,decided,paid,recovered,balance\r\n2023,9200.50,9200.50,0.00,0.00\r\n"))
        let table = try Tool.run("ctg", ["actions", "ctg-demo-2022"], store: store.path)
        #expect(table.stdout.contains("fa-1") && table.stdout.contains("done"))
        let unknown = try Tool.run("ctg", ["convention", "nope"], store: store.path)
        #expect(unknown.status != 0 && unknown.stdout.isEmpty && unknown.stderr.contains("unknown-convention"))
        let missing = try Tool.run("ctg", ["conventions"], store: store.directory + "/none")
        #expect(missing.status != 0 && missing.stderr.contains("no store"))
        let badFlag = try Tool.run("ctg", ["funding", "--by", "color"], store: store.path)
        #expect(badFlag.status != 0)
    }

    @Test("--as-of shows a signed convention whose period ended as expired, never from the clock")
    func expired() throws {
        let store = TempStore()
        try Tool.run("ctg", ["import", Fixtures.path("seeds/saint-flour.ndjson")], store: store.path)
        let now = try JSONParser.parse(try Tool.run("ctg", ["conventions", "--format", "json"], store: store.path).stdout, allowNull: true)
        #expect(now.arrayValue?.first?.objectValue?["status"] == "signed")
        let later = try JSONParser.parse(try Tool.run("ctg", ["conventions", "--format", "json", "--as-of", "2021-01-01"], store: store.path).stdout, allowNull: true)
        #expect(later.arrayValue?.first?.objectValue?["status"] == "expired")
        let last = try JSONParser.parse(try Tool.run("ctg", ["convention", "ctg-saint-flour-2017", "--format", "json", "--as-of", "2020-12-31"], store: store.path).stdout, allowNull: true)
        #expect(last.objectValue?["status"] == "signed")
    }

    @Test("the store is created 0700 with files 0600")
    func permissions() throws {
        let store = TempStore()
        try Tool.run("ctg", ["import", Fixtures.path("lifecycle.ndjson")], store: store.path)
        let dir = try FileManager.default.attributesOfItem(atPath: store.path)[.posixPermissions] as? Int
        let data = try FileManager.default.attributesOfItem(atPath: store.path + "/data.mdb")[.posixPermissions] as? Int
        #expect(dir == 0o700)
        #expect(data == 0o600)
    }

    @Test("ctg-audit replay, history and verify-export answer in the spec's shapes")
    func audit() throws {
        let store = TempStore()
        try Tool.run("ctg", ["import", Fixtures.path("lifecycle.ndjson")], store: store.path)
        let replay = try JSONParser.parse(try Tool.run("ctg-audit", ["replay", "--until-seq", "13", "--by", "year", "--format", "json"], store: store.path).stdout, allowNull: true).objectValue!
        #expect(replay.keys == ["conventions", "funding"])
        #expect(JSONWriter.ordered(replay["funding"]!) == #"{"by":"year","groups":[{"key":"2023","decided":"10000.00","paid":"7000.00","recovered":"0.00","balance":"3000.00"}],"total":{"decided":"10000.00","paid":"7000.00","recovered":"0.00","balance":"3000.00"}}"#)
        let history = try JSONParser.parse(try Tool.run("ctg-audit", ["history", "--decision", "d-2023-bonus", "--format", "json"], store: store.path).stdout, allowNull: true).objectValue!
        #expect(history["events"]?.arrayValue?.count == 5)
        let export = try Tool.run("ctg", ["export"], store: store.path)
        let file = try store.write("export.ndjson", export.stdout)
        #expect(try Tool.run("ctg-audit", ["verify-export", file]).status == 0)
        let forged = try store.write("forged.ndjson", export.stdout.replacing("\"7000.00\"", with: "\"7000.01\""))
        let bad = try Tool.run("ctg-audit", ["verify-export", forged])
        #expect(bad.status == 1)
        let partial = try Tool.run("ctg", ["export", "--stream", "ctg-demo-2022"], store: store.path)
        #expect(partial.stdout == export.stdout)
    }
}

@Suite("Empty stores")
struct EmptyStoreTests {
    @Test("queries on a store with no events fail with a clear message; export is empty")
    func emptyStore() throws {
        let store = TempStore()
        _ = store.ledger
        store.close()
        let result = try Tool.run("ctg", ["conventions"], store: store.path)
        #expect(result.status != 0)
        #expect(result.stderr.contains("empty-store"))
        let export = try Tool.run("ctg", ["export"], store: store.path)
        #expect(export.status == 0 && export.stdout.isEmpty)
    }
}

@Suite("Missing stores")
struct MissingStoreTests {
    @Test("reading a store that does not exist, or whose directory a first writer has only just made, says there is no store")
    func noStore() throws {
        let store = TempStore()
        _ = expectRejection("no-store") { _ = try Ledger(path: store.path, access: .readOnly) }
        #expect(mkdir(store.path, 0o700) == 0)
        _ = expectRejection("no-store") { _ = try Ledger(path: store.path, access: .readOnly) }
        let result = try Tool.run("ctg-audit", ["verify"], store: store.path)
        #expect(result.status != 0)
        #expect(result.stderr.contains("no-store"))
    }
}

@Suite("Hostile input is bounded")
struct BoundedInputTests {
    @Test("a line longer than the limit is refused with its number, and nothing lands")
    func longLine() throws {
        let store = TempStore()
        var e = Events("ctg-big")
        let huge = #"{"id":"x","stream":"ctg-big","type":"PartnerLeft","occurredAt":"2024-01-01","actor":"a","data":{"partnerId":"p","reason":""# + String(repeating: "a", count: 1_200_000) + "\"}}"
        let file = try store.write("big.ndjson", (e.signedConvention() + [huge]).joined(separator: "\n") + "\n")
        let error = expectRejection("line-too-long") { try store.ledger.importFile(file, actor: nil) }
        #expect(error?.line == 5)
        #expect(try store.export().isEmpty)
    }

    @Test("deep nesting is refused")
    func deepNesting() throws {
        let store = TempStore()
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        let line = #"{"id":"x","stream":"ctg-big","type":"PartnerLeft","occurredAt":"2024-01-01","actor":"a","data":{"partnerId":"p","reason":"r","x":"# + deep + "}}"
        let file = try store.write("deep.ndjson", line + "\n")
        expectRejection("nesting-too-deep") { try store.ledger.importFile(file, actor: nil) }
    }

    @Test("a byte-order mark and CRLF line ends: the BOM is refused, CRLF is whitespace")
    func bomAndCRLF() throws {
        let store = TempStore()
        var e = Events("ctg-crlf")
        let crlf = try store.write("crlf.ndjson", e.signedConvention().joined(separator: "\r\n") + "\r\n")
        #expect(try store.ledger.importFile(crlf, actor: nil).appended == 4)
        var b = Events("ctg-bom")
        let bom = try store.write("bom.ndjson", "\u{FEFF}" + b.line("PartnerLeft", "2024-01-01", ["partnerId": "p", "reason": "r"]))
        expectRejection("bom") { try store.ledger.importFile(bom, actor: nil) }
    }
}

@Suite("Least privilege")
struct LeastPrivilegeTests {
    @Test("ctg warns loudly when others can write the store")
    func looseStoreWarns() throws {
        let store = TempStore()
        try Tool.run("ctg", ["import", Fixtures.path("lifecycle.ndjson")], store: store.path)
        chmod(store.path, 0o777)
        chmod(store.path + "/data.mdb", 0o666)
        var e = Events("ctg-perm")
        let file = try store.write("more.ndjson", e.signedConvention().joined(separator: "\n"))
        let result = try Tool.run("ctg", ["import", file], store: store.path)
        #expect(result.status == 0)
        #expect(result.stderr.contains("warning: other users can write"))
    }

    @Test("ctg refuses to write an event without an actor")
    func actorRequired() throws {
        let store = TempStore()
        let result = try Tool.run("ctg", ["record", "PartnerLeft", "--stream", "ctg-x", "--id", "e1", "--occurred-at", "2024-01-01", "--data", #"{"partnerId":"p","reason":"r"}"#], store: store.path)
        #expect(result.status != 0)
        #expect(result.stderr.contains("missing-actor"))
    }
}

@Suite("CSV answers")
struct CSVAnswerTests {
    @Test("a convention in CSV is a field,value table a spreadsheet reads")
    func conventionCSV() throws {
        let store = TempStore()
        try Tool.run("ctg", ["import", Fixtures.path("lifecycle.ndjson")], store: store.path)
        let csv = try Tool.run("ctg", ["convention", "ctg-demo-2022", "--format", "csv"], store: store.path).stdout
        let rows = CSV.parse(csv)
        #expect(rows.first == ["field", "value"])
        #expect(rows.contains(["signedOn", "2022-09-20"]))
        #expect(rows.contains(["status", "terminated"]))
        #expect(rows.contains(["title", "CTG Communauté de communes de Démo 2022-2025"]))
    }
}

@Suite("Files that cannot be read")
struct UnreadableFileTests {
    @Test("a missing file or a directory is refused clearly, and nothing lands")
    func missingFile() throws {
        let store = TempStore()
        let missing = try Tool.run("ctg", ["import", store.directory + "/nope.ndjson"], store: store.path)
        #expect(missing.status != 0 && missing.stderr.contains("cannot-open"))
        let directory = try Tool.run("ctg", ["import", store.directory], store: store.path)
        #expect(directory.status != 0 && directory.stderr.contains("read-failed"))
        #expect(try Tool.run("ctg", ["export"], store: store.path).stdout.isEmpty)
    }
}
