import ArgumentParser
import Foundation
import Pipeline

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the per-study report (HTML, PDF, JSON) of a recorded run.",
        discussion: """
        TARGET is a run ID (see `segstation runs`) or a StudyInstanceUID (its latest completed run). \
        The report has the patient and study header, model and provenance, the lesion table, axial, \
        coronal and sagittal key slices through the largest lesion with contours, and a volume-over-time \
        chart when the patient has earlier studies. `segment` writes it already; this command renders \
        it again (e.g. after later studies were added). Default folder: the run's own folder (where its mask is \
        recorded), from any working directory; re-rendered files that are recorded artefacts get their new SHA-256 in \
        the database. The inputs are re-read from their recorded absolute paths and must match the recorded fingerprint.
        """
    )

    @Argument(help: "Run ID or StudyInstanceUID.")
    var target: String

    @Option(help: "Comma-separated formats: html, pdf, json.")
    var format = "html,pdf,json"

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String?

    @Option(name: .customLong("db"), help: "Study database path (default: $SEGSTATION_DB, else ~/.local/share/segstation/studies.sqlite).")
    var databasePath: String?

    @Flag(help: "Print the written paths as JSON.")
    var json = false

    func run() throws {
        OwnerOnly.apply()
        try reportingErrors {
            let formats = format.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let files = try ReportJob.run(target: target, databasePath: databasePath, formats: formats, outputFolder: output)
            if json { try Output.json(files.map(\.path)); return }
            for file in files { Output.line(file.path) }
        }
    }
}
