import DICOM
import Foundation
import Imaging
import TestSupport
import XCTest

/// Issue 11 point 17: a series without PatientID, StudyInstanceUID, SeriesInstanceUID and
/// FrameOfReferenceUID loads, gets identities derived from its fingerprint (the same on every scan),
/// flags them, and the SEG written over it references exactly the loaded series' UIDs.
final class AnonymisedIdentityTests: XCTestCase {
    /// Known answer: "2.25." + decimal of SHA-256("abc")'s first 128 bits with the top bit cleared
    /// (python3: int.from_bytes(hashlib.sha256(b"abc").digest()[:16], "big") & (2**127 - 1)).
    func testDerivedUIDKnownAnswer() {
        XCTAssertEqual(DerivedIdentity.uid("abc"), "2.25.77718760768398167686456413793352032803")
        XCTAssertEqual(DerivedIdentity.patientID("abc"), "anon-ba7816bf8f01cfea")
    }

    func testMissingIdentitiesAreDerivedFlaggedAndReferencedBySEG() throws {
        let root = try TestData.temporaryDirectory("anon")
        defer { try? FileManager.default.removeItem(at: root) }
        let url = root.appendingPathComponent("series")
        try GeneratedSeries.write(to: url, slices: 6, patientID: "", studyUID: "", seriesUID: "", frameOfReferenceUID: "")
        let stack = try DICOMScanner.scan(path: url.path).select()
        XCTAssertEqual(Set(stack.derivedIdentifiers), ["PatientID", "StudyInstanceUID", "SeriesInstanceUID", "FrameOfReferenceUID"])
        let uids = [stack.study.studyInstanceUID, stack.series.seriesInstanceUID, stack.series.frameOfReferenceUID ?? ""]
        for uid in uids {
            XCTAssertTrue(uid.hasPrefix("2.25."), uid)
            XCTAssertLessThanOrEqual(uid.count, 64)
            XCTAssertTrue(uid.dropFirst(5).allSatisfy(\.isNumber), uid)
        }
        XCTAssertEqual(Set(uids).count, 3)
        XCTAssertTrue(stack.patient.id?.hasPrefix("anon-") == true)
        // Deterministic: a second scan (and a copy elsewhere) gives the same identities.
        let copy = root.appendingPathComponent("copy")
        try FileManager.default.copyItem(at: url, to: copy)
        let again = try DICOMScanner.scan(path: copy.path).select()
        XCTAssertEqual([again.study.studyInstanceUID, again.series.seriesInstanceUID, again.series.frameOfReferenceUID ?? ""], uids)
        XCTAssertEqual(again.patient.id, stack.patient.id)
        // The loaded stack and the SEG source agree; the SEG references them.
        let image = try DICOMLoader.load(stack: stack)
        let source = try SEGSourceSeries(stack: image.stack)
        XCTAssertEqual(try SEGSourceSeries.read(url), source)
        var labels = LabelMap(geometry: image.volume.geometry, repeating: 0)
        for k in 1..<5 { for j in 4..<8 { for i in 5..<11 { labels[i, j, k] = 1 } } }
        let seg = root.appendingPathComponent("seg.dcm")
        let options = SEGWriteOptions(softwareVersion: "0.1.0", algorithmName: "test", algorithmVersion: "1")
        let written = try SEGWriter(options: options).write(labelMap: labels, over: source, to: seg)
        XCTAssertEqual(written.frameCount, 4)
        let document = try SEGDocument(contentsOf: seg)
        XCTAssertEqual(document.studyInstanceUID, stack.study.studyInstanceUID)
        XCTAssertEqual(document.referencedSeriesInstanceUID, stack.series.seriesInstanceUID)
        XCTAssertEqual(document.frameOfReferenceUID, stack.series.frameOfReferenceUID)
        XCTAssertEqual(try document.labelMap(on: source).voxels, labels.voxels)
    }

    func testPresentIdentitiesAreKept() throws {
        let root = try TestData.temporaryDirectory("ids")
        defer { try? FileManager.default.removeItem(at: root) }
        try GeneratedSeries.write(to: root.appendingPathComponent("s"), slices: 3, seriesUID: "2.25.55")
        let stack = try DICOMScanner.scan(path: root.path).select()
        XCTAssertEqual(stack.derivedIdentifiers, [])
        XCTAssertEqual([stack.patient.id, stack.study.studyInstanceUID, stack.series.seriesInstanceUID, stack.series.frameOfReferenceUID],
                       ["GEN-1", "2.25.1001", "2.25.55", "2.25.1003"])
    }
}

/// Issue 11 point 16: segment text within DICOM VR limits, checked before writing.
final class SegmentLabelLimitTests: XCTestCase {
    func testLabelLimits() throws {
        XCTAssertNil(SegmentDescription(labelValue: 1, label: String(repeating: "a", count: 64)).vrViolation)
        XCTAssertTrue(SegmentDescription(labelValue: 1, label: String(repeating: "a", count: 65)).vrViolation?.contains("64") == true)
        XCTAssertTrue(SegmentDescription(labelValue: 1, label: "liver\u{0}x").vrViolation?.contains("U+0000") == true)
        XCTAssertTrue(SegmentDescription(labelValue: 1, label: "a\\b").vrViolation?.contains("backslash") == true)
        XCTAssertNotNil(SegmentDescription(labelValue: 1, label: " ").vrViolation)
    }

    func testLabelsFileAndWriterRefuseLongLabels() throws {
        let root = try TestData.temporaryDirectory("labels")
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("labels.json")
        try Data("[{\"value\": 1, \"name\": \"\(String(repeating: "x", count: 1_000_000))\"}]".utf8).write(to: file)
        XCTAssertThrowsError(try SegmentDescription.list(fromLabelsFile: file)) { error in
            XCTAssertEqual((error as? DICOMError)?.category, .badInput)
            XCTAssertTrue("\(error)".contains("labels[0]") && "\(error)".contains("1000000 characters"), "\("\(error)".prefix(300))")
        }
        let series = root.appendingPathComponent("s")
        try GeneratedSeries.write(to: series, slices: 2)
        let source = try SEGSourceSeries.read(series)
        let map = LabelMap(geometry: source.geometry, repeating: 1)
        let out = root.appendingPathComponent("seg.dcm")
        let writer = SEGWriter(options: SEGWriteOptions(softwareVersion: "0", algorithmName: "t", algorithmVersion: "1"))
        XCTAssertThrowsError(try writer.write(labelMap: map, segments: [SegmentDescription(labelValue: 1, label: "tumour\u{0}core")], over: source, to: out)) { error in
            XCTAssertEqual((error as? DICOMError)?.category, .badInput, "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }
}
