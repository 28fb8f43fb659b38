import EventLog
import StrictJSON

/// Presents a payload written under an older schema in the current shape, so
/// projections only know the newest one. The stored bytes (and so the hash) of the
/// old event are never touched: upcasting happens on every read.
///
/// Changes so far:
/// - `DiagnosticShared` 2: the dates `from` and `to` moved into `period` {`start`, `end`},
///   the shape `ConventionOpened` already uses.
public enum Upcaster {
    public static func upcast(type: String, from schema: Int64, data: JSONObject) throws(Rejection) -> JSONObject {
        var data = data
        if type == "DiagnosticShared" && schema < 2 {
            // Only a well-formed schema 1 payload is moved; anything else is left for the
            // decoder to reject with the schema-2 field names it expects.
            if case .string(let from)? = data["from"], case .string(let to)? = data["to"], data["period"] == nil {
                data["from"] = nil
                data["to"] = nil
                data["period"] = .object(JSONObject([JSONMember("start", .string(from)), JSONMember("end", .string(to))]))
            } else if data["period"] != nil {
                throw Rejection("unknown-field", "/data/period is not a field of DiagnosticShared schema 1 (it uses from and to)")
            } else {
                if data["from"] == nil { throw Rejection("missing-field", "/data/from is required") }
                if data["to"] == nil { throw Rejection("missing-field", "/data/to is required") }
                throw Rejection("wrong-type", "/data/from and /data/to must be date strings")
            }
        }
        return data
    }
}
