import Foundation
import XCTest
@testable import Inference

/// The Gaussian importance map and the window starts equal nnU-Net v2's own `compute_gaussian` and
/// `compute_steps_for_sliding_window`: Expected/nnunet_sliding_window.json was recorded once with
/// nnU-Net's code from PyPI by Scripts/reference/nnunet_sliding_window.py (versions inside).
final class NNUNetReferenceTests: XCTestCase {
    struct Reference: Decodable {
        struct Gaussian: Decodable {
            var tile: [Int]
            var valueScalingFactor: Double
            var min: Float
            var max: Float
            var sum: Double
            var values: [Float]?
            var samples: [[Double]]?
        }
        struct Steps1D: Decodable { var rows: [Row] }
        struct Row: Decodable {
            var size: Int, tile: Int, stepSize: Double, steps: [Int]
            init(from decoder: Decoder) throws {
                var c = try decoder.unkeyedContainer()
                (size, tile, stepSize, steps) = (try c.decode(Int.self), try c.decode(Int.self), try c.decode(Double.self), try c.decode([Int].self))
            }
        }
        struct StepsND: Decodable { var image: [Int]; var tile: [Int]; var step: Double; var steps: [[Int]] }
        var nnunetv2: String
        var gaussians: [Gaussian]
        var steps1D: Steps1D
        var stepsND: [StepsND]
    }

    static let reference: Reference? = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Expected/nnunet_sliding_window.json")
        return try? JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()

    func load() throws -> Reference {
        try XCTUnwrap(Self.reference, "Tests/InferenceTests/Expected/nnunet_sliding_window.json is missing or unreadable")
    }

    /// Float32 values agree to a relative 1e-6 (nnU-Net computes in float64 through scipy's
    /// normalised kernel, then casts; the order of operations differs, not the formula).
    func assertClose(_ a: Float, _ b: Float, _ message: @autoclosure () -> String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a, b, accuracy: max(abs(b) * 1e-6, Float.leastNormalMagnitude), message(), file: file, line: line)
    }

    func testGaussianEqualsComputeGaussian() throws {
        let reference = try load()
        XCTAssertEqual(reference.gaussians.count, 34)
        for expected in reference.gaussians {
            let name = "tile \(expected.tile) x\(expected.valueScalingFactor)"
            let ours = GaussianImportance.weights(patch: expected.tile, valueScalingFactor: expected.valueScalingFactor)
            XCTAssertEqual(ours.count, expected.tile.reduce(1, *), name)
            assertClose(ours.min()!, expected.min, "\(name): minimum")
            assertClose(ours.max()!, expected.max, "\(name): maximum")
            XCTAssertEqual(ours.reduce(0.0) { $0 + Double($1) }, expected.sum, accuracy: expected.sum * 1e-6, "\(name): sum")
            if let values = expected.values {
                XCTAssertEqual(values.count, ours.count, name)
                for (i, v) in values.enumerated() { assertClose(ours[i], v, "\(name): value \(i)") }
            }
            for sample in expected.samples ?? [] {
                let i = Int(sample[0])
                assertClose(ours[i], Float(sample[1]), "\(name): value \(i)")
            }
        }
    }

    /// The peak of an even axis is voxel p/2 (nnU-Net), not the geometric centre (p-1)/2.
    func testEvenPatchPeaksAtHalfP() throws {
        let line = GaussianImportance.weights(patch: [1, 1, 8])
        XCTAssertEqual(line.firstIndex(of: line.max()!), 4)
        XCTAssertEqual(line[3], line[5])
        XCTAssertLessThan(line[0], line[7], "voxel 0 lies 4 voxels from the peak, voxel 7 only 3")
    }

    func testStepsEqualComputeStepsForSlidingWindow() throws {
        let reference = try load()
        XCTAssertGreaterThan(reference.steps1D.rows.count, 500)
        for row in reference.steps1D.rows {
            XCTAssertEqual(SlidingWindowPlan.starts(length: row.size, patch: row.tile, stepFraction: row.stepSize), row.steps,
                           "size \(row.size) tile \(row.tile) step \(row.stepSize)")
        }
        for c in reference.stepsND {
            let ours = zip(c.image, c.tile).map { SlidingWindowPlan.starts(length: $0, patch: $1, stepFraction: c.step) }
            XCTAssertEqual(ours, c.steps, "image \(c.image) tile \(c.tile) step \(c.step)")
        }
    }

    /// Where nnU-Net's formula would repeat starts (step * tile < 1: a 2D model's slice axis, tile 1),
    /// every slice is predicted once, as nnU-Net's 2D loop over slices does.
    func testOneVoxelTileVisitsEverySliceOnce() {
        for n in 1...20 {
            XCTAssertEqual(SlidingWindowPlan.starts(length: n, patch: 1, stepFraction: 0.5), Array(0..<n))
        }
    }
}
