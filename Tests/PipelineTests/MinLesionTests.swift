import Core
import XCTest
import Imaging
import VolumeIO
import StudyStore
import TestSupport
@testable import Pipeline

/// `segment --min-lesion-ml`: small connected components leave the mask before measurement and export.
final class MinLesionTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = try TestData.temporaryDirectory("minlesion") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Voxels (i, j, k) set to `value` in a grid of `size` with `spacing`.
    static func map(_ size: SIMD3<Int>, spacing: Vector3, _ parts: [(value: UInt8, voxels: [SIMD3<Int>])]) -> LabelMap {
        var m = LabelMap(geometry: VolumeGeometry(size: size, spacingMM: spacing, originLPS: Vector3(3, -4, 5)), repeating: 0)
        for part in parts { for v in part.voxels { m[v.x, v.y, v.z] = part.value } }
        return m
    }

    static func box(_ lo: SIMD3<Int>, _ size: SIMD3<Int>) -> [SIMD3<Int>] {
        var out: [SIMD3<Int>] = []
        for k in 0..<size.z { for j in 0..<size.y { for i in 0..<size.x { out.append(lo &+ SIMD3(i, j, k)) } } }
        return out
    }

    func testThresholdOnAnisotropicGrid() throws {
        // 0.8 x 0.8 x 2.5 mm voxels: 1.6 mm^3 each. At 0.1 mL (100 mm^3) 63 voxels stay, 62 go.
        let kept = Self.box(SIMD3(1, 1, 1), SIMD3(7, 9, 1))                                   // 63 voxels = 100.8 mm^3
        let dropped = Self.box(SIMD3(1, 14, 1), SIMD3(31, 2, 1))                              // 62 voxels = 99.2 mm^3
        let joined = Self.box(SIMD3(12, 1, 3), SIMD3(31, 2, 1)) + [SIMD3(43, 3, 4)]           // 62 + 1 touching by a corner
        let otherLabel = Self.box(SIMD3(20, 8, 0), SIMD3(5, 5, 1))                            // label 2, 25 voxels
        let labels = Self.map(SIMD3(48, 20, 6), spacing: Vector3(0.8, 0.8, 2.5),
                              [(1, kept), (1, dropped), (1, joined), (2, otherLabel)])
        let (cleaned, removed) = try SegmentJob.removingSmallLesions(labels, minLesionML: 0.1)
        XCTAssertEqual(removed, 2, "the 62-voxel component of label 1 and the 25-voxel one of label 2")
        for v in kept + joined { XCTAssertEqual(cleaned[v.x, v.y, v.z], 1, "\(v)") }
        for v in dropped + otherLabel { XCTAssertEqual(cleaned[v.x, v.y, v.z], 0, "\(v)") }
        XCTAssertEqual(cleaned.voxels.filter { $0 != 0 }.count, kept.count + joined.count)
        // Exactly at the threshold (63 voxels = 0.1008 mL) a component is kept; 0 keeps everything.
        XCTAssertEqual(try SegmentJob.removingSmallLesions(labels, minLesionML: 0.1008).1, 2)
        XCTAssertEqual(try SegmentJob.removingSmallLesions(labels, minLesionML: 0.1009).1, 4)
        XCTAssertEqual(try SegmentJob.removingSmallLesions(labels, minLesionML: 0).0.voxels, labels.voxels)
        // Empty map.
        let empty = Self.map(SIMD3(4, 4, 4), spacing: Vector3(1, 1, 1), [])
        XCTAssertEqual(try SegmentJob.removingSmallLesions(empty, minLesionML: 5).1, 0)
    }

    func testSegmentRemovesSmallComponentsAndRecordsTheThreshold() throws {
        // Threshold fixture model (label 1 where FLAIR > 0.5) on a 1 mm grid: 64- and 8-voxel blobs.
        let g = VolumeGeometry(size: SIMD3(20, 16, 12), spacingMM: Vector3(1, 1, 1), originLPS: Vector3(-10, 4, 2))
        var flair = Volume<Float>(geometry: g, repeating: 0)
        for v in Self.box(SIMD3(3, 3, 3), SIMD3(4, 4, 4)) + Self.box(SIMD3(13, 10, 7), SIMD3(2, 2, 2)) { flair[v.x, v.y, v.z] = 1 }
        let t1c = Volume<Float>(geometry: g, repeating: 0.25)
        let inputs = try [(flair, "flair.nii.gz"), (t1c, "t1c.nii.gz")].map { v, name -> String in
            let path = folder.appendingPathComponent(name).path
            try VolumeFile.write(v, to: path)
            return path
        }
        let db = folder.appendingPathComponent("studies.sqlite").path
        func run(_ minML: Double, _ out: String) throws -> SegmentSummary {
            try SegmentJob.run(SegmentRequest(inputs: inputs, model: SegmentJobTests.fixture("threshold-3d"),
                                              outputFolder: folder.appendingPathComponent(out).path, databasePath: db,
                                              writeDICOM: false, reportFormats: [], minLesionML: minML))
        }
        let all = try run(0, "all")
        XCTAssertEqual(all.lesions.count, 2)
        XCTAssertEqual(all.removedComponentCount, 0)
        let cleaned = try run(0.05, "cleaned")
        XCTAssertEqual(cleaned.lesions.map(\.voxelCount), [64])
        XCTAssertEqual(cleaned.labels.first?.lesionCount, 1)
        XCTAssertEqual(cleaned.labels.first?.volumeML ?? 0, 0.064, accuracy: 1e-12)
        XCTAssertEqual(cleaned.removedComponentCount, 1)
        XCTAssertEqual(cleaned.minLesionML, 0.05)
        let mask = try VolumeFile.readLabels(cleaned.outputFolder + "/mask.nii.gz")
        XCTAssertEqual(mask.voxels.filter { $0 != 0 }.count, 64, "the written mask is the cleaned one")
        let written = try JSONDecoder().decode(SegmentSummary.self, from: Data(contentsOf: URL(fileURLWithPath: cleaned.outputFolder + "/segmentation.json")))
        XCTAssertEqual(written.minLesionML, 0.05)
        XCTAssertEqual(written.removedComponentCount, 1)
        let store = try StudyStore(path: db, createIfMissing: false)
        let parameters = try JSONSerialization.jsonObject(with: Data(try store.show(cleaned.runID).parametersJSON.utf8)) as? [String: Any]
        XCTAssertEqual(parameters?["minLesionML"] as? Double, 0.05)
        XCTAssertEqual(try store.show(cleaned.runID).lesions.count, 1)
        // A negative threshold is refused before any work.
        XCTAssertThrowsError(try run(-1, "bad")) { XCTAssertEqual(($0 as? CategorizedError)?.category, .invalidArgument) }
    }
}
