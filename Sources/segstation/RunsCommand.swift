import Core
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
    @OptionGroup var store: StoreOptions

    func run() throws { try execute() }

    func execute() throws {
        try store.print(try store.open().runs(RunFilter(status: status, patientID: patientID, studyInstanceUID: studyUID)))
    }
}

extension RunStatus: ExpressibleByArgument {}

/// Hidden test helper (`segstation debug-store-write`): records synthetic runs through the same
/// API `segment` uses, so tests can run many writer processes against one database and kill them
/// mid-run. Not for users; documented in docs/DATABASE.md ("Testing").
struct DebugStoreWriteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug-store-write", abstract: "Test helper: record synthetic runs.", shouldDisplay: false)

    @Option(name: .customLong("db")) var databasePath: String
    @Option var patient = "DEBUG-PATIENT"
    @Option var study = "1.2.826.0.1.3680043.8.498.1"
    @Option var series = "1.2.826.0.1.3680043.8.498.1.1"
    @Option var studyDate = "2026-01-01"
    @Option var runs = 1
    @Option var lesions = 10
    @Option(help: "Seconds to wait between recording the start and the results of each run.")
    var holdSeconds = 0.0
    @Flag(help: "Record each run as failed instead of completed.")
    var fail = false

    func run() throws { try execute() }

    func execute() throws {
        let store = try StudyStore(path: databasePath)
        for r in 0..<runs {
            let start = RunStart(
                patient: PatientInfo(patientID: patient, name: "Debug^Patient"),
                study: StudyInfo(studyInstanceUID: study, studyDate: studyDate),
                series: SeriesInfo(seriesInstanceUID: series, modality: "MR", frameOfReferenceUID: study + ".0"),
                model: ModelInfo(name: "debug-model", version: "1", sha256: String(repeating: "0", count: 64)),
                parametersJSON: "{\"iteration\":\(r)}", inputFingerprint: "debug", segstationVersion: SegStationVersion.string)
            let runID = try store.beginRun(start)
            if holdSeconds > 0 { usleep(useconds_t(holdSeconds * 1_000_000)) }
            if fail {
                try store.failRun(runID, message: "debug failure")
            } else {
                let found = (1...max(lesions, 1)).map { i in
                    LesionInfo(labelValue: 1, index: i, voxelCount: 10 * i, volumeML: 0.01 * Double(i),
                               centroidLPSMM: [Double(i), Double(r), 0], maxDiameter3DMM: Double(i))
                }
                try store.completeRun(runID, RunResult(labels: [LabelInfo(value: 1, name: "lesion", colorHex: "#FF0000")],
                                                       lesions: lesions > 0 ? found : [], artefacts: []))
            }
            write("\(runID)\n")
        }
    }
}
