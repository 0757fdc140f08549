import DICOM
import Foundation
import Imaging
import TestSupport
import XCTest

/// `SEGSourceSeries.read` (scan, select, prepare: what export-seg uses) and `SEGSourceSeries(stack:)` over
/// the scanned stack (what segment uses) give the same source on clean real series.
final class SEGSourceFromStackTests: XCTestCase {
    func testStackAndHeaderReadingAgree() throws {
        for relative in ["dcmqi/segmentations/ct-3slice", "dcm_qa_ct/GE", "pydicom-data/eCT_Supplemental.dcm", "pydicom/dicomdirtests/77654033/CT2"] {
            guard let path = TestData.path(relative) else { print("skipping: \(TestData.missing(relative))"); continue }
            let direct = try SEGSourceSeries.read(URL(fileURLWithPath: path), options: DICOMLoadOptions(unevenSpacing: .resample))
            let inventory = try DICOMScanner.scan(path: path)
            let stack = try XCTUnwrap(inventory.studies.first?.series.first?.stacks.first, relative)
            let fromStack = try SEGSourceSeries(stack: stack)
            XCTAssertEqual(fromStack.frames.map(\.sopInstanceUID), direct.frames.map(\.sopInstanceUID), relative)
            XCTAssertEqual(fromStack.frames.map(\.frameNumber), direct.frames.map(\.frameNumber), relative)
            for (a, b) in zip(fromStack.frames, direct.frames) { XCTAssertLessThan(norm(a.positionLPS - b.positionLPS), 1e-6, relative) }
            XCTAssertEqual(fromStack.seriesInstanceUID, direct.seriesInstanceUID, relative)
            XCTAssertEqual(fromStack.frameOfReferenceUID, direct.frameOfReferenceUID, relative)
            XCTAssertLessThan(norm(fromStack.rowDirectionLPS - direct.rowDirectionLPS), 1e-9, relative)
            XCTAssertEqual(fromStack.pixelSpacingMM, direct.pixelSpacingMM, relative)
        }
    }
}
