import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import CTGLedger
import CTGProjections
import EventLog
import LMDB

/// `--store PATH`, shared by every command.
public struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The store directory (default: $CTG_STORE, else ./ctg-store).", valueName: "path"))
    public var store: String?

    public init() {}

    public var path: String { Ledger.storePath(store) }
}

/// `--format table|json|csv`, shared by every query.
public struct OutputOptions: ParsableArguments {
    @Option(name: .long, help: "Output format.")
    public var format: OutputFormat = .table

    public init() {}

    /// Prints a report on standard output in the chosen format.
    public func print(_ report: Report) {
        // Whatever `print` has buffered goes first.
        fflush(nil)
        report.withRenderedBytes(format) { bytes in
            guard FileDescriptor.writeAll(STDOUT_FILENO, bytes) else {
                // A closed pipe or a full disk: the report cannot be delivered.
                StandardError.write("error: standard output could not be written (\(String(cString: strerror(errno))))\n")
                Glibc.exit(2)
            }
        }
    }
}

extension OutputFormat: ExpressibleByArgument {}
extension Grouping: ExpressibleByArgument {}

extension CalendarDate: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
}

/// Runs a command body, printing a ledger error for a person on standard error and
/// exiting non-zero; standard output stays clean.
public func runReportingErrors(_ tool: String, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as LedgerError {
        StandardError.write("\(tool): error: \(error)\n")
        throw ExitCode(error.code == "verify-failed" ? 1 : 2)
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch let error as LMDBError {
        let hint = error == .readersFull
            ? "too many processes are reading the store at once (LMDB's reader table is full); retry when some have finished"
            : "the store could not be read or written"
        StandardError.write("\(tool): error: store-unavailable: \(hint) (\(error))\n")
        throw ExitCode(2)
    } catch {
        StandardError.write("\(tool): error: \(error)\n")
        throw ExitCode(2)
    }
}

/// `--convention`, `--by` and `--year`: which funding totals, shared by `ctg funding`
/// and `ctg-audit replay`.
public struct FundingOptions: ParsableArguments {
    @Option(help: "Only this convention.")
    public var convention: String?

    @Option(help: "Group funding by convention, year, domain, scheme, beneficiary or funder.")
    public var by: Grouping = .convention

    @Option(help: "Only funding decisions of this year.")
    public var year: Int?

    public init() {}
}
