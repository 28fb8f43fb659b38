@testable import CTGLedger
import EventLog
import Foundation
import StrictJSON
import Testing

@Suite("The event log: seq, versions, idempotency, conflicts, growth, reopening")
struct LogTests {
    static func ledgerFields(_ export: String) -> [(seq: Int64, version: Int64, stream: String)] {
        export.split(separator: "\n").map { line in
            let o = try! JSONParser.parse(String(line)).objectValue!
            let l = o["ledger"]!.objectValue!
            return (l["seq"]!.integerValue!, l["version"]!.integerValue!, o["stream"]!.stringValue!)
        }
    }

    @Test("seq is global and gap-free, versions count per stream, across batches and interleaved streams")
    func continuity() throws {
        let store = TempStore()
        var a = Events("ctg-a"), b = Events("ctg-b")
        let la = a.signedConvention(), lb = b.signedConvention()
        try store.importLines([la[0], lb[0], la[1]], name: "1.ndjson")
        try store.importLines([lb[1], lb[2], la[2], la[3], lb[3]], name: "2.ndjson")
        let fields = Self.ledgerFields(try store.export())
        #expect(fields.map(\.seq) == Array(1...8))
        #expect(fields.map(\.version) == [1, 1, 2, 2, 3, 3, 4, 4])
        #expect(fields.map(\.stream) == ["ctg-a", "ctg-b", "ctg-a", "ctg-b", "ctg-b", "ctg-a", "ctg-a", "ctg-b"])
    }

    @Test("re-appending an identical event is skipped, in an earlier batch or the same one; different content is refused")
    func idempotency() throws {
        let store = TempStore()
        var a = Events("ctg-a")
        let lines = a.signedConvention()
        let first = try store.importLines(lines + [lines[1]])
        #expect(first.appended == 4 && first.skipped == 1)
        let again = try store.importLines(lines)
        #expect(again.appended == 0 && again.skipped == 4)
        let before = try store.export()
        let changed = lines[1].replacing("CC test", with: "CC autre")
        let error = expectRejection("id-conflict") { try store.importLines([changed]) }
        #expect(error?.eventId == "ctg-a-2")
        #expect(try store.export() == before)
    }

    @Test("expectedVersion: a mismatch rejects the batch; a retried event is skipped though its expectedVersion is stale")
    func expectedVersion() throws {
        let store = TempStore()
        var a = Events("ctg-a")
        let lines = a.signedConvention()
        try store.importLines(Array(lines.prefix(2)))
        let stale = a.line("PartnerJoined", "2023-02-01", ["partner": ["id": "x", "name": "X", "role": "other"]], extra: [("expectedVersion", 1)])
        let error = expectRejection("version-conflict") { try store.importLines([stale]) }
        #expect(error?.description.contains("version 2") == true)
        let good = a.line("PartnerJoined", "2023-02-01", ["partner": ["id": "y", "name": "Y", "role": "other"]], extra: [("expectedVersion", 2)])
        #expect(try store.importLines([good]).appended == 1)
        #expect(try store.importLines([good]).skipped == 1)
        // expectedVersion is not stored.
        #expect(!(try store.export()).contains("expectedVersion"))
    }

    @Test("a file parsed in several byte ranges lands in file order, and an error far into it names its true line")
    func largeFileInRanges() throws {
        var streams = RandomStreams(seed: 5)
        var lines = streams.generate(conventions: 20, eventsPerConvention: 220)
        lines.insert("", at: 10)  // blank lines count in line numbers
        lines.insert("   ", at: 900)
        let text = lines.joined(separator: "\n") + "\n"
        #expect(text.utf8.count > 3 * (256 << 10))

        let store = TempStore()
        let file = try store.write("big.ndjson", text)
        let summary = try store.ledger.importFile(file, actor: nil)
        #expect(summary.appended == lines.count - 2)
        let exported = try store.export().split(separator: "\n").map { line -> String in
            guard case .object(let o)? = try? JSONParser.parse(Array(line.utf8)) else { return "" }
            return o["id"]?.stringValue ?? ""
        }
        let ids = lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.map { line -> String in
            guard case .object(let o)? = try? JSONParser.parse(Array(line.utf8)) else { return "" }
            return o["id"]?.stringValue ?? ""
        }
        #expect(exported == ids)

        var broken = lines
        try #require(broken.count > 3000)
        broken[2999] = #"{"id":"broken""#
        let other = TempStore()
        let brokenFile = try other.write("broken.ndjson", broken.joined(separator: "\n") + "\n")
        let error = expectRejection("invalid-json") { try other.ledger.importFile(brokenFile, actor: nil) }
        #expect(error?.line == 3000)
        #expect(try other.export().isEmpty)
    }

