import ArgumentParser
import Core
import Foundation
import StudyStore

/// `segstation-testkit`: helpers that tests run as separate processes, kept out of the product
/// binary. Not for users; see docs/DATABASE.md ("Testing").
@main
struct TestKit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segstation-testkit",
        abstract: "Test helpers for SegStation's process-level tests.",
        subcommands: [DebugStoreWriteCommand.self])
}

/// `segstation-testkit debug-store-write`: records synthetic runs through the same API `segment`
/// uses, so tests can run many writer processes against one database and kill them mid-run.
struct DebugStoreWriteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "debug-store-write", abstract: "Record synthetic runs in a study database.")

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

    func run() throws {
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
            print(runID)
        }
    }
}
