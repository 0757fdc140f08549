import DICOM
import Foundation
import Imaging
import TestSupport
import VolumeIO
import XCTest

/// The label maps dcmqi made its SEGs from (NRRD) -> our SEG -> read back: the same labels on the source.
final class SEGFromNRRDTests: XCTestCase {
    func testDcmqiLabelMapsRoundTrip() throws {
        for (nrrd, folder) in [("dcmqi/segmentations/liver_seg.nrrd", "dcmqi/segmentations/ct-3slice"),
                               ("dcmqi/segmentations/partial_overlaps-1.nrrd", "dcmqi/segmentations/ct-3slice"),
                               ("dcmqi/segmentations/sparse_labelmap_noppv_seg.nrrd", "dcmqi/segmentations/24x38x3/image")] {
            guard let path = TestData.path(nrrd) else { print("skipping: \(TestData.missing(nrrd))"); continue }
            let source = try SEGFixtures.source(folder)
            let labels = try VolumeFile.readLabels(path)
            let url = try SEGFixtures.temporaryFile("nrrd.dcm")
            let result = try SEGWriter(options: SEGFixtures.options).write(labelMap: labels, over: source, to: url)
            let back = try SEGDocument(contentsOf: url).labelMap(on: source)
            // Expected: the NRRD on the source frames, label values renumbered to segment numbers.
            let expected = source.sampled(labels, interpolation: .nearest, outside: 0).map { $0 == 0 ? 0 : UInt8(result.segmentNumbers[$0]!) }
            XCTAssertEqual(mismatches(back.voxels, expected), 0, nrrd)
            XCTAssertGreaterThan(expected.filter { $0 != 0 }.count, 0, nrrd)
        }
    }
}