    @Test("however many threads parse a file, its events come in file order with their true line numbers", arguments: [2, 3, 5])
    func parsingThreadsDoNotMatter(workers: Int) throws {
        var streams = RandomStreams(seed: 6)
        var lines = streams.generate(conventions: 20, eventsPerConvention: 220)
        lines.insert("", at: 10)
        lines[2500] = #"{"id":"broken""#
        let store = TempStore()
        let file = try store.write("big.ndjson", lines.joined(separator: "\n") + "\n")
        #expect(Ledger.fileSize(file)! > 3 * ParsedLine.chunkBytes)
        // What an import sees: each event's line in the file, and its id or its rejection.
        func parsed(_ workers: Int) -> [String] {
            let pipeline = ParsedLine.pipeline(path: file, actor: nil, workers: workers)
            defer { pipeline.close() }
            var seen: [String] = []
            var linesBefore = 0
            while let chunk = pipeline.nextChunk() {
                for item in chunk.items {
                    if let envelope = item.envelope {
                        seen.append("\(linesBefore + item.line) \(envelope.id)")
                    } else {
                        seen.append("\(linesBefore + item.line) \(item.refusal?.code ?? "neither")")
                    }
                }
                linesBefore += chunk.lines
                pipeline.discard(chunk)
            }
            return seen
        }
        let one = parsed(1)
        #expect(one.count == lines.count - 1)
        #expect(one.contains("2501 invalid-json"))
        #expect(parsed(workers) == one)
    }

    /// A named pipe in `store`'s directory, written with `text` by another thread.
    @Test("a pipe holding more than the map imports whole: a batch run again after the map grows reads a copy, not the drained pipe", .timeLimit(.minutes(1)))
    func pipeLargerThanTheMap() throws {
        let store = TempStore()
        let ledger = try Ledger(path: store.path, access: .readWrite, mapSize: 128 * 1024)
        var streams = RandomStreams(seed: 12)
        let lines = streams.generate(conventions: 6, eventsPerConvention: 200)
        let summary = try ledger.importFile(Self.pipe(in: store, lines.joined(separator: "\n") + "\n"), actor: nil)
        #expect(summary.appended == lines.count)
        #expect(ledger.environment.mapSize > 128 * 1024)
        #expect(try ledger.verify().ok)
    }

