import Foundation
import XCTest
@testable import StudyStore

/// Builders of synthetic runs for the tests.
enum Fixture {
    static func start(patient: String = "PAT-1", study: String = "1.2.3.1", series: String = "1.2.3.1.1",
                      date: String = "2025-01-10", modality: String = "MR", frame: String? = "1.2.3.9",
                      model: String = "liver-net", issuer: String = "") -> RunStart {
        RunStart(patient: PatientInfo(patientID: patient, issuer: issuer, name: "Doe^Jane", birthDate: "19600102", sex: "F"),
                 study: StudyInfo(studyInstanceUID: study, studyDate: date, accessionNumber: "ACC-1", description: "MR abdomen"),
                 series: SeriesInfo(seriesInstanceUID: series, modality: modality, seriesNumber: 3, frameOfReferenceUID: frame),
                 model: ModelInfo(name: model, version: "1.0", sha256: String(repeating: "ab", count: 32)),
                 parametersJSON: #"{"threshold":0.5,"tta":false}"#, inputFingerprint: "fp-" + series,
                 segstationVersion: "0.1.0")
    }

    /// Label 1 "tumour", label 2 "cyst"; `lesions` as (label, volume mL, centroid LPS mm).
    static func result(_ lesions: [(Int, Double, [Double])], artefacts: Int = 1) -> RunResult {
        var indexByLabel: [Int: Int] = [:]
        let infos = lesions.map { (label, volume, centroid) -> LesionInfo in
            indexByLabel[label, default: 0] += 1
            return LesionInfo(labelValue: label, index: indexByLabel[label]!, voxelCount: max(1, Int(volume * 1000)),
                              volumeML: volume, centroidLPSMM: centroid, meshVolumeML: volume * 0.98,
                              surfaceAreaMM2: 100, sphericity: 0.9, maxDiameter3DMM: 12.5, recistLongMM: 12,
                              recistShortMM: 8, bboxIJK: [1, 2, 3, 4, 5, 6], meanIntensity: 80, stdIntensity: 5,
                              minIntensity: 60, maxIntensity: 99, medianIntensity: 81, touchesBorder: false,
                              extraJSON: #"{"elongation":0.7}"#)
        }
        return RunResult(labels: [LabelInfo(value: 1, name: "tumour", colorHex: "#FF0000", codesJSON: #"{"type":"M-8000/3"}"#),
                                  LabelInfo(value: 2, name: "cyst", colorHex: "#00FF00")],
                         lesions: infos,
                         artefacts: (0..<artefacts).map { ArtefactInfo(path: "Reports/x/seg\($0).dcm", kind: .seg, sha256: String(repeating: "cd", count: 32), bytes: 1234) })
    }

    static func count(_ store: StudyStore, _ table: String) throws -> Int {
        try store.read("counting") { try $0.fetchOne("SELECT count(*) AS n FROM \(table)")?.int("n") ?? -1 }
    }

    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("studystore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
