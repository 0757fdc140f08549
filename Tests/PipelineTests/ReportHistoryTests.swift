import Foundation
import XCTest
@testable import Pipeline
import StudyStore

/// Regression (issue 13, "the trend chart mixes models"): a 3D run's report charted the 2D model's
/// earlier volume of the same patient as if the tumour had grown. The report's history takes only
/// completed runs of the same model name and version.
final class ReportHistoryTests: XCTestCase {
    func record(_ store: StudyStore, study: String, date: String, model: ModelInfo, volumeML: Double) throws {
        let start = RunStart(patient: PatientInfo(patientID: "P-1"),
                             study: StudyInfo(studyInstanceUID: study, studyDate: date),
                             series: SeriesInfo(seriesInstanceUID: study + ".1", modality: "MR", frameOfReferenceUID: "F"),
                             model: model, parametersJSON: "{}", inputFingerprint: "fp-\(study)-\(model.name)-\(model.version)",
                             segstationVersion: "test")
        let id = try store.beginRun(start)
        let lesion = LesionInfo(labelValue: 1, index: 1, voxelCount: Int(volumeML * 1000), volumeML: volumeML,
                                centroidLPSMM: [0, 0, 0], meshVolumeML: volumeML, surfaceAreaMM2: 1, sphericity: 1,
                                maxDiameter3DMM: 1, recistLongMM: 1, recistShortMM: 1, bboxIJK: [0, 0, 0, 1, 1, 1],
                                meanIntensity: 0, stdIntensity: 0, minIntensity: 0, maxIntensity: 0, medianIntensity: 0,
                                touchesBorder: false, extraJSON: "{}")
        try store.completeRun(id, RunResult(labels: [LabelInfo(value: 1, name: "tumour", colorHex: "#FF0000")],
                                            lesions: [lesion], artefacts: []))
    }

    func testHistoryNeverMixesModelsOrVersions() throws {
        let store = try StudyStore()
        let net2D = ModelInfo(name: "brats-wt-2d", version: "1.0", sha256: String(repeating: "a", count: 64))
        let net3D = ModelInfo(name: "brats-wt-3d", version: "1.0", sha256: String(repeating: "b", count: 64))
        let net3Dv2 = ModelInfo(name: "brats-wt-3d", version: "2.0", sha256: String(repeating: "c", count: 64))
        try record(store, study: "1.1", date: "2025-01-01", model: net2D, volumeML: 67.25)
        try record(store, study: "1.2", date: "2025-03-01", model: net3D, volumeML: 71.29)
        try record(store, study: "1.3", date: "2025-05-01", model: net3Dv2, volumeML: 80)
        try record(store, study: "1.4", date: "2025-07-01", model: net3D, volumeML: 72)

        let history3D = RunReport.history(store: store, patientID: "P-1", model: net3D)
        XCTAssertEqual(history3D.map(\.volumeML), [71.29, 72], "only brats-wt-3d 1.0 runs")
        XCTAssertEqual(history3D.map(\.studyDate), ["2025-03-01", "2025-07-01"])
        XCTAssertEqual(RunReport.history(store: store, patientID: "P-1", model: net2D).map(\.volumeML), [67.25])
        XCTAssertEqual(RunReport.history(store: store, patientID: "P-1", model: net3Dv2).map(\.volumeML), [80])
    }
}
