import ArgumentParser
import CTGCommandSupport
import CTGLedger
import EventLog

struct ConventionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conventions", abstract: "List the conventions, one row each, sorted by id.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    @Option(name: .customLong("as-of"), help: "Show signed conventions whose period ended before this date as expired.")
    var asOf: CalendarDate?

    func run() throws {
        try runReportingErrors("ctg") {
            output.print(try openForQuery(store).conventionsReport(asOf: asOf))
        }
    }
}

struct ConventionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convention",
        abstract: "Show one convention's state: status, period, members, signatures, axes, actions, meetings…")

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The convention id.")
    var id: String

    @Option(name: .customLong("as-of"), help: "Show a signed convention whose period ended before this date as expired.")
    var asOf: CalendarDate?

    func run() throws {
        try runReportingErrors("ctg") {
            output.print(Reports.convention(try openForQuery(store).convention(id), asOf: asOf))
        }
    }
}

/// A query about one convention: the store, the output format and the convention id,
/// and the report to print.
protocol ConventionReportCommand: ParsableCommand {
    var store: StoreOptions { get }
    var output: OutputOptions { get }
    var id: String { get }
    func report(_ ledger: Ledger) throws -> Report
}

extension ConventionReportCommand {
    func run() throws {
        try runReportingErrors("ctg") {
            output.print(try report(openForQuery(store)))
        }
    }
}

struct ActionsCommand: ConventionReportCommand {
    static let configuration = CommandConfiguration(
        commandName: "actions", abstract: "List a convention's fiches actions in planning order, with their status history.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The convention id.")
    var id: String

    func report(_ ledger: Ledger) throws -> Report { Reports.actions(try ledger.convention(id)) }
}

struct MeetingsCommand: ConventionReportCommand {
    static let configuration = CommandConfiguration(
        commandName: "meetings", abstract: "List a convention's committee meetings in the order they were recorded.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The convention id.")
    var id: String

    func report(_ ledger: Ledger) throws -> Report { Reports.meetings(try ledger.convention(id)) }
}

struct DecisionsCommand: ConventionReportCommand {
    static let configuration = CommandConfiguration(
        commandName: "decisions", abstract: "List a convention's funding decisions with decided, paid, recovered and balance.")

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "The convention id.")
    var id: String

    func report(_ ledger: Ledger) throws -> Report { try ledger.decisionsReport(convention: id) }
}
