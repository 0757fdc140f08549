import DICOM
import Foundation
import Imaging
import TestSupport
import XCTest

/// pydicom-data's emri_small.dcm: an Enhanced MR instance (10 frames of 64x64) with a Frame of Reference
/// UID but no functional groups and no Image Position / Orientation (Patient) or Pixel Spacing anywhere.
/// Its SEG addresses frames by source frame only (PS3.3 A.51: the Frame of Reference module is required
/// only without the Derivation Image functional group). dciodvfy and highdicom's reading of the same SEG
/// are checked by SEGExportTests and Scripts/reference/seg_acceptance.py; dcmqi cannot convert it (an ITK
/// image needs directions: "Plane Orientation (Patient) is missing ... Failed to get image directions").
final class SEGNoGeometryTests: XCTestCase {
    static let relative = "pydicom-data/emri_small.dcm"

    func testSourceIsReadByFrameNumber() throws {
        let source = try SEGFixtures.source(Self.relative)
        XCTAssertFalse(source.hasPatientGeometry)
        XCTAssertEqual(source.frames.count, 10)
        XCTAssertEqual(source.frames.map(\.frameNumber), (1...10).map { Optional($0) })
        XCTAssertEqual(Set(source.frames.map(\.sopInstanceUID)).count, 1)
        XCTAssertEqual([source.rows, source.columns], [64, 64])
        XCTAssertEqual(source.frameOfReferenceUID, "1.2.826.0.1.3680043.2.1143.7671044842464184335443239547790660582")
    }

    func testSEGReferencesSourceFramesOnly() throws {
        let source = try SEGFixtures.source(Self.relative)
        let map = SEGFixtures.labelMap(on: source, labels: 3)
        let url = try SEGFixtures.temporaryFile("nogeometry.dcm")
        let result = try SEGWriter(options: SEGFixtures.options).write(labelMap: map, over: source, to: url)
        let document = try SEGDocument(contentsOf: url)
        XCTAssertEqual(document.frameOfReferenceUID, "", "no plane positions, so no frame of reference")
        XCTAssertNil(document.rowDirectionLPS)
        XCTAssertNil(document.pixelSpacingMM)
        XCTAssertEqual(document.frames.count, result.frameCount)
        for frame in document.frames {
            XCTAssertNil(frame.positionLPS)
            XCTAssertEqual(frame.referencedSOPInstanceUID, source.frames[0].sopInstanceUID)
            XCTAssertNotNil(frame.referencedFrameNumber)
        }
        XCTAssertEqual(try document.labelMap(on: source).voxels, map.voxels)
    }

    func testMaskOfAnotherSizeIsRejected() throws {
        let source = try SEGFixtures.source(Self.relative)
        let g = VolumeGeometry(size: SIMD3(64, 64, 9), spacingMM: Vector3(1, 1, 1), originLPS: .zero, direction: .identity)
        let url = try SEGFixtures.temporaryFile("nogeometry-wrong.dcm")
        XCTAssertThrowsError(try SEGWriter(options: SEGFixtures.options).write(labelMap: LabelMap(geometry: g, repeating: 1), over: source, to: url)) { error in
            guard case DICOMError.invalidArgument(let detail) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("64x64x10"), detail)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }
}
