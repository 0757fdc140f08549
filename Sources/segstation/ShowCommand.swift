import ArgumentParser
import StudyStore

/// `segstation show RUN_ID`: one run with provenance, labels, lesions and artefacts.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one segmentation run: provenance, parameters, labels, lesions, artefacts.")

    @Argument(help: "Run ID (see `segstation runs`).")
    var runID: Int64
    @Flag(help: "JSON output.")
    var json = false
    @Option(name: .customLong("db"), help: "Study database (default: see `segstation studies --help`).")
    var databasePath: String?

    func run() throws { try reportingErrors(execute) }

    func execute() throws {
        let store = try StudyStore.connect(StudyStore.resolvePath(option: databasePath), createIfMissing: false)
        let detail = try store.show(runID)
        if json { write(try StoreOutput.json(detail)); return }
        let r = detail.run
        var lines = [
            "Run \(r.runID): \(r.status.rawValue)",
            "Patient:     \(r.patientID)",
            "Study:       \(r.studyInstanceUID) (\(r.studyDate ?? "no date"))",
            "Series:      \(r.seriesInstanceUID) (\(r.modality))",
            "Model:       \(r.modelName) \(r.modelVersion) sha256 \(detail.modelSHA256)",
            "SegStation:  \(detail.segstationVersion)",
            "Input:       \(detail.inputFingerprint)",
            "Parameters:  \(detail.parametersJSON)",
            "Started:     \(r.startedAt)" + (r.endedAt.map { "  ended \($0)" } ?? "")
                + (r.durationSeconds.map { String(format: "  (%.1f s)", $0) } ?? ""),
        ]
        if let host = detail.hostname, let pid = detail.pid { lines.append("Process:     \(host) pid \(pid)") }
        if let error = r.errorMessage { lines.append("Error:       \(error)") }
        lines.append("Labels:      " + (detail.labels.isEmpty ? "(none)" : detail.labels.map { "\($0.value)=\($0.name)" }.joined(separator: ", ")))
        write(lines.joined(separator: "\n") + "\n\nLesions:\n")
        write(detail.lesions.isEmpty ? "(none)\n" : try StoreOutput.table(detail.lesions))
        write("\nArtefacts:\n")
        let artefactRows = detail.artefacts.map { [$0.kind.rawValue, String($0.bytes), $0.sha256, $0.path] }
        write(artefactRows.isEmpty ? "(none)\n" : StoreOutput.alignedTable(header: ["kind", "bytes", "sha256", "path"], rows: artefactRows))
    }
}
