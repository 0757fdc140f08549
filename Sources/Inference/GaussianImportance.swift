import Foundation

/// Gaussian importance weights for blending overlapping patches: nnU-Net v2's `compute_gaussian`
/// (nnunetv2/inference/sliding_window_prediction.py). A unit impulse at voxel `p / 2` (integer
/// division) of each axis, smoothed by scipy's `gaussian_filter` with `sigma = p * sigmaScale`
/// (nnU-Net's 1/8) and its default truncation (zero beyond `Int(4 * sigma + 0.5)` voxels), scaled to
/// a maximum of `valueScalingFactor`; weights that are zero take the smallest non-zero weight, so
/// every voxel a window covers contributes. For an even `p` the peak is the voxel `p / 2`, half a
/// voxel past the geometric centre, exactly as in nnU-Net. An axis of length 1 has weight 1.
///
/// nnU-Net's predictor passes `valueScalingFactor` 10 and accumulates in float16, where the factor
/// keeps weight sums away from subnormals; SegStation accumulates in Float32 and divides by the
/// weight sum, in which the factor cancels, so the predictor uses 1. Checked against nnU-Net's own
/// values (both factors) in NNUNetReferenceTests.
public enum GaussianImportance {
    public static func weights(patch: [Int], sigmaScale: Double = 1.0 / 8.0, valueScalingFactor: Double = 1) -> [Float] {
        let perAxis: [[Double]] = patch.map { p in
            let centre = p / 2
            let sigma = Double(p) * sigmaScale
            let radius = Int(4 * sigma + 0.5)
            return (0..<p).map { x in
                let d = Double(x - centre)
                return abs(x - centre) <= radius ? exp(-0.5 / (sigma * sigma) * d * d) : 0
            }
        }
        // The product of the per-axis factors; its maximum, at the centre voxel, is 1.
        var result = [Float](repeating: 1, count: patch.reduce(1, *))
        var index = 0
        func fill(_ axis: Int, _ value: Double) {
            if axis == perAxis.count { result[index] = Float(value * valueScalingFactor); index += 1; return }
            for w in perAxis[axis] { fill(axis + 1, value * w) }
        }
        fill(0, 1)
        if let smallest = result.filter({ $0 > 0 }).min() {
            for i in result.indices where result[i] == 0 { result[i] = smallest }
        }
        return result
    }
}
