import ArgumentParser
import CTGCommandSupport
import CTGLedger
import CTGProjections
import EventLog

/// `ctg-audit`, the auditors' replay tool. It opens the store read-only (`MDB_RDONLY`)
/// and has no code path that writes.
@main
struct CTGAudit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctg-audit",
        abstract: "Verify and replay the CTG ledger, read-only.",
        discussion: """
            Opens the store read-only: it works on a store it may not write, and never changes \
            a byte. verify exits 0 when everything holds and 1 naming the first bad seq otherwise.
            """,
        version: "1.0.0",
        subcommands: [VerifyCommand.self, VerifyExportCommand.self, ReplayCommand.self, HistoryCommand.self, TraceCommand.self]
    )
}

func openStore(_ store: StoreOptions) throws -> Ledger {
    try Ledger(path: store.path, access: .readOnly)
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the hash chain, seq and version continuity, the indexes, and that the projections equal a fresh replay.")

    @OptionGroup var store: StoreOptions

    func run() throws {
        try runReportingErrors("ctg-audit") {
            let result = try openStore(store).verify(progress: Progress.onTerminal("verify"))
            if result.ok {
                print("verified: \(result.events) events in \(result.streams) conventions; hash chain, seq and version continuity, indexes and projections hold")
            } else {
                for problem in result.problems { StandardError.write("ctg-audit: \(problem)\n") }
                StandardError.write("ctg-audit: verify FAILED at seq \(result.firstBadSeq.map(String.init) ?? "?")\n")
                throw ExitCode(1)
            }
        }
    }
}

struct VerifyExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-export",
        abstract: "Check an export file: every line's hash and every prevHash link; a complete export starts at seq 1 without gaps.")

    @Argument(help: "The NDJSON export file.")
    var file: String

    @Flag(help: "Accept gaps (an export of one stream, say) and report them.")
    var partial = false

    func run() throws {
        try runReportingErrors("ctg-audit") {
            let result = try ExportVerifier.verify(file: file, partial: partial)
            for gap in result.gaps { print("gap: \(gap)") }
            if result.ok {
                print("verified: \(result.lines) events in \(file)\(partial ? " (partial)" : "")")
            } else {
                for problem in result.problems { StandardError.write("ctg-audit: \(problem)\n") }
                throw ExitCode(1)
            }
        }
    }
}

struct ReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay events into fresh projections in memory and print convention states and funding totals.",
        discussion: """
            Bounds: --until-seq N (ledger position), --recorded-before TIMESTAMP (what the \
            ledger knew then), --as-of DATE (events whose business date is on or before DATE; \
            also shows expired conventions).

            JSON: {"conventions":[state…],"funding":{…}}.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("until-seq"), help: "Replay events with seq up to N.")
    var untilSeq: UInt64?

    @Option(name: .customLong("recorded-before"), help: "Replay events recorded before this RFC 3339 instant.")
    var recordedBefore: String?

    @Option(name: .customLong("as-of"), help: "Replay events that occurred on or before this date.")
    var asOf: CalendarDate?

    @OptionGroup var funding: FundingOptions

    func validate() throws {
        if let recordedBefore, LedgerClock.epochMillis(recordedBefore) == nil {
            throw ValidationError("--recorded-before \(recordedBefore) is not an RFC 3339 date-time (e.g. 2026-11-29T10:00:00Z)")
        }
    }

    func run() throws {
        try runReportingErrors("ctg-audit") {
            let ledger = try openStore(store)
            let bound = ReplayBound(untilSeq: untilSeq, recordedBeforeMillis: recordedBefore.flatMap(LedgerClock.epochMillis), asOf: asOf)
            let outcome = try ledger.replay(bound)
            for note in outcome.notes { StandardError.write("ctg-audit: note: \(note)\n") }
            if let convention = funding.convention, try outcome.reader.convention(convention) == nil {
                throw LedgerError(code: "unknown-convention", message: "there is no convention \(convention) in the replayed events")
            }
            output.print(try Reports.replay(outcome, convention: funding.convention, by: funding.by, year: funding.year, asOf: asOf))
            outcome.discard()
        }
    }
}

struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "The whole life of one funding decision: decided, revised, cancelled, paid, recovered, with running amounts.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "The decision id.")
    var decision: String

    func run() throws {
        try runReportingErrors("ctg-audit") {
            output.print(Reports.history(decision, try openStore(store).history(decision: decision)))
        }
    }
}

struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Provenance of a funding total: every event that makes up a convention's totals (for one year).")

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "The convention id.")
    var convention: String

    @Option(help: "Only decisions of this year.")
    var year: Int?

    func run() throws {
        try runReportingErrors("ctg-audit") {
            let t = try openStore(store).trace(convention: convention, year: year)
            output.print(Reports.trace(convention: convention, year: year, steps: t.steps, total: t.total, stored: t.stored))
            if t.total != t.stored {
                StandardError.write("ctg-audit: the events add up to other totals than the stored projection; run ctg-audit verify\n")
                throw ExitCode(1)
            }
        }
    }
}
