import Crypto
import EventLog
import StrictJSON

/// Verifies an export file with nothing but JSON and SHA-256, as an outside auditor
/// would: every line's hash, every prevHash link between consecutive seqs, and (for a
/// complete export) seq from 1 without gaps and gap-free versions per stream.
public enum ExportVerifier {
    public struct Result: Sendable {
        public var lines = 0
        public var gaps: [String] = []
        public var problems: [String] = []
        public var ok: Bool { problems.isEmpty }
    }

    public static func verify(file: String, partial: Bool) throws -> Result {
        var result = Result()
        let reader = try Ledger.openLines(file)
        var previous: (seq: Int64, hash: String)?
        var versions: [Key: Int64] = [:]
        func fail(_ line: Int, _ message: String) { result.problems.append("\(file):\(line): \(message)") }
        while try reader.next({ line in
            let n = reader.lineNumber
            guard result.problems.isEmpty else { return }
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { return }
            result.lines += 1
            guard case .object(var event)? = try? JSONParser.parse(line), case .object(var ledger)? = event["ledger"] else {
                return fail(n, "not a JSON object with a ledger object")
            }
            guard case .string(let hash)? = ledger["hash"], case .string(let prevHash)? = ledger["prevHash"],
                  case .integer(let seq)? = ledger["seq"], case .integer(let version)? = ledger["version"],
                  case .string(let stream)? = event["stream"] else {
                return fail(n, "the ledger object lacks hash, prevHash, seq or version, or the event its stream")
            }
            ledger["hash"] = nil
            event["ledger"] = .object(ledger)
            let digest = Hex.string(Array(SHA256.hash(data: JSONWriter.canonical(.object(event)))))
            guard digest == hash else {
                return fail(n, "seq \(seq): the content does not match its hash \(hash) (recomputed \(digest))")
            }
            if let previous {
                if seq <= previous.seq {
                    return fail(n, "seq \(seq) follows seq \(previous.seq): lines out of order or repeated")
                } else if seq == previous.seq + 1 {
                    if prevHash != previous.hash { return fail(n, "seq \(seq): prevHash does not link to the hash of seq \(previous.seq)") }
                } else if partial {
                    result.gaps.append("seqs \(previous.seq + 1)…\(seq - 1) are not in this export")
                } else {
                    return fail(n, "seq \(seq) follows seq \(previous.seq): seqs \(previous.seq + 1)…\(seq - 1) are missing")
                }
            } else if seq != 1 {
                if partial { result.gaps.append("seqs 1…\(seq - 1) are not in this export") }
                else { return fail(n, "a complete export starts at seq 1, this one at seq \(seq)") }
            } else if prevHash != String(repeating: "0", count: 64) {
                return fail(n, "seq 1: prevHash must be 64 zeros")
            }
            let key = Key(stream)
            let expected = (versions[key] ?? 0) + 1
            if version != expected {
                if partial && version > expected {
                    result.gaps.append("stream \(stream): versions \(expected)…\(version - 1) are not in this export")
                } else {
                    return fail(n, "seq \(seq): version \(version) of stream \(stream), expected \(expected)")
                }
            }
            versions[key] = version
            previous = (seq, hash)
        }) {}
        if result.lines == 0 && result.problems.isEmpty && !partial {
            result.problems.append("\(file): no events")
        }
        return result
    }
}
