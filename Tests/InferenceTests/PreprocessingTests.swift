import XCTest
import Imaging
@testable import Inference

final class PreprocessingTests: XCTestCase {
    func testTensorLayoutRoundTrips() {
        let size = SIMD3<Int>(3, 4, 5)
        let values: [Int] = Array(0..<60)
        for axes in [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]] {
            let (t, shape) = TensorLayout.toTensorOrder(values, size: size, axes: axes)
            XCTAssertEqual(shape, axes.map { size[$0] })
            XCTAssertEqual(TensorLayout.fromTensorOrder(t, size: size, axes: axes), values)
        }
        // [0, 1, 2]: tensor[i][j][k]; element (i=1, j=2, k=3) of the volume is 1 + 3*(2 + 4*3).
        let (t, _) = TensorLayout.toTensorOrder(values, size: size, axes: [0, 1, 2])
        let index: Int = (1 * 4 + 2) * 5 + 3, expected: Int = 1 + 3 * (2 + 4 * 3)
        XCTAssertEqual(t[index], expected)
    }

    func testZScoreNonzeroKeepsBackground() throws {
        var v: [Float] = [0, 1, 2, 3, 0]
        try Normalization.zscoreNonzero.apply(to: &v)
        XCTAssertEqual(v[0], 0); XCTAssertEqual(v[4], 0)
        XCTAssertEqual(v[1], -1.2247449, accuracy: 1e-6)   // (1 - 2) / sqrt(2/3)
        XCTAssertEqual(v[3], 1.2247449, accuracy: 1e-6)
        var empty: [Float] = [0, 0]
        try Normalization.zscoreNonzero.apply(to: &empty)
        XCTAssertEqual(empty, [0, 0], "an empty region gives zeros")
        var ct: [Float] = [-2000, 40, 3000]
        try Normalization.ct(lower: -1000, upper: 1000, mean: 0, std: 500).apply(to: &ct)
        XCTAssertEqual(ct, [-2, 0.08, 2])
        // zscore-foreground: the region is every voxel above the minimum, whatever the background value.
        var shifted: [Float] = [-3, 1, 2, 3, -3]
        try Normalization.zscoreAboveMinimum.apply(to: &shifted)
        XCTAssertEqual(shifted[0], 0); XCTAssertEqual(shifted[1], -1.2247449, accuracy: 1e-6)
        XCTAssertEqual(Normalization.zscoreAboveMinimum.foreground([-3, 1, -3]), [false, true, false])
        var scaled: [Float] = [-5, 0, 5, 20]
        try Normalization.clipScale(lower: 0, upper: 10, to0: -1, to1: 1).apply(to: &scaled)
        XCTAssertEqual(scaled, [-1, -1, 0, 1])
    }

    /// Threshold "network" through prepare/restore: the restored mask equals the threshold of the
    /// original voxels exactly when no resampling happens (pure permutation, crop and uncrop).
    func testPrepareRestoreIsExactWithoutResampling() throws {
        let g = VolumeGeometry(size: SIMD3(9, 8, 7), spacingMM: Vector3(1, 1, 2), originLPS: Vector3(3, -4, 5),
                               direction: Matrix3(columns: Vector3(-1, 0, 0), Vector3(0, 0, 1), Vector3(0, 1, 0)))
        var values = [Float](repeating: 0, count: g.voxelCount)
        for idx in stride(from: 17, to: g.voxelCount - 40, by: 3) { values[idx] = Float(idx % 7) - 2 }
        let volume = Volume(geometry: g, voxels: values)
        let plan = PreprocessingPlan(orientation: "RAS", spacingMM: Vector3(1, 2, 1), normalizations: [.none], channelNames: ["x"], tensorAxes: [2, 0, 1])
        let prepared = try Preprocessor.prepare(channels: [volume], plan: plan)
        XCTAssertEqual(prepared.modelGeometry.orientationCode, "RAS")
        let labels = prepared.tensor.values.map { UInt8($0 > 1.5 ? 1 : 0) }
        let restored = try Preprocessor.restore(labels: labels, from: prepared)
        XCTAssertEqual(restored.geometry, g, "output grid must be the input grid exactly")
        XCTAssertEqual(restored.voxels, values.map { $0 > 1.5 ? 1 : 0 })
    }

    func testChannelCountAndGridChecks() throws {
        let g = VolumeGeometry(size: SIMD3(4, 4, 4))
        let a = Volume<Float>(geometry: g, repeating: 1)
        let plan = PreprocessingPlan(orientation: "LPS", spacingMM: Vector3(1, 1, 1), normalizations: [.none, .none], channelNames: ["FLAIR", "T1c"], tensorAxes: [0, 1, 2])
        XCTAssertThrowsError(try Preprocessor.prepare(channels: [a], plan: plan)) { error in
            XCTAssertTrue("\(error)".contains("2 channel(s) (FLAIR, T1c); 1 given"), "\(error)")
        }
        var shifted = g
        shifted.originLPS = Vector3(0.5, 0, 0)
        let b = Volume<Float>(geometry: shifted, repeating: 2)
        let prepared = try Preprocessor.prepare(channels: [a, b], plan: plan)
        XCTAssertTrue(prepared.notes.contains { $0.contains("resampled") })
    }

    func testAnisotropicResamplingKeepsThickSlicesApart() throws {
        // 1 x 1 x 5 mm: the coarse axis is resampled with nearest neighbour, so no value between slices appears.
        let g = VolumeGeometry(size: SIMD3(4, 4, 3), spacingMM: Vector3(1, 1, 5))
        var values = [Float](repeating: 0, count: g.voxelCount)
        for k in 0..<3 { for idx in 0..<16 { values[k * 16 + idx] = Float(k + 1) * 10 } }
        let plan = PreprocessingPlan(orientation: "LPS", spacingMM: Vector3(1, 1, 2.5), normalizations: [.none], channelNames: ["x"], tensorAxes: [2, 1, 0])
        let prepared = try Preprocessor.prepare(channels: [Volume(geometry: g, voxels: values)], plan: plan)
        XCTAssertEqual(prepared.modelGeometry.size, SIMD3(4, 4, 6))
        XCTAssertEqual(Set(prepared.tensor.values), [10, 20, 30])
        XCTAssertTrue(prepared.notes.contains { $0.contains("anisotropic") })
    }
}
