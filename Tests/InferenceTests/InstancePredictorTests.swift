import XCTest
@testable import Inference

/// The per-slice rules of `InstancePredictor` (docs/INSTANCES.md): score and mask thresholds
/// (strictly above), class-agnostic mask suppression, painting order, padding, tiling and refusals. The
/// detector is a table of outputs per slice, so each rule's outcome is known exactly.
final class InstancePredictorTests: XCTestCase {
    /// Returns `outputs[n]` on its n-th call (0-based), no detection otherwise.
    final class TableDetector: SliceDetector {
        var outputs: [Int: SliceDetectorOutput]
        var shapes: [[Int]] = []
        var firstValues: [Float] = []
        init(_ outputs: [Int: SliceDetectorOutput]) { self.outputs = outputs }
        func detect(_ slice: [Float], shape: [Int]) throws -> SliceDetectorOutput {
            shapes.append(shape)
            firstValues.append(slice[0])
            return outputs[shapes.count - 1] ?? SliceDetectorOutput(boxes: [], labels: [], scores: [], masks: [], height: shape[1], width: shape[2])
        }
    }

    /// A 4 x 4 mask (rows of 0/1 characters) padded into the 6 x 6 network slice at offset (1, 1).
    static func mask(_ rows: [String]) -> [Float] {
        var out = [Float](repeating: 0, count: 36)
        for (r, row) in rows.enumerated() { for (c, ch) in row.enumerated() where ch == "1" { out[(r + 1) * 6 + c + 1] = 0.9 } }
        return out
    }

    static func output(_ detections: [(score: Float, label: Int64, mask: [Float])]) -> SliceDetectorOutput {
        SliceDetectorOutput(boxes: [Float](repeating: 0, count: 4 * detections.count), labels: detections.map(\.label),
                            scores: detections.map(\.score), masks: detections.flatMap(\.mask), height: 6, width: 6)
    }

    func predictor(_ detector: TableDetector, nmsIoU: Double = 0.5) -> InstancePredictor {
        var settings = InstanceSettings()
        settings.nmsIoU = nmsIoU
        return InstancePredictor(detector: detector, settings: settings, patch: [1, 6, 6], padValue: -7, labelValues: [1, 2],
                                 tileStepFraction: 0.5)
    }

    func testThresholdsSuppressionAndPaintingOrder() throws {
        let left = Self.mask(["1100", "1100", "1100", "1100"])
        let leftWide = Self.mask(["1110", "1110", "1110", "1110"])   // IoU with left 8/12 > 0.5: suppressed
        let right = Self.mask(["0011", "0011", "0011", "0011"])      // IoU with leftWide 4/12: kept
        var faint = Self.mask(["0000", "0000", "0000", "0001"])
        faint = faint.map { $0 > 0 ? 0.5 : 0 }                       // mask not above 0.5: empty, dropped
        let detector = TableDetector([
            0: Self.output([(0.4, 1, right), (0.9, 1, leftWide), (0.8, 2, left), (0.5, 1, right), (0.95, 1, faint)]),
        ])
        let input = ChannelArray(channels: 1, shape: [2, 4, 4], values: (0..<32).map { Float($0) })
        let result = try predictor(detector).predict(input)
        XCTAssertEqual(detector.shapes, [[1, 6, 6], [1, 6, 6]])
        XCTAssertEqual(detector.firstValues, [-7, -7], "padding value around the slice")
        // Scores strictly above 0.5: 0.95 faint (empty mask: dropped), 0.9 leftWide (kept), 0.8 left
        // (IoU 8/12 with leftWide: suppressed); 0.5 and 0.4 are not above the threshold.
        XCTAssertEqual(result.detections, [SliceDetectionMap.Detection(slice: 0, label: 1, score: Double(Float(0.9)))])
        XCTAssertEqual(Array(result.ids[0..<16]), [1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0])
        XCTAssertEqual(Array(result.ids[16...]), [Int32](repeating: 0, count: 16))
    }

    /// Overlapping masks below the suppression IoU are both kept; the higher score owns the shared pixels.
    func testHigherScorePaintedLast() throws {
        let a = Self.mask(["1110", "1110", "0000", "0000"])
        let b = Self.mask(["0011", "0011", "0000", "0000"])  // shares 2 of 8 pixels with a: IoU 0.25
        let detector = TableDetector([0: Self.output([(0.6, 1, a), (0.7, 2, b)])])
        let result = try predictor(detector).predict(ChannelArray(channels: 1, shape: [1, 4, 4]))
        // Painting order is increasing score: a (0.6) first as id 1, then b (0.7) as id 2 over it.
        XCTAssertEqual(result.detections.map(\.label), [1, 2])
        XCTAssertEqual(Array(result.ids[0..<8]), [1, 1, 2, 2, 1, 1, 2, 2])
        let again = TableDetector([0: Self.output([(0.6, 1, a), (0.7, 2, b)])])
        let all = try predictor(again, nmsIoU: 0.2).predict(ChannelArray(channels: 1, shape: [1, 4, 4]))
        XCTAssertEqual(all.detections.map(\.label), [2], "IoU 0.25 > 0.2: the lower score is suppressed")
    }

    /// A slice longer than the patch is tiled (7 rows, patch 6, step 0.5: windows at rows 0 and 1), not
    /// refused; the shorter axis (4 columns) is padded in each window.
    func testLargerSliceIsTiled() throws {
        let detector = TableDetector([:])
        let input = ChannelArray(channels: 1, shape: [1, 7, 4], values: (0..<28).map { Float($0 + 1) })
        _ = try predictor(detector).predict(input)
        XCTAssertEqual(detector.shapes, [[1, 6, 6], [1, 6, 6]])
        XCTAssertEqual(detector.firstValues, [-7, -7], "padding value beside the slice")
    }

    func testRefusals() {
        let unknownClass = TableDetector([0: Self.output([(0.9, 3, Self.mask(["1000", "0000", "0000", "0000"]))])])
        XCTAssertThrowsError(try predictor(unknownClass).predict(ChannelArray(channels: 1, shape: [1, 4, 4]))) { error in
            XCTAssertTrue("\(error)".contains("class 3"), "\(error)")
        }
        var short = Self.output([(0.9, 1, Self.mask(["1000", "0000", "0000", "0000"]))])
        short.masks.removeLast()
        XCTAssertThrowsError(try predictor(TableDetector([0: short])).predict(ChannelArray(channels: 1, shape: [1, 4, 4]))) { error in
            XCTAssertTrue("\(error)".contains("'masks'"), "\(error)")
        }
    }
}
