import DICOM
import Foundation
import Imaging
import TestSupport
import XCTest

/// SegStation packs and unpacks BINARY frames itself (docs/DICOM-SEG.md). The reader is checked against a
/// SEG highdicom wrote with 7x5-pixel frames (35 bits: frames start at every bit position of a byte;
/// Scripts/reference/seg_packing_fixture.py, verified there with pydicom's unpacking); DCMTK 3.6.7's own
/// frame extraction gets such frames wrong. The writer then round-trips random overlapping masks with
/// arbitrary nonzero values over synthetic series with frames on and off byte boundaries.
final class SEGPackingTests: XCTestCase {
    func testHighdicomFramesOffByteBoundariesAreRead() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Expected")
        let expected = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("seg_highdicom_7x5.json"))) as? [String: Any])
        let document = try SEGDocument(contentsOf: folder.appendingPathComponent("seg_highdicom_7x5.dcm"))
        XCTAssertEqual([document.columns, document.rows, document.frames.count], [7, 5, expected["frames"] as? Int ?? -1])
        let values = try document.segmentValues(on: try document.ownFrameGrid())
        let segments = try XCTUnwrap(expected["segments"] as? [String: String])
        XCTAssertEqual(segments.count, 3)
        for (number, bits) in segments {
            let got = try XCTUnwrap(values[Int(number)!], "segment \(number)")
            XCTAssertEqual(got.map { $0 != 0 ? "1" : "0" }.joined(), bits, "segment \(number)")
        }
    }

    func testRandomMasksRoundTrip() throws {
        for (columns, rows, slices) in [(16, 8, 5), (7, 5, 6), (33, 3, 4)] {
            let source = try Self.series(columns: columns, rows: rows, slices: slices)
            var generator = SplitMix(seed: UInt64(columns * 1000 + rows))
            let masks: [(segment: SegmentDescription, mask: Volume<UInt8>)] = (1...3).map { label in
                var mask = Volume<UInt8>(geometry: source.geometry, repeating: 0)
                for p in mask.voxels.indices where generator.next() % 3 == 0 { mask.voxels[p] = UInt8(truncatingIfNeeded: 1 + generator.next() % 255) }
                return (SegmentDescription(labelValue: Int(label), label: "Random \(label)"), mask)
            }
            let url = try SEGFixtures.temporaryFile("packing-\(columns)x\(rows).dcm")
            try SEGWriter(options: SEGFixtures.options).write(masks: masks, over: source, to: url)
            let back = try SEGDocument(contentsOf: url).segmentMasks(on: source)
            for (index, m) in masks.enumerated() {
                let got = try XCTUnwrap(back[index + 1], "segment \(index + 1)")
                XCTAssertEqual(got.voxels, m.mask.voxels.map { $0 != 0 ? 1 : 0 }, "\(columns)x\(rows), segment \(index + 1)")
            }
        }
    }

    /// A classic MR series of `slices` slices written by DICOMSeriesWriter into a new temporary folder.
    static func series(columns: Int, rows: Int, slices: Int) throws -> SEGSourceSeries {
        let g = VolumeGeometry(size: SIMD3(columns, rows, slices), spacingMM: Vector3(0.8, 0.9, 2.5),
                               originLPS: Vector3(-10, 20, 5), direction: .identity)
        let folder = try TestData.temporaryDirectory("seg-packing").appendingPathComponent("\(columns)x\(rows)x\(slices)-\(UUID().uuidString)")
        let description = DICOMSeriesDescription(patientID: "PACK", patientName: "Packing^Test", studyInstanceUID: DICOMUID.make(),
                                                 studyDate: "20260101", seriesDescription: "packing", frameOfReferenceUID: DICOMUID.make())
        try DICOMSeriesWriter.write(Volume<Float>(geometry: g, repeating: 100), to: folder, description: description)
        return try SEGSourceSeries.read(folder)
    }
}
