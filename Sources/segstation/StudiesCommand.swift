import ArgumentParser
import Foundation
import Imaging
import StudyStore

/// `segstation studies`: the studies in the database, with series and run counts.
struct StudiesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "studies",
        abstract: "List recorded studies (patient, date, modalities, series and run counts).")

    @Option(name: .customLong("patient"), help: "Only this patient ID.")
    var patientID: String?
    @Option(help: "Only studies with a series of this modality (e.g. MR, CT).")
    var modality: String?
    @Option(help: "Only studies on or after this date (YYYY-MM-DD or YYYYMMDD).")
    var since: String?
    @OptionGroup var store: StoreOptions

    func run() throws { try reportingErrors(execute) }

    func execute() throws {
        let rows = try store.open().studies(StudyFilter(patientID: patientID, modality: modality, since: since))
        try store.print(rows)
    }
}

/// Output format of the query commands.
enum QueryOutputFormat: String, EnumerableFlag {
    case table, json, csv

    static func help(for value: QueryOutputFormat) -> ArgumentHelp? {
        switch value {
        case .table: return "Aligned text table (default; decimals rounded to 0.01)."
        case .json: return "JSON (full precision, ISO 8601 UTC dates)."
        case .csv: return "CSV with a header line (same names as the JSON keys)."
        }
    }
}

/// Options shared by the query commands: database location and output format.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("db"),
            help: "Study database (default: $SEGSTATION_DB, else $XDG_DATA_HOME/segstation/studies.sqlite, else ~/.local/share/segstation/studies.sqlite).")
    var databasePath: String?
    @Flag var format: QueryOutputFormat = .table

    /// The database path after applying the defaults.
    var resolvedPath: String { StudyStore.resolvePath(option: databasePath) }

    /// Opens an existing database (queries never create one).
    func open() throws -> StudyStore { try StudyStore.connect(resolvedPath, createIfMissing: false) }

    func print<T: TabularRow>(_ rows: [T]) throws {
        switch format {
        case .table: write(rows.isEmpty ? "(none)\n" : try StoreOutput.table(rows))
        case .json: write(try StoreOutput.json(rows))
        case .csv: write(try StoreOutput.csv(rows))
        }
    }
}

/// Writes `text` to standard output as is.
func write(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

extension StoreError: CategorizedError {
    public var category: ErrorCategory { ErrorCategory(rawValue: categoryName) ?? .outputFailed }
}