    static func pipe(in store: TempStore, _ text: String) -> String {
        let fifo = store.directory + "/events.fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        Thread.detachNewThread {
            guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
            handle.write(Data(text.utf8))
            try? handle.close()
        }
        return fifo
    }

    @Test("a pipe (not a regular file) is copied first, then read in order with true line numbers")
    func importFromPipe() throws {
        var streams = RandomStreams(seed: 8)
        var lines = streams.generate(conventions: 6, eventsPerConvention: 260)
        try #require(lines.count > 1200)
        lines.insert("", at: 3)
        let store = TempStore()
        let summary = try store.ledger.importFile(Self.pipe(in: store, lines.joined(separator: "\n") + "\n"), actor: nil)
        #expect(summary.appended == lines.count - 1)

        var broken = lines
        broken[1099] = "{"
        let other = TempStore()
        let fifo = Self.pipe(in: other, broken.joined(separator: "\n") + "\n")
        let error = expectRejection("invalid-json") { try other.ledger.importFile(fifo, actor: nil) }
        #expect(error?.line == 1100)
        #expect(try other.export().isEmpty)
    }

    @Test("the map, reserved on disk, stays at its initial size for a small import and is sized for a large file before it starts")
    func mapSizedForTheFile() throws {
        let store = TempStore()
        let ledger = try Ledger(path: store.path, access: .readWrite, mapSize: 4 << 20)
        try ledger.importFile(Fixtures.path("lifecycle.ndjson"), actor: nil)
        #expect(ledger.environment.mapSize == 4 << 20)
        var streams = RandomStreams(seed: 11)
        let text = streams.generate(conventions: 30, eventsPerConvention: 400).joined(separator: "\n") + "\n"
        #expect(3 * text.utf8.count > 4 << 20)
        let file = try store.write("large.ndjson", text)
        try ledger.importFile(file, actor: nil)
        #expect(ledger.environment.mapSize >= 3 * text.utf8.count)
        var st = stat()
        #expect(stat(store.path + "/data.mdb", &st) == 0 && Int(st.st_blocks) * 512 >= ledger.environment.mapSize)
    }

    @Test("a tiny map grows during an import and everything lands")
    func mapGrowth() throws {
        let store = TempStore()
        let ledger = try Ledger(path: store.path, access: .readWrite, mapSize: 128 * 1024)
        var gen = RandomStreams(seed: 11)
        let lines = gen.generate(conventions: 5, eventsPerConvention: 120)
        let file = try store.write("big.ndjson", lines.joined(separator: "\n"))
        let summary = try ledger.importFile(file, actor: nil)
        #expect(summary.appended == lines.count)
        #expect(ledger.environment.mapSize > 128 * 1024)
        #expect(try ledger.verify().ok)
    }

    @Test("a store directory another process made first is opened, not refused; a file in its place or a missing parent is refused")
    func storeDirectoryRace() throws {
        let store = TempStore()
        // What a second `ctg import` meets when the first made the directory after both
        // found it missing: the directory is there when it calls mkdir.
        try FileManager.default.createDirectory(atPath: store.path, withIntermediateDirectories: false)
        try Ledger.createStoreDirectory(store.path)
        #expect(try store.importFixture("lifecycle.ndjson").appended == 26)

        let file = store.directory + "/not-a-directory"
        #expect(FileManager.default.createFile(atPath: file, contents: Data("x".utf8)))
        let refused = expectRejection("store-create") { try Ledger.createStoreDirectory(file) }
        #expect(refused?.message == "cannot create the store directory \(file): File exists")
        let orphan = store.directory + "/missing/store"
        let missing = expectRejection("store-create") { try Ledger.createStoreDirectory(orphan) }
        #expect(missing?.message == "cannot create the store directory \(orphan): No such file or directory")
    }

    @Test("reopening a store sees every event and the same answers")
    func reopen() throws {
        let store = TempStore()
        try store.importFixture("lifecycle.ndjson")
        let export = try store.export()
        let funding = try store.ledger.fundingReport(by: .year, convention: nil, year: nil).rendered(.json)
        store.close()
        let reopened = try Ledger(path: store.path, access: .readWrite)
        var out: [UInt8] = []
        try reopened.exportLines(stream: nil) { out.append(contentsOf: $0) }
        #expect(String(decoding: out, as: UTF8.self) == export)
        #expect(try reopened.fundingReport(by: .year, convention: nil, year: nil).rendered(.json) == funding)
        #expect(try reopened.read { try $0.projections.checkpoint() } == 26)
    }

    @Test("reads by stream and by seq range return just those events")
    func reads() throws {
        let store = TempStore()
        var a = Events("ctg-a"), b = Events("ctg-b")
        try store.importLines(a.signedConvention() + b.signedConvention())
        var lines: [String] = []
        try store.ledger.exportLines(stream: "ctg-b") { lines.append(String(decoding: $0, as: UTF8.self)) }
        #expect(lines.count == 4 && lines.allSatisfy { $0.contains(#""stream":"ctg-b""#) })
        var range: [String] = []
        try store.ledger.exportLines(stream: nil, from: 3, limit: 2) { range.append(String(decoding: $0, as: UTF8.self)) }
        #expect(Self.ledgerFields(range.joined()).map(\.seq) == [3, 4])
    }

    @Test("a generated interleaved stream split in several files imports, verifies and rebuilds identically")
    func generatedFiles() throws {
        let store = TempStore()
        let out = store.directory + "/gen"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Fixtures.root + "/tools/generate.py", "--seed", "3", "--events", "2500", "--files", "3", "--out", out]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        var total = 0
        for i in 1...3 {
            total += try store.ledger.importFile(out + "/events-00\(i).ndjson", actor: nil).appended
        }
        #expect(total == 2500)
        let before = try store.ledger.projectionTables()
        #expect(try store.ledger.verify().ok)
        _ = try store.ledger.rebuild()
        #expect(try store.ledger.projectionTables() == before)
    }
}
