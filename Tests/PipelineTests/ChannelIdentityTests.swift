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
