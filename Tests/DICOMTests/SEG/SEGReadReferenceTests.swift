import DICOM
import Foundation
import Imaging
import TestSupport
import XCTest

/// Reading SEGs written by dcmqi (BINARY, overlapping, LABELMAP) and highdicom (BINARY, overlapping,
/// FRACTIONAL) gives the masks highdicom and dcmqi's NRRDs say (SEGExpectedValues, from
/// Scripts/reference/seg_expected.py).
final class SEGReadReferenceTests: XCTestCase {
    func testReferenceSEGsMatchHighdicomAndDcmqi() throws {
        var checked = 0
        for (name, c) in SEGExpectedValues.cases.sorted(by: { $0.key < $1.key }) {
            guard let segPath = TestData.path(c.seg) else { print("skipping \(name): \(TestData.missing(c.seg))"); continue }
            let source = try SEGFixtures.source(c.source)
            let document = try SEGDocument(contentsOf: URL(fileURLWithPath: segPath))
            let values = try document.segmentValues(on: source)
            XCTAssertEqual(Set(values.keys), Set(c.segments.keys), name)
            for (number, expected) in c.segments {
                let v = try XCTUnwrap(values[number], "\(name) segment \(number)")
                var found = SEGExpectedValues.Expected(count: 0, indexSum: 0, valueSum: 0)
                for (p, x) in v.enumerated() where x != 0 { found.count += 1; found.indexSum += p; found.valueSum += Int(x) }
                XCTAssertEqual(found, expected, "\(name) segment \(number)")
            }
            checked += 1
        }
        if checked == 0 { throw XCTSkip(TestData.missing("dcmqi/segmentations")) }
    }

    func testSegmentMetadataIsRead() throws {
        guard let path = TestData.path("dcmqi/segmentations/liver.dcm") else { throw XCTSkip(TestData.missing("dcmqi/segmentations/liver.dcm")) }
        let document = try SEGDocument(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(document.kind, .binary)
        XCTAssertEqual(document.segments.first?.labelValue, 1)
        XCTAssertFalse(document.segments.first?.type.value.isEmpty ?? true)   // dcmqi wrote SNOMED as "SRT"
        XCTAssertNotNil(document.segments.first?.color)
    }

    func testLabelMapSEGKind() throws {
        guard let path = TestData.path("dcmqi/segmentations/sparse-labelmap-ppv5.dcm") else { throw XCTSkip(TestData.missing("dcmqi/segmentations/sparse-labelmap-ppv5.dcm")) }
        let document = try SEGDocument(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual(document.kind, .labelMap)
        XCTAssertTrue(document.frames.allSatisfy { $0.segmentNumber == nil })
    }
}

/// Reading a SEG without its source: the SEG's own frame grid gives the same label map as the source.
final class SEGOwnGridTests: XCTestCase {
    func testOwnGridMatchesSourceGrid() throws {
        guard let path = TestData.path("dcmqi/segmentations/liver.dcm") else { throw XCTSkip(TestData.missing("dcmqi/segmentations/liver.dcm")) }
        let source = try SEGFixtures.source("dcmqi/segmentations/ct-3slice")
        let document = try SEGDocument(contentsOf: URL(fileURLWithPath: path))
        let own = try document.ownFrameGrid()
        let onOwn = try document.labelMap(on: own), onSource = try document.labelMap(on: source)
        XCTAssertTrue(own.geometry.isSameGrid(as: source.geometry, toleranceMM: 1e-3))
        XCTAssertEqual(mismatches(onOwn.voxels, onSource.voxels), 0)
    }
}
