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
    @OptionGroup var database: DatabaseOption

    func run() throws {
        let detail = try database.openForQuery().show(runID)
        if json { try Output.json(detail); return }
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
        Output.text(lines.joined(separator: "\n") + "\n\nLesions:\n")
        Output.text(detail.lesions.isEmpty ? "(none)\n" : QueryOutput.table(detail.lesions))
        Output.text("\nArtefacts:\n")
        let artefactRows = detail.artefacts.map { [$0.kind.rawValue, String($0.bytes), $0.sha256, $0.path] }
        Output.text(artefactRows.isEmpty ? "(none)\n" : QueryOutput.alignedTable(header: ["kind", "bytes", "sha256", "path"], rows: artefactRows))
    }
}
