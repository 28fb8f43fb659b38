import CTGLedger
import Foundation
import StrictJSON
import Testing

/// `Tests/Fixtures/bad/`: one file per way an input can be wrong — valid events, then one
/// broken event. The file's name is the code it must be rejected with.
@Suite("The bad input corpus is rejected with each file's code, leaving the store unchanged")
struct BadCorpusTests {
    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: Fixtures.path("bad"))) ?? []).filter { $0.hasSuffix(".ndjson") }.sorted()
    }

    /// Writes one corpus file per rule from the rule table (CTG_UPDATE_GOLDEN=1).
    @Test("the corpus holds a file for every rule of the table")
    func corpusCoversRules() throws {
        if ProcessInfo.processInfo.environment["CTG_UPDATE_GOLDEN"] == "1" {
            for rule in ruleCases {
                var events = Events("ctg-bad")
                let lines = rule.prelude(&events) + [rule.rejected(&events)]
                try (lines.joined(separator: "\n") + "\n").write(toFile: Fixtures.path("bad/\(rule.code).ndjson"), atomically: true, encoding: .utf8)
            }
        }
        let names = Set(Self.files)
        for rule in ruleCases { #expect(names.contains("\(rule.code).ndjson"), "no corpus file for \(rule.code)") }
        #expect(names.count >= ruleCases.count + 15)
    }

    @Test("each file is rejected with its code at its last line, and nothing lands", arguments: BadCorpusTests.files)
    func rejected(_ file: String) throws {
        let store = TempStore()
        var other = Events("ctg-prelude")
        try store.importLines(other.signedConvention(), name: "prelude.ndjson")
        let before = try store.export()
        let code = String(file.dropLast(".ndjson".count))
        let path = Fixtures.path("bad/" + file)
        let error = expectRejection(code) { try store.ledger.importFile(path, actor: nil) }
        let lines = try Data(contentsOf: URL(fileURLWithPath: path)).split(separator: 0x0A).count
        #expect(error?.line == lines)
        #expect(error?.file == path)
        #expect(try store.export() == before)
    }

    @Test("the valid events before the broken one land on their own", arguments: BadCorpusTests.files)
    func validPrefixLands(_ file: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("bad/" + file)))
        let lines = data.split(separator: 0x0A)
        let store = TempStore()
        let prefix = store.directory + "/prefix.ndjson"
        try Data(lines.dropLast().joined(separator: [0x0A]) + [0x0A]).write(to: URL(fileURLWithPath: prefix))
        let summary = try store.ledger.importFile(prefix, actor: nil)
        #expect(summary.appended == lines.count - 1)
    }
}
