import ArgumentParser
import CTGCommandSupport
import CTGLedger
import CTGProjections

struct FundingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "funding",
        abstract: "Funding totals: decided, paid, recovered and balance, grouped.",
        discussion: """
            balance = decided − paid + recovered: positive is still owed, negative overpaid. \
            Every amount counts in its decision's year, domain, scheme, beneficiary and funder, \
            whatever the payment date. Funding baselines are context and never counted.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var output: OutputOptions

    @OptionGroup var funding: FundingOptions

    func run() throws {
        try runReportingErrors("ctg") {
            output.print(try openForQuery(store).fundingReport(by: funding.by, convention: funding.convention, year: funding.year))
        }
    }
}
