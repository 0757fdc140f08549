import ArgumentParser
import Foundation

/// Output format of the query commands.
enum QueryOutputFormat: String, EnumerableFlag {
    case table, json, csv

    static func help(for value: QueryOutputFormat) -> ArgumentHelp? {
        switch value {
        case .table: return "Aligned text table (default; decimals rounded to 0.01)."
        case .json: return "JSON (full precision, ISO 8601 UTC dates)."
        case .csv: return "CSV with a header line (same names as the JSON keys; text that starts like a formula gets a leading ')."
        }
    }
}

/// Options shared by the query commands: database location and output format.
struct QueryOptions: ParsableArguments {
    @OptionGroup var database: DatabaseOption
    @Flag var format: QueryOutputFormat = .table

    func print<T: QueryRow>(_ rows: [T]) throws {
        switch format {
        case .table: Output.text(rows.isEmpty ? "(none)\n" : QueryOutput.table(rows))
        case .json: try Output.json(rows)
        case .csv: Output.text(QueryOutput.csv(rows))
        }
    }
}
