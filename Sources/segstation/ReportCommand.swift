import ArgumentParser
import Foundation
import Pipeline
import Reports

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the per-study report (HTML, PDF, JSON) of a recorded run.",
        discussion: """
        TARGET is a run ID (see `segstation runs`) or a StudyInstanceUID (its latest completed run). \
        The report has the patient and study header, model and provenance, the lesion table, axial, \
        coronal and sagittal key slices through the largest lesion with contours, and a volume-over-time \
        chart when the patient has earlier studies. `segment` writes it already; this command renders \
        it again (e.g. after later studies were added). Default folder: Reports/<hashed patient+study>/run-<id>/.
        """
    )

    @Argument(help: "Run ID or StudyInstanceUID.")
    var target: String

    @Option(help: "Comma-separated formats: html, pdf, json.")
    var format = ReportFormatList(ReportFormat.allCases)

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String?

    @OptionGroup var database: DatabaseOption

    @Flag(help: "Print the written paths as JSON.")
    var json = false

    func run() throws {
        OwnerOnly.apply()
        let files = try ReportJob.run(target: target, databasePath: database.path, formats: format.formats, outputFolder: output)
        if json { try Output.json(files.map(\.path)); return }
        for file in files { Output.line(file.path) }
    }
}

/// `--format html,pdf`: report formats, parsed by `ReportFormat.parseList` (the one parser).
struct ReportFormatList: ExpressibleByArgument {
    var formats: [ReportFormat]

    init(_ formats: [ReportFormat]) { self.formats = formats }

    init?(argument: String) {
        guard let formats = try? ReportFormat.parseList(argument) else { return nil }
        self.formats = formats
    }

    var defaultValueDescription: String { formats.map(\.rawValue).joined(separator: ",") }
    static var allValueStrings: [String] { ReportFormat.allCases.map(\.rawValue) }
}
