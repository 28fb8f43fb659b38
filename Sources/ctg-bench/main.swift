// In-process single-event durable appends for tools/bench: one event per write
// transaction through the whole ledger path (parse, rules, hash chain, projections).
//   ctg-bench DIR COUNT   prints the elapsed seconds of COUNT appends
import CTGLedger
import EventLog
import Foundation
import StrictJSON

let arguments = CommandLine.arguments
guard arguments.count == 3, let count = Int(arguments[2]) else {
    FileHandle.standardError.write(Data("usage: ctg-bench DIR COUNT\n".utf8))
    exit(2)
}
let ledger = try Ledger(path: arguments[1], access: .readWrite)
let stream = "ctg-bench-append"
func event(_ id: String, _ type: String, _ data: JSONValue) -> JSONValue {
    ["id": .string(id), "stream": .string(stream), "type": .string(type), "occurredAt": "2024-01-10", "actor": "bench/agent", "data": data]
}
_ = try ledger.record(event("open", "ConventionOpened", [
    "title": "Bench", "caf": ["id": "caf01", "name": "Caf", "role": "caf"], "territory": ["name": "T", "kind": "epci"],
    "period": ["start": "2024-01-01", "end": "2027-12-31"], "domains": ["enfance"],
]), actor: nil)
let start = Date()
// Alternate a join and a leave of one partner, so the convention's state stays the same size.
for i in 0..<count {
    if i % 2 == 0 {
        _ = try ledger.record(event("e-\(i)", "PartnerJoined", ["partner": ["id": "p1", "name": "Partenaire", "role": "commune"]]), actor: nil)
    } else {
        _ = try ledger.record(event("e-\(i)", "PartnerLeft", ["partnerId": "p1", "reason": "bench"]), actor: nil)
    }
}
print(String(format: "%.6f", Date().timeIntervalSince(start)))
