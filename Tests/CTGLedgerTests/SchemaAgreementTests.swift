import CTGDomain
import EventLog
import Foundation
import StrictJSON
import Testing

@Suite("The JSON Schemas and the Swift decoder agree")
struct SchemaAgreementTests {
    /// The off-the-shelf validator's verdicts (Python jsonschema, installed by tools/setup.sh).
    static func pythonVerdicts(_ file: String) throws -> [(line: Int, valid: Bool, error: String?)] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Fixtures.root + "/tools/check-schemas.py", "--verdicts", file]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "check-schemas.py failed (is jsonschema installed? run tools/setup.sh): \(errors)")
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            let o = try! JSONParser.parse(String(line)).objectValue!
            return (Int(o["line"]!.integerValue!), o["valid"] == .bool(true), o["error"]?.stringValue)
        }
    }

    /// What the ledger says of an event's shape, before any rule that needs state.
    static func swiftVerdict(_ event: JSONValue) -> String? {
        do {
            let envelope = try Envelope(event, defaultActor: nil)
            _ = try DomainEvent.decode(type: envelope.type, schema: envelope.schema, data: envelope.data)
            return nil
        } catch {
            return error.code
        }
    }

    @Test("on the corpus of good and bad events, each side gives the expected verdict")
    func corpus() throws {
        let file = Fixtures.path("schema-corpus.ndjson")
        let verdicts = try Self.pythonVerdicts(file)
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        try #require(verdicts.count == lines.count && lines.count > 50)
        for (line, verdict) in zip(lines, verdicts) {
            let entry = try JSONParser.parse(String(line)).objectValue!
            let expectValid = entry["expect"] == "valid"
            let schemaCanTell = entry["layer"] == "schema"
            let note = entry["note"]?.stringValue ?? ""
            let swift = Self.swiftVerdict(entry["event"]!)
            #expect((swift == nil) == expectValid, "line \(verdict.line) \(note): Swift says \(swift ?? "valid")")
            if schemaCanTell {
                #expect(verdict.valid == expectValid, "line \(verdict.line) \(note): schema says \(verdict.error ?? "valid")")
            } else {
                #expect(verdict.valid, "line \(verdict.line): JSON Schema cannot express this, it should accept it")
            }
        }
    }

    @Test("every fixture is valid for the schemas and for the decoder", arguments: ["lifecycle.ndjson"] + Fixtures.seedFiles.map { "seeds/" + $0 })
    func fixtures(_ name: String) throws {
        let file = Fixtures.path(name)
        for verdict in try Self.pythonVerdicts(file) {
            #expect(verdict.valid, "\(name):\(verdict.line): \(verdict.error ?? "")")
        }
        for line in try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n") {
            #expect(Self.swiftVerdict(try JSONParser.parse(String(line))) == nil)
        }
    }
}
