import DICOM
import Foundation
import Imaging
import TestSupport
import XCTest

/// Write -> read -> the same masks, over real source series (plain, tilted, enhanced, J2K).
final class SEGRoundTripTests: XCTestCase {
    static let sources = [
        "dcmqi/segmentations/ct-3slice",
        "dcm_qa_ct/GE",
        "pydicom-data/eCT_Supplemental.dcm",
        "pydicom/dicomdirtests/77654033/CT2",
        "totalsegmentator/example_ct_dicom",
        "dcmqi/segmentations/23x38x3/image",
        "pydicom-data/emri_small.dcm",
    ]

    func testLabelMapRoundTripOnEverySource() throws {
        for relative in Self.sources {
            guard TestData.path(relative) != nil else { print("skipping \(relative): \(TestData.missing(relative))"); continue }
            let source = try SEGFixtures.source(relative)
            let map = SEGFixtures.labelMap(on: source, labels: 4)
            let url = try SEGFixtures.temporaryFile("roundtrip.dcm")
            let result = try SEGWriter(options: SEGFixtures.options).write(labelMap: map, over: source, to: url)
            XCTAssertEqual(result.segmentNumbers, [1: 1, 2: 2, 3: 3, 4: 4], relative)
            let document = try SEGDocument(contentsOf: url)
            XCTAssertEqual(document.kind, .binary)
            XCTAssertEqual(document.segments.count, 4)
            XCTAssertEqual(document.frames.count, result.frameCount)
            let back = try document.labelMap(on: source)
            // The map on the exact source frames (differs from `map` only for unevenly spaced series).
            let expected = source.sampled(map, interpolation: .nearest, outside: 0)
            XCTAssertEqual(mismatches(back.voxels, expected), 0, "round trip over \(relative)")
            // Empty frames are omitted: one frame per (label, slice) pair present.
            let planeSize = source.rows * source.columns
            var pairs = Set<Int>()
            for (p, v) in expected.enumerated() where v != 0 { pairs.insert(Int(v) * 100_000 + p / planeSize) }
            XCTAssertEqual(result.frameCount, pairs.count, relative)
        }
    }

    func testFractionalRoundTripKeepsQuantizedValues() throws {
        let source = try SEGFixtures.source("dcmqi/segmentations/ct-3slice")
        let g = source.geometry
        var probability = Volume<Float>(geometry: g, repeating: 0)
        for k in 0..<g.size.z { for j in 100..<140 { for i in 200..<260 { probability[i, j, k] = Float(i - 200) / 59 } } }
        let url = try SEGFixtures.temporaryFile("fractional.dcm")
        let segment = SegmentDescription(labelValue: 1, label: "Probability")
        try SEGWriter(options: SEGFixtures.options).write(probabilities: [(segment, probability)], over: source, to: url)
        let document = try SEGDocument(contentsOf: url)
        XCTAssertEqual(document.kind, .fractional(maxValue: 255))
        let fractions = try XCTUnwrap(document.segmentFractions(on: source)[1])
        var worst: Float = 0
        for p in fractions.voxels.indices { worst = max(worst, abs(fractions.voxels[p] - probability.voxels[p])) }
        XCTAssertLessThanOrEqual(worst, 0.5 / 255 + 1e-6)
    }

    /// One segment description type both ways (issue 12): what SEGWriter takes is what SEGDocument reads
    /// back (colour through DICOM's CIELab, within rounding); a manual algorithm type is refused on writing.
    func testSegmentDescriptionRoundTrips() throws {
        let source = try SEGFixtures.source("pydicom/dicomdirtests/77654033/CT2")
        var mask = Volume<UInt8>(geometry: source.geometry, repeating: 0)
        for j in 2..<6 { for i in 2..<6 { mask[i, j, 0] = 1 } }
        let written = SegmentDescription(labelValue: 1, label: "Tumour", description: "enhancing part",
                                         color: RGBColor(red: 200, green: 30, blue: 40), category: .morphologicallyAbnormalStructure,
                                         type: .lesion, algorithmName: "segment-model")
        let url = try SEGFixtures.temporaryFile("description.dcm")
        try SEGWriter(options: SEGFixtures.options).write(masks: [(written, mask)], over: source, to: url)
        let read = try XCTUnwrap(try SEGDocument(contentsOf: url).segments.first)
        var expected = written
        expected.color = read.color
        XCTAssertEqual(read, expected)
        let color = try XCTUnwrap(read.color)
        XCTAssertLessThanOrEqual(max(abs(Int(color.red) - 200), abs(Int(color.green) - 30), abs(Int(color.blue) - 40)), 1)
        var manual = written
        manual.algorithmType = .manual
        XCTAssertThrowsError(try SEGWriter(options: SEGFixtures.options).write(masks: [(manual, mask)], over: source,
                                                                               to: try SEGFixtures.temporaryFile("manual.dcm"))) { error in
            XCTAssertEqual((error as? DICOMError)?.category, .invalidArgument, "\(error)")
        }
    }

    func testOverlappingMasksStaySeparate() throws {
        let source = try SEGFixtures.source("pydicom/dicomdirtests/77654033/CT2")
        let g = source.geometry
        var a = Volume<UInt8>(geometry: g, repeating: 0), b = a
        for k in 0..<g.size.z { for j in 2..<10 { for i in 2..<10 { a[i, j, k] = 1 } } }
        for k in 1..<g.size.z { for j in 6..<14 { for i in 5..<15 { b[i, j, k] = 1 } } }
        let url = try SEGFixtures.temporaryFile("overlap.dcm")
        try SEGWriter(options: SEGFixtures.options).write(masks: [(SegmentDescription(labelValue: 1, label: "A"), a),
                                                                  (SegmentDescription(labelValue: 2, label: "B"), b)], over: source, to: url)
        let masks = try SEGDocument(contentsOf: url).segmentMasks(on: source)
        XCTAssertEqual(mismatches(try XCTUnwrap(masks[1]).voxels, a.voxels), 0)
        XCTAssertEqual(mismatches(try XCTUnwrap(masks[2]).voxels, b.voxels), 0)
    }
}

/// Number of differing voxels (arrays of different length count every voxel of the longer one).
func mismatches<T: Equatable>(_ a: [T], _ b: [T]) -> Int {
    guard a.count == b.count else { return max(a.count, b.count) }
    return zip(a, b).reduce(0) { $0 + ($1.0 == $1.1 ? 0 : 1) }
}
