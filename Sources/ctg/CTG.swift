import ArgumentParser
import CTGCommandSupport
import CTGLedger
import EventLog

/// `ctg`, the administrators' command line for the CTG convention ledger.
@main
struct CTG: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctg",
        abstract: "Record and query the ledger of Conventions territoriales globales (CTG).",
        discussion: """
            Every change to a convention is an immutable, hash-chained event in an LMDB store. \
            Queries answer from projections kept beside the events in the same transaction. \
            The store is --store PATH, else $CTG_STORE, else ./ctg-store.
            """,
        version: "1.0.0",
        subcommands: [
            ImportCommand.self, RecordCommand.self,
            ConventionsCommand.self, ConventionCommand.self, ActionsCommand.self, MeetingsCommand.self,
            DecisionsCommand.self, FundingCommand.self,
            EventsCommand.self, ExportCommand.self, RebuildCommand.self,
        ]
    )
}

/// Opens the store for writing, warning when others could change it behind the hash chain.
func openForWriting(_ store: StoreOptions) throws -> Ledger {
    let ledger = try Ledger(path: store.path, access: .readWrite)
    if ledger.rebuiltOutdatedProjections {
        StandardError.write("ctg: note: the projections were written by an earlier version and have been rebuilt from the events\n")
    }
    let loose = ledger.looselyProtectedFiles()
    if !loose.isEmpty {
        StandardError.write("ctg: warning: other users can write \(loose.joined(separator: ", ")); a ledger of public funds should be 0700/0600 (chmod go-w)\n")
    }
    return ledger
}

/// Opens the store for a query; a missing or empty store is an error, not an empty answer
/// that could pass for "no conventions" in the wrong store.
func openForQuery(_ store: StoreOptions) throws -> Ledger {
    let ledger = try openForExport(store)
    if try ledger.read({ try $0.log.lastSeq() }) == 0 {
        throw LedgerError(code: "empty-store", message: "the store at \(store.path) holds no events yet (import some with `ctg import`)")
    }
    return ledger
}

/// Opens the store read-only for `events` and `export`, where an empty store is an empty output.
func openForExport(_ store: StoreOptions) throws -> Ledger {
    try Ledger(path: store.path, access: .readOnly)
}
