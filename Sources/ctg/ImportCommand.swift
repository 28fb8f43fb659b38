import ArgumentParser
import CTGCommandSupport
import CTGLedger

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Append NDJSON events, one atomic batch per file.",
        discussion: """
            Each file is appended whole or not at all: the first rejected event rejects its file, \
            naming the line, the event id and the rule. Events already in the store with identical \
            content are skipped (imports are idempotent). Files given before a rejected one stay \
            appended. Use - to read standard input; standard input and pipes are copied to a \
            temporary file ($TMPDIR) before the batch starts.
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(help: ArgumentHelp("Who records events that name no actor (default: $CTG_ACTOR).", valueName: "actor"))
    var actor: String?

    @Argument(help: ArgumentHelp("NDJSON files of events, or - for standard input.", valueName: "file"))
    var files: [String]

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one file (or - for standard input)") }
    }

    func run() throws {
        try runReportingErrors("ctg") {
            let ledger = try openForWriting(store)
            for file in files {
                let summary = try ledger.importFile(file, actor: actor, progress: Progress.onTerminal("import \(file)"))
                print("\(file == "-" ? "<stdin>" : file): \(summary.appended) appended, \(summary.skipped) skipped (last seq \(summary.lastSeq))")
            }
        }
    }
}
