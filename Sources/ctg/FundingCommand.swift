import ArgumentParser
import CTGCommandSupport
import CTGLedger
import CTGProjections

struct FundingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "funding",
        abstract: "Funding totals: decided, paid, recovered and balance, grouped.",
        discussion: """
            balance = decided − paid + recovered: positive is still owed, negative overpaid.
            Every amount counts in its decision's year, domain, scheme, beneficiary and funder,
            whatever the payment date. Funding baselines are context and never counted.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    @Option(help: "Only this convention.")
    var convention: String?

    @Option(help: "Group by convention, year, domain, scheme, beneficiary or funder.")
    var by: Grouping = .convention

    @Option(help: "Only decisions of this year.")
    var year: Int?

    func run() throws {
        try runReportingErrors("ctg") {
            output.print(try openForQuery(store).fundingReport(by: by, convention: convention, year: year))
        }
    }
}
