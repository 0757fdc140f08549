import Core
import Foundation

/// Renders query results as JSON, CSV (RFC 4180) or an aligned text table. CSV columns and JSON
/// keys have the same names (`TabularRow.columns`). JSON dates are ISO 8601 UTC; values that were
/// not measured are omitted from JSON and empty in CSV.
public enum StoreOutput {
    public static func json<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONFormat.encoder().encode(value), as: UTF8.self) + "\n"
    }

    /// Header line plus one line per row, "\r\n"-free ("\n" line ends); fields holding a comma,
    /// quote or line break are quoted with doubled quotes.
    public static func csv<T: TabularRow>(_ rows: [T]) throws -> String {
        var lines = [T.columns.map(csvField).joined(separator: ",")]
        for cells in try cellRows(rows, columns: T.columns) {
            lines.append(cells.map(csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// An aligned table of `T.tableColumns`; decimals rounded to 2 places (use CSV/JSON for full precision).
    public static func table<T: TabularRow>(_ rows: [T]) throws -> String {
        let header = T.tableColumns
        let body = try cellRows(rows, columns: header, roundDecimals: true)
        return alignedTable(header: header, rows: body)
    }

    /// Columns padded to their widest cell, two spaces apart.
    public static func alignedTable(header: [String], rows: [[String]]) -> String {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                i == cells.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
    }

    /// Each row's values for `columns`, as text, via its JSON encoding (so CSV and JSON agree).
    static func cellRows<T: Encodable>(_ rows: [T], columns: [String], roundDecimals: Bool = false) throws -> [[String]] {
        let data = try json(rows).data(using: .utf8)!
        guard let objects = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return objects.map { object in columns.map { text(object[$0], roundDecimals: roundDecimals) } }
    }

    static func text(_ value: Any?, roundDecimals: Bool = false) -> String {
        switch value {
        case nil, is NSNull: return ""
        case let s as String: return s
        case let n as NSNumber:
            // JSON true/false arrive as char-typed numbers ("c").
            let type = String(cString: n.objCType)
            if type == "c" { return n.boolValue ? "true" : "false" }
            if roundDecimals, type == "d" || type == "f" { return String(format: "%.2f", n.doubleValue) }
            return n.stringValue
        default: return "\(value!)"
        }
    }

    static func csvField(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
