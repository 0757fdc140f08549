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
        chart when the patient has earlier studies. After `segstation track`, the key image of each matched \
        lesion has the prior study's matching slice beside it (resampled through the recorded registration; HTML). \
        `segment` writes it already; this command renders \
        it again (e.g. after later studies were added). Default folder: the run's own folder (where its mask is \
        recorded), from any working directory; re-rendered files that are recorded artefacts get their new SHA-256 in \
        the database. The inputs are re-read from their recorded absolute paths and must match the recorded fingerprint.
        """
    )

    @Argument(help: "Run ID or StudyInstanceUID.")
    var target: String

    @Option(help: "Comma-separated formats: html, pdf, json.")
    var format = ReportFormatList(ReportFormat.allCases)

    @Option(name: .shortAndLong, help: "Output folder.")
    var output: String?

    @Option(name: .customLong("small-lesion-ml"), help: ArgumentHelp(
        "The lesion table lists lesions of at least this many mL one by one and summarises the smaller ones in one row, e.g. \"37 components < 0.1 mL, 0.52 mL in total\" (report.json keeps every lesion).",
        valueName: "mL"))
    var smallLesionML: Double = ReportInput.defaultSmallLesionThresholdML

    @OptionGroup var database: DatabaseOption

    @Flag(help: "Print the written paths as JSON.")
    var json = false

    func validate() throws {
        if !(smallLesionML >= 0 && smallLesionML.isFinite) { throw ValidationError("--small-lesion-ml must be a finite value >= 0, found \(smallLesionML)") }
    }

    func run() throws {
        OwnerOnly.apply()
        let files = try ReportJob.run(target: target, databasePath: database.path, formats: format.formats, outputFolder: output,
                                      smallLesionML: smallLesionML)
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
