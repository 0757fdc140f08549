import ArgumentParser
import Foundation
import StudyStore

/// `segstation runs`: segmentation runs with status, model and timing.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List segmentation runs (status queued, running, completed, failed or incomplete).",
        discussion: "A run shows as `incomplete` when it is recorded as running but its process on this host is gone (killed or crashed).")

    @Option(help: "Only runs with this status: queued, running, completed, failed, incomplete.")
    var status: RunStatus?
    @Option(name: .customLong("patient"), help: "Only this patient ID.")
    var patientID: String?
    @Option(name: .customLong("study"), help: "Only this StudyInstanceUID.")
    var studyUID: String?
    @OptionGroup var query: QueryOptions

    func run() throws {
        try query.print(try query.database.openForQuery().runs(RunFilter(status: status, patientID: patientID, studyInstanceUID: studyUID)))
    }
}

extension RunStatus: ExpressibleByArgument {}
