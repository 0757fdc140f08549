import DICOM
import Foundation
import Imaging
@testable import Pipeline
import TestSupport
import XCTest

/// Issue 11 point 7: `segment` channels of another patient, study or frame of reference are refused
/// before inference, naming both identities, unless --allow-mixed-identity (then noted in the run).
final class ChannelIdentityTests: XCTestCase {
    var root: URL!
    override func setUpWithError() throws { root = try TestData.temporaryDirectory("channels") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    func write(_ name: String, patient: String, study: String, frame: String) throws -> String {
        let g = VolumeGeometry(size: SIMD3(8, 8, 4), spacingMM: Vector3(1, 1, 2), originLPS: .zero, direction: .identity)
        let d = DICOMSeriesDescription(patientID: patient, patientName: "P^Q", studyInstanceUID: study, studyDate: "20240101",
                                       seriesDescription: name, frameOfReferenceUID: frame)
        let url = root.appendingPathComponent(name)
        try DICOMSeriesWriter.write(Volume<Float>(geometry: g, repeating: 3), to: url, description: d)
        return url.path
    }

    func testSamePatientStudyAndFrameOfReferencePass() throws {
        let a = try write("a", patient: "P1", study: "2.25.1", frame: "2.25.9")
        let b = try write("b", patient: "P1", study: "2.25.1", frame: "2.25.9")
        let scans = try [a, b].map { try ScanInput.load($0) }
        XCTAssertEqual(try ChannelIdentity.check(scans, inputs: [a, b], allowMixed: false), [])
    }

    func testOtherPatientIsRefusedWithBothIdentitiesUnlessAllowed() throws {
        let a = try write("a", patient: "P1", study: "2.25.1", frame: "2.25.9")
        let b = try write("b", patient: "P2", study: "2.25.2", frame: "2.25.8")
        let scans = try [a, b].map { try ScanInput.load($0) }
        XCTAssertThrowsError(try ChannelIdentity.check(scans, inputs: [a, b], allowMixed: false)) { error in
            let text = "\(error)"
            XCTAssertEqual((error as? PipelineError)?.category, .badInput)
            for part in ["P1", "P2", "2.25.1", "2.25.2", "2.25.9", "2.25.8", "--allow-mixed-identity", "patient, study, frame of reference"] {
                XCTAssertTrue(text.contains(part), "\(part) missing from: \(text)")
            }
        }
        let notes = try ChannelIdentity.check(scans, inputs: [a, b], allowMixed: true)
        XCTAssertEqual(notes.count, 1)
        XCTAssertTrue(notes[0].contains("--allow-mixed-identity"), notes[0])
    }

    func testOtherFrameOfReferenceAloneIsRefused() throws {
        let a = try write("a", patient: "P1", study: "2.25.1", frame: "2.25.9")
        let b = try write("b", patient: "P1", study: "2.25.1", frame: "2.25.7")
        let scans = try [a, b].map { try ScanInput.load($0) }
        XCTAssertThrowsError(try ChannelIdentity.check(scans, inputs: [a, b], allowMixed: false)) { error in
            XCTAssertTrue("\(error)".contains("in frame of reference:"), "\(error)")
        }
    }
}

/// Issue 11 points 16/17: what would make the DICOM exports fail is checked before inference.
final class ExportPreflightTests: XCTestCase {
    func testOverlongManifestLabelIsRefusedBeforeTheRunStarts() throws {
        let root = try TestData.temporaryDirectory("preflight")
        defer { try? FileManager.default.removeItem(at: root) }
        let model = root.appendingPathComponent("threshold-3d")
        try FileManager.default.copyItem(atPath: TestData.repositoryRoot.appendingPathComponent("Tests/PipelineTests/Fixtures/threshold-3d").path,
                                         toPath: model.path)
        let manifestURL = model.appendingPathComponent("manifest.json")
        var manifest = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: manifestURL)) as? [String: Any])
        var labels = try XCTUnwrap(manifest["labels"] as? [[String: Any]])
        labels[0]["name"] = String(repeating: "x", count: 65)
        manifest["labels"] = labels
        try JSONSerialization.data(withJSONObject: manifest).write(to: manifestURL)
        let g = VolumeGeometry(size: SIMD3(8, 8, 4), spacingMM: Vector3(1, 1, 2), originLPS: .zero, direction: .identity)
        let d = DICOMSeriesDescription(patientID: "P1", patientName: "P^Q", studyInstanceUID: "2.25.1", studyDate: "20240101",
                                       seriesDescription: "s", frameOfReferenceUID: "2.25.9")
        let series = root.appendingPathComponent("series")
        try DICOMSeriesWriter.write(Volume<Float>(geometry: g, repeating: 3), to: series, description: d)
        let database = root.appendingPathComponent("db.sqlite").path
        let request = SegmentRequest(inputs: [series.path, series.path], model: model.path,
                                     outputFolder: root.appendingPathComponent("out").path, databasePath: database)
        XCTAssertThrowsError(try SegmentJob.run(request)) { error in
            XCTAssertEqual((error as? DICOMError)?.category, .badInput, "\(error)")
            XCTAssertTrue("\(error)".contains("64"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: database), "refused before the run was recorded")
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("out").path), "nothing written")
    }
}
