import ArgumentParser
import CTGCommandSupport
import CTGLedger
import Foundation

/// Writes export lines to standard output through one buffered handle.
private func writeLines(_ ledger: Ledger, stream: String?, from: UInt64, limit: UInt64) throws {
    var buffer: [UInt8] = []
    buffer.reserveCapacity(1 << 20)
    try ledger.exportLines(stream: stream, from: from, limit: limit) { line in
        buffer.append(contentsOf: line)
        if buffer.count >= 1 << 20 {
            FileHandle.standardOutput.write(Data(buffer))
            buffer.removeAll(keepingCapacity: true)
        }
    }
    FileHandle.standardOutput.write(Data(buffer))
}

struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events", abstract: "Print events as NDJSON with their ledger object (seq, version, recordedAt, hashes).")

    @OptionGroup var store: StoreOptions

    @Option(help: "Only this convention's events.")
    var stream: String?

    @Option(help: "Start at this seq.")
    var from: UInt64 = 1

    @Option(help: "At most this many events.")
    var limit: UInt64?

    func run() throws {
        try runReportingErrors("ctg") {
            try writeLines(try openForExport(store), stream: stream, from: from, limit: limit ?? .max)
        }
    }
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export events as NDJSON with their ledger object, for `ctg import` elsewhere or `ctg-audit verify-export`.")

    @OptionGroup var store: StoreOptions

    @Option(help: "Only this convention's events (a partial export: verify it with --partial).")
    var stream: String?

    func run() throws {
        try runReportingErrors("ctg") {
            try writeLines(try openForExport(store), stream: stream, from: 1, limit: .max)
        }
    }
}

struct RebuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild", abstract: "Drop every projection and rebuild it from the events, in one transaction.")

    @OptionGroup var store: StoreOptions

    func run() throws {
        try runReportingErrors("ctg") {
            let count = try openForWriting(store).rebuild(progress: Progress.onTerminal("rebuild"))
            print("rebuilt the projections from \(count) events")
        }
    }
}
