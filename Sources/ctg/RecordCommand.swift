import ArgumentParser
import CTGCommandSupport
import CTGLedger
import EventLog
import Foundation
import StrictJSON

struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Record one event without writing a file.",
        discussion: """
            The event goes through exactly the checks of an import. Example:
              ctg record FundingDecided --stream ctg-cruseilles-2023 --id fd-2024-rpe \\
                --occurred-at 2024-03-12 --actor caf74/agent:jdoe \\
                --data '{"decisionId":"fd-2024-rpe","funder":"caf74", ...}'
            --data @FILE reads the payload from a file.
            """
    )

    @OptionGroup var store: StoreOptions

    @Argument(help: "The event type, e.g. FundingDecided.")
    var type: String

    @Option(help: "The convention id (the event's stream).")
    var stream: String

    @Option(help: "The event id: unique in the store, the key that makes a retry harmless.")
    var id: String

    @Option(name: .customLong("occurred-at"), help: "Business date: YYYY-MM-DD or an RFC 3339 date-time.")
    var occurredAt: String

    @Option(help: "The data payload as a JSON object, or @FILE.")
    var data: String

    @Option(help: ArgumentHelp("Who records it (default: $CTG_ACTOR).", valueName: "actor"))
    var actor: String?

    @Option(name: .customLong("source-doc"), help: "Reference of the backing document.")
    var sourceDoc: String?

    @Option(name: .customLong("assumed"), help: "A JSON Pointer to a value chosen, not stated by the source (repeatable).")
    var assumed: [String] = []

    @Option(name: .customLong("expected-version"), help: "Fail unless the stream is at this version (optimistic concurrency).")
    var expectedVersion: Int64?

    @Option(help: "Payload schema version.")
    var schema: Int64 = 1

    func run() throws {
        try runReportingErrors("ctg") {
            let payloadText: String
            if data.hasPrefix("@") {
                let path = String(data.dropFirst())
                guard let contents = try? String(contentsOfFile: path, encoding: .utf8) else {
                    throw LedgerError(code: "cannot-open", message: "cannot read --data file \(path)")
                }
                payloadText = contents
            } else {
                payloadText = data
            }
            let payload: JSONValue
            do {
                payload = try JSONParser.parse(payloadText)
            } catch let error as JSONParseError {
                throw LedgerError(code: error.code, message: "--data: \(error.message)")
            }
            var members: [JSONMember] = [
                JSONMember("id", .string(id)), JSONMember("stream", .string(stream)), JSONMember("type", .string(type)),
                JSONMember("schema", .integer(schema)), JSONMember("occurredAt", .string(occurredAt)), JSONMember("data", payload),
            ]
            if let sourceDoc { members.append(JSONMember("sourceDoc", .string(sourceDoc))) }
            if !assumed.isEmpty { members.append(JSONMember("assumed", .array(assumed.map { .string($0) }))) }
            if let expectedVersion { members.append(JSONMember("expectedVersion", .integer(expectedVersion))) }
            let ledger = try openForWriting(store)
            let summary = try ledger.record(.object(JSONObject(members)), actor: actor)
            if summary.appended == 1 {
                print("recorded \(id) at seq \(summary.lastSeq)")
            } else {
                print("\(id) is already recorded with identical content: skipped")
            }
        }
    }
}
