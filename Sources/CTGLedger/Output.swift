import StrictJSON

/// How a query prints: aligned table for people, JSON or CSV for programs.
public enum OutputFormat: String, CaseIterable, Sendable {
    case table, json, csv
}

/// Rows with a header, printed as an aligned table or as RFC 4180 CSV.
public struct TableData: Sendable {
    public var title: String?
    public var headers: [String]
    public var rows: [[String]]
    /// Columns aligned to the right (amounts, counts).
    public var numeric: Set<Int>

    public init(title: String? = nil, headers: [String], rows: [[String]], numeric: Set<Int> = []) {
        self.title = title
        self.headers = headers
        self.rows = rows
        self.numeric = numeric
    }

    /// The widest a cell is shown in a table; longer text is cut with "…" (JSON and CSV keep it whole).
    public static let maxCellWidth = 72

    /// Columns padded to the widest cell (counted in characters), two spaces apart.
    public func aligned() -> String {
        let rows = self.rows.map { row in
            row.map { $0.count > TableData.maxCellWidth ? String($0.prefix(TableData.maxCellWidth - 1)) + "…" : $0 }
        }
        var widths = headers.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, cell) in cells.enumerated() {
                let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
                parts.append(numeric.contains(i) ? pad + cell : (i == cells.count - 1 ? cell : cell + pad))
            }
            return parts.joined(separator: "  ")
        }
        var out: [String] = []
        if let title { out.append(title) }
        out.append(line(headers))
        out.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
        if rows.isEmpty { out.append("(none)") }
        out.append(contentsOf: rows.map(line))
        return out.joined(separator: "\n") + "\n"
    }

    /// RFC 4180: CRLF line ends, fields with a comma, quote or line break in quotes.
    public func csv() -> String {
        func field(_ s: String) -> String {
            if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
                return "\"" + s.replacing("\"", with: "\"\"") + "\""
            }
            return s
        }
        return ([headers] + rows).map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
    }
}

/// A query's answer in every format.
public struct Report: Sendable {
    /// The report as JSON, made when it is asked for: table and CSV output never need
    /// it, and for a replay of thousands of conventions it is most of the work.
    public var json: JSONValue { makeJSON() }
    private let makeJSON: @Sendable () -> JSONValue
    public var tables: [TableData]
    /// Lines printed before the tables in table format (a convention's summary).
    public var preamble: [String]
    /// The table CSV prints, when it differs from the first one shown to people
    /// (plain amounts, no total row).
    public var csvTable: TableData?

    public init(json: JSONValue, tables: [TableData], preamble: [String] = []) {
        self.init(lazyJSON: { json }, tables: tables, preamble: preamble)
    }

    /// A report whose JSON is made by `lazyJSON` only if it is printed or read.
    public init(lazyJSON: @escaping @Sendable () -> JSONValue, tables: [TableData], preamble: [String] = []) {
        makeJSON = lazyJSON
        self.tables = tables
        self.preamble = preamble
    }

    /// The report in `format`, handed to `body` as UTF-8 bytes (what `rendered` holds);
    /// JSON is written straight from its buffer.
    public func withRenderedBytes<R>(_ format: OutputFormat, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if format == .json { return try JSONWriter.withOrderedBytes(json, indent: 2, suffix: 0x0A, body) }
        var text = rendered(format)
        return try text.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }

    public func rendered(_ format: OutputFormat) -> String {
        switch format {
        case .json:
            return JSONWriter.ordered(json, indent: 2) + "\n"
        case .csv:
            return (csvTable ?? tables.first)?.csv() ?? ""
        case .table:
            var parts: [String] = []
            if !preamble.isEmpty { parts.append(preamble.joined(separator: "\n") + "\n") }
            parts.append(contentsOf: tables.map { $0.aligned() })
            return parts.joined(separator: "\n")
        }
    }
}
