/// Why one event is refused: a stable `code` for scripts and tests, and a sentence
/// for a person naming the offending value.
public struct Rejection: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}

/// A rejection placed in its input: file, line and event id, as users need to find it.
public struct LedgerError: Error, Sendable, CustomStringConvertible {
    public let code: String
    public let message: String
    public var file: String?
    public var line: Int?
    public var eventId: String?

    public init(code: String, message: String, file: String? = nil, line: Int? = nil, eventId: String? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.eventId = eventId
    }

    public init(_ rejection: Rejection, file: String? = nil, line: Int? = nil, eventId: String? = nil) {
        self.init(code: rejection.code, message: rejection.message, file: file, line: line, eventId: eventId)
    }

    public var description: String {
        var place: [String] = []
        if let file {
            place.append(line.map { "\(file):\($0)" } ?? file)
        } else if let line {
            place.append("line \(line)")
        }
        if let eventId { place.append("event \(eventId)") }
        let prefix = place.isEmpty ? "" : place.joined(separator: ", ") + ": "
        return "\(prefix)\(code): \(message)"
    }
}
