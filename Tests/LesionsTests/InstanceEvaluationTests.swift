import XCTest
import Imaging
import VolumeIO
@testable import Lesions
import TestSupport

private struct PanopticaFile: Decodable {
    struct Case: Decodable {
        var name: String
        var file: String
        var referenceLabels: [UInt8]
        var predictionLabels: [UInt8]
        var predictedInstances: Int
        var referenceInstances: Int
        var truePositives: Int
        var falsePositives: Int
        var falseNegatives: Int
        var recognitionQuality: Double
        var segmentationQuality: Double?
        var panopticQuality: Double
    }
    var matching: String
    var cases: [Case]
}

/// Issue 17: lesion-wise F1 and panoptic quality, against panoptica on real BraTS label maps
/// (Scripts/reference/instance_metrics.py), and on hand-counted synthetic cases.
final class InstanceEvaluationTests: XCTestCase {
    func testMatchesPanopticaOnBraTS() throws {
        let file = try Synthetic.expected(PanopticaFile.self, file: "instance_metrics_panoptica.json")
        XCTAssertEqual(file.matching, "IoU > 0.5")
        XCTAssertEqual(file.cases.count, 3)
        for c in file.cases {
            guard let path = TestData.path(c.file) else { throw XCTSkip(TestData.missing(c.file)) }
            let labels = try VolumeFile.readLabels(path)
            let reference = labels.map { c.referenceLabels.contains($0) ? UInt8(1) : 0 }
            let prediction = labels.map { c.predictionLabels.contains($0) ? UInt8(1) : 0 }
            let m = try InstanceEvaluation.compare(prediction: prediction, reference: reference,
                                                   splitting: .connectedComponents(.twentySix))
            XCTAssertEqual(m.predictedInstances, c.predictedInstances, c.name)
            XCTAssertEqual(m.referenceInstances, c.referenceInstances, c.name)
            XCTAssertEqual(m.truePositives, c.truePositives, c.name)
            XCTAssertEqual(m.falsePositives, c.falsePositives, c.name)
            XCTAssertEqual(m.falseNegatives, c.falseNegatives, c.name)
            XCTAssertEqual(try XCTUnwrap(m.f1), c.recognitionQuality, accuracy: 1e-12, c.name)
            XCTAssertEqual(try XCTUnwrap(m.panopticQuality), c.panopticQuality, accuracy: 1e-12, c.name)
            if let sq = c.segmentationQuality {
                XCTAssertEqual(try XCTUnwrap(m.segmentationQuality), sq, accuracy: 1e-12, c.name)
            } else {
                XCTAssertNil(m.segmentationQuality, c.name)
            }
        }
    }

    /// Two touching spheres: connected components see one lesion where the reference has two. The
    /// merged blob matches the sphere holding the shared voxel (IoU just over 0.5) and the other is
    /// missed; the watershed split finds both.
    func testWatershedRecoversTouchingLesions() throws {
        let g = VolumeGeometry(size: SIMD3(48, 32, 32))
        var reference = Volume<Int32>(geometry: g, repeating: 0)
        for k in 0..<32 { for j in 0..<32 { for i in 0..<48 {
            for (id, c) in [(Int32(1), SIMD3(16, 16, 16)), (2, SIMD3(30, 16, 16))] {
                let d = SIMD3(i, j, k) &- c
                if (d &* d).wrappedSum() <= 64, reference[i, j, k] == 0 { reference[i, j, k] = id }
            }
        } } }
        let mask = reference.map { $0 != 0 ? UInt8(1) : 0 }
        let merged = try InstanceEvaluation.compare(prediction: ConnectedComponents.label(mask, connectivity: .twentySix).instances,
                                                    reference: reference)
        XCTAssertEqual([merged.truePositives, merged.falsePositives, merged.falseNegatives], [1, 0, 1])
        XCTAssertEqual(merged.matches.map(\.reference), [1])
        XCTAssertLessThan(try XCTUnwrap(merged.panopticQuality), 0.34)
        let split = try InstanceEvaluation.compare(prediction: try WatershedSplit.split(mask, minDistanceMM: 5).instances,
                                                   reference: reference)
        XCTAssertEqual([split.truePositives, split.falsePositives, split.falseNegatives], [2, 0, 0])
        XCTAssertGreaterThan(try XCTUnwrap(split.panopticQuality), 0.95)
        XCTAssertEqual(split.f1, 1)
    }

    /// Hand-counted: reference {A: 8 voxels, B: 4}, prediction {A': 6 of A's voxels, C: 2 new}.
    /// IoU(A', A) = 6/8 matches; B is missed, C is spurious. F1 = 1/(1 + 1/2 + 1/2) = 0.5,
    /// SQ = 0.75, PQ = 0.375.
    func testHandCountedCase() throws {
        let g = VolumeGeometry(size: SIMD3(8, 2, 2))
        var reference = Volume<Int32>(geometry: g, repeating: 0)
        var prediction = Volume<Int32>(geometry: g, repeating: 0)
        for k in 0..<2 { for j in 0..<2 { for i in 0..<2 { reference[i, j, k] = 7 } } }
        for k in 0..<2 { for j in 0..<2 { reference[5, j, k] = 9 } }
        for k in 0..<2 { for j in 0..<2 { for i in 0..<2 where !(i == 1 && k == 1) { prediction[i, j, k] = 3 } } }
        prediction[7, 0, 0] = 4; prediction[7, 1, 0] = 4
        let m = try InstanceEvaluation.compare(prediction: prediction, reference: reference)
        XCTAssertEqual(m.matches, [InstanceMatch(prediction: 3, reference: 7, iou: 0.75)])
        XCTAssertEqual([m.truePositives, m.falsePositives, m.falseNegatives], [1, 1, 1])
        XCTAssertEqual(m.f1, 0.5)
        XCTAssertEqual(m.segmentationQuality, 0.75)
        XCTAssertEqual(m.panopticQuality, 0.375)
        XCTAssertNil(try InstanceEvaluation.compare(prediction: Volume(geometry: g, repeating: 0), reference: Volume(geometry: g, repeating: 0)).panopticQuality)
        XCTAssertThrowsError(try InstanceEvaluation.compare(prediction: prediction, reference: Volume(geometry: VolumeGeometry(size: SIMD3(8, 2, 3)), repeating: 0)))
    }
}

/// The measurement step takes its lesions from the watershed split when asked.
final class SplitMeasurementTests: XCTestCase {
    func testMeasureWithWatershedSplitCountsTwoLesions() throws {
        let g = VolumeGeometry(size: SIMD3(48, 32, 32))
        var map = LabelMap(geometry: g, repeating: 0)
        for k in 0..<32 { for j in 0..<32 { for i in 0..<48 {
            for c in [SIMD3(16, 16, 16), SIMD3(30, 16, 16)] {
                let d = SIMD3(i, j, k) &- c
                if (d &* d).wrappedSum() <= 64 { map[i, j, k] = 1 }
            }
        } } }
        let whole = try LesionAnalyzer.measure(labels: map)
        XCTAssertEqual(whole.first?.lesionCount, 1)
        let split = try LesionAnalyzer.measure(labels: map, splitting: .watershed(minDistanceMM: 5, minNeckDepthMM: 1))
        XCTAssertEqual(split.first?.lesionCount, 2)
        XCTAssertEqual(split.first?.total.voxelCount, whole.first?.total.voxelCount)
        XCTAssertEqual(split.first?.lesions.map(\.voxelCount).reduce(0, +), whole.first?.total.voxelCount)
    }
}
