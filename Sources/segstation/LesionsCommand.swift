import ArgumentParser
import StudyStore

/// `segstation lesions`: lesions of completed runs with all their measurements.
struct LesionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lesions",
        abstract: "List lesions of completed runs with their measurements (volume, diameters, centroid LPS mm...).")

    @Option(name: .customLong("patient"), help: "Only this patient ID.")
    var patientID: String?
    @Option(name: .customLong("min-volume-ml"), help: "Only lesions of at least this volume (mL).")
    var minVolumeML: Double?
    @Option(help: "Only this label name (case-insensitive).")
    var label: String?
    @Option(name: .customLong("run"), help: "Only lesions of this run ID.")
    var runID: Int64?
    @Flag(help: "Only the latest completed run of each series and model (hide superseded re-runs).")
    var latest = false
    @OptionGroup var query: QueryOptions

    func validate() throws {
        if let v = minVolumeML, !(v.isFinite && v >= 0) {
            throw ValidationError("--min-volume-ml must be a finite number >= 0, found \(v)")
        }
    }

    func run() throws {
        let filter = LesionFilter(patientID: patientID, minVolumeML: minVolumeML, label: label, runID: runID,
                                  latestRunsOnly: latest)
        try query.print(try query.database.openForQuery().lesions(filter))
    }
}
