import Foundation

/// One cell of a query row, typed as the store returns it, so CSV and table text come from the
/// value itself (no round trip through JSON).
enum Cell: Equatable {
    case text(String)
    case integer(Int64)
    case decimal(Double)
    case flag(Bool)
    case date(Date)
    case empty

    /// Full-precision text: what CSV prints (numbers as JSON writes them, dates ISO 8601 UTC).
    var text: String {
        switch self {
        case .text(let s): return s
        case .integer(let n): return String(n)
        case .decimal(let x): return Self.decimalText(x)
        case .flag(let b): return b ? "true" : "false"
        case .date(let d): return d.formatted(.iso8601)
        case .empty: return ""
        }
    }

    /// Table text: decimals rounded to 2 places (CSV and JSON keep full precision).
    var roundedText: String {
        if case .decimal(let x) = self, x.isFinite { return String(format: "%.2f", x) }
        return text
    }

    /// Integral values without a fraction ("-2", as JSON has them), others in Swift's shortest
    /// round-trip form; non-finite values as the JSON output spells them ("inf", "-inf", "nan").
    static func decimalText(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x > 0 ? "inf" : "-inf" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }

    static func optional<T>(_ value: T?, _ make: (T) -> Cell) -> Cell { value.map(make) ?? .empty }
}

/// A named column of a query row type: its CSV header, JSON key and value.
struct Column<Row>: Sendable {
    let name: String
    let value: @Sendable (Row) -> Cell
    init(_ name: String, _ value: @escaping @Sendable (Row) -> Cell) { self.name = name; self.value = value }
}

/// A row type printed by the query commands. The column names equal the row's JSON keys (a test
/// checks it); `tableColumns` is the subset shown in the text table.
protocol QueryRow: Encodable {
    static var columns: [Column<Self>] { get }
    static var tableColumns: [String] { get }
}

/// Renders query results as CSV (RFC 4180) or an aligned text table (JSON is the rows' Codable form,
/// `Output.json`). Values that were not measured are empty in CSV (and omitted from JSON).
enum QueryOutput {
    /// Header line plus one line per row, "\n" line ends. Text cells that a spreadsheet would run
    /// as a formula are neutralised (`csvField`); numbers are written as they are.
    static func csv<T: QueryRow>(_ rows: [T]) -> String {
        var lines = [T.columns.map { csvField($0.name) }.joined(separator: ",")]
        for row in rows {
            lines.append(T.columns.map { column -> String in
                let cell = column.value(row)
                if case .text(let s) = cell { return csvField(s, neutraliseFormula: true) }
                return csvField(cell.text)
            }.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// An aligned table of `T.tableColumns`; decimals rounded to 2 places (use CSV/JSON for full precision).
    static func table<T: QueryRow>(_ rows: [T]) -> String {
        let columns = T.tableColumns.compactMap { name in T.columns.first { $0.name == name } }
        return alignedTable(header: columns.map(\.name), rows: rows.map { row in columns.map { $0.value(row).roundedText } })
    }

    /// Columns padded to their widest cell, two spaces apart.
    static func alignedTable(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == cells.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
    }

    /// One RFC 4180 field: quoted (quotes doubled) when it holds a comma, quote or line break. With
    /// `neutraliseFormula`, text starting with =, +, -, @, tab or CR gets a leading ' so that
    /// spreadsheets show it instead of running it (OWASP "CSV Injection"); the text of a label or
    /// description comes from DICOM files and model manifests, which an attacker may write.
    static func csvField(_ field: String, neutraliseFormula: Bool = false) -> String {
        var field = field
        if neutraliseFormula, let first = field.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) {
            field = "'" + field
        }
        guard field.unicodeScalars.contains(where: { ",\"\n\r".unicodeScalars.contains($0) }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
