import XCTest
import TestSupport
@testable import Inference

/// A 1x1x1 "convolution": class c score = weight[c] * channel0 + bias[c]. Translation-invariant and
/// pointwise, so any correct blending equals a single whole-volume pass.
struct PointwiseNetwork: PatchNetwork {
    var weight: [Float] = [-1, 0.5, 2]
    var bias: [Float] = [0.3, 0.1, -0.7]
    var calls = Counter()
    final class Counter { var shapes: [[Int]] = [] }

    func predict(_ input: [Float], shape: [Int]) throws -> [Float] {
        calls.shapes.append(shape)
        let batch = shape[0], channels = shape[1]
        let voxels = shape.dropFirst(2).reduce(1, *)
        var out = [Float](repeating: 0, count: batch * weight.count * voxels)
        for b in 0..<batch {
            for c in weight.indices {
                for v in 0..<voxels {
                    out[(b * weight.count + c) * voxels + v] = weight[c] * input[(b * channels) * voxels + v] + bias[c]
                }
            }
        }
        return out
    }
}

final class SlidingWindowTests: XCTestCase {
    func testStepsCoverAndOverlap() {
        XCTAssertEqual(SlidingWindowPlan.starts(length: 10, patch: 10, stepFraction: 0.5), [0])
        XCTAssertEqual(SlidingWindowPlan.starts(length: 11, patch: 10, stepFraction: 0.5), [0, 1])
        XCTAssertEqual(SlidingWindowPlan.starts(length: 100, patch: 40, stepFraction: 0.5), [0, 20, 40, 60])
        XCTAssertEqual(SlidingWindowPlan.starts(length: 1, patch: 1, stepFraction: 0.5), [0])
        for length in 8...70 {
            for patch in [1, 3, 8] where patch <= length {
                for f in [0.25, 0.5, 1.0] {
                    let s = SlidingWindowPlan.starts(length: length, patch: patch, stepFraction: f)
                    XCTAssertEqual(s.first, 0)
                    XCTAssertEqual(s.last, length - patch, "last window must end at the edge")
                    for (a, b) in zip(s, s.dropFirst()) {
                        XCTAssertGreaterThan(b, a)
                        XCTAssertLessThanOrEqual(b - a, Int((f * Double(patch)).rounded(.up)), "step larger than the step fraction allows")
                    }
                }
            }
        }
    }

    func testGaussianShape() {
        let w = GaussianImportance.weights(patch: [1, 5, 8])
        XCTAssertEqual(w.count, 40)
        XCTAssertEqual(w.max(), 1)
        XCTAssertGreaterThan(w.min()!, 0)
        // symmetric about voxel p / 2 of each axis (nnU-Net's centre; for 8 that is voxel 4)
        for y in 0..<5 { for x in 1..<8 { XCTAssertEqual(w[y * 8 + x], w[(4 - y) * 8 + (8 - x)], accuracy: 1e-7) } }
        // sigma = p/8: one sigma from the centre the weight is exp(-1/2)
        let line = GaussianImportance.weights(patch: [1, 1, 17])
        XCTAssertEqual(Double(line[8 + 2]) , exp(-0.5 * pow(2.0 / (17.0 / 8.0), 2)), accuracy: 1e-6)
    }

    /// Seeded from the shape, so every run and machine sees the same input.
    func randomInput(_ shape: [Int], channels: Int = 1) -> ChannelArray {
        var g = SplitMix(seed: UInt64(shape.reduce(channels) { $0 &* 31 &+ $1 }))
        return ChannelArray(channels: channels, shape: shape,
                            values: (0..<(channels * shape.reduce(1, *))).map { _ in Float.random(in: -2...2, using: &g) })
    }

    func assertMatchesWholePass(shape: [Int], patch: [Int], step: Double, mirror: [Int] = [], batch: Int = 1, file: StaticString = #filePath, line: UInt = #line) throws {
        let net = PointwiseNetwork()
        let input = randomInput(shape)
        let predictor = SlidingWindowPredictor(network: net, options: SlidingWindowOptions(patch: patch, classes: 3, stepFraction: step, mirrorAxes: mirror, batchSize: batch))
        let scores = try predictor.predictScores(input)
        let whole = try net.predict(input.values, shape: [1, 1] + shape)
        XCTAssertEqual(scores.values.count, whole.count, file: file, line: line)
        var maxError: Float = 0
        for i in whole.indices { maxError = max(maxError, abs(scores.values[i] - whole[i])) }
        XCTAssertLessThan(maxError, 1e-4, "shape \(shape) patch \(patch)", file: file, line: line)
        let labels = try predictor.predictLabels(input)
        let plane = shape.reduce(1, *)
        for v in 0..<plane {
            let s = (0..<3).map { whole[$0 * plane + v] }
            XCTAssertEqual(Int(labels[v]), s.firstIndex(of: s.max()!)!, file: file, line: line)
        }
    }

    func testSlidingEqualsWholePass3D() throws {
        try assertMatchesWholePass(shape: [23, 38, 11], patch: [8, 16, 8], step: 0.5)
        try assertMatchesWholePass(shape: [9, 9, 9], patch: [9, 4, 9], step: 0.3)          // one axis equal to the patch
        try assertMatchesWholePass(shape: [5, 7, 3], patch: [8, 8, 8], step: 0.5)           // smaller than the patch: padded
        try assertMatchesWholePass(shape: [12, 10, 14], patch: [6, 6, 6], step: 0.5, mirror: [0, 1, 2])
    }

    func testSlidingEqualsWholePass2DBatches() throws {
        try assertMatchesWholePass(shape: [7, 20, 13], patch: [1, 16, 8], step: 0.5, batch: 4)
        let net = PointwiseNetwork()
        let predictor = SlidingWindowPredictor(network: net, options: SlidingWindowOptions(patch: [1, 16, 16], classes: 3, batchSize: 4))
        _ = try predictor.predictLabels(randomInput([6, 16, 16]))
        XCTAssertEqual(net.calls.shapes, [[4, 1, 16, 16], [2, 1, 16, 16]], "2D models get rank-4 batches of slices")
    }

    func testWrongOutputSizeIsAnError() {
        struct Broken: PatchNetwork { func predict(_ input: [Float], shape: [Int]) throws -> [Float] { [0] } }
        let p = SlidingWindowPredictor(network: Broken(), options: SlidingWindowOptions(patch: [2, 2, 2], classes: 2))
        XCTAssertThrowsError(try p.predictLabels(randomInput([3, 3, 3]))) { error in
            guard case InferenceError.networkOutput(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("expected 16"), message)
        }
    }
}
