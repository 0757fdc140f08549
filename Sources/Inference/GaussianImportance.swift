import Foundation

/// Gaussian importance weights for blending overlapping patches: a separable Gaussian centred on the
/// patch centre `(p - 1) / 2` with `sigma = p / 8` per axis (nnU-Net's `sigma_scale = 1/8`), scaled to
/// a maximum of 1. An axis of length 1 (2D models' slice axis) has weight 1. Weights never reach 0:
/// values below the smallest weight of a patch face are impossible because the Gaussian is positive
/// everywhere, so every voxel a window covers contributes.
public enum GaussianImportance {
    public static func weights(patch: [Int], sigmaScale: Double = 1.0 / 8.0) -> [Float] {
        let perAxis: [[Double]] = patch.map { p in
            guard p > 1 else { return [1] }
            let centre = Double(p - 1) / 2
            let sigma = Double(p) * sigmaScale
            return (0..<p).map { x in
                let d = (Double(x) - centre) / sigma
                return exp(-0.5 * d * d)
            }
        }
        var result = [Float](repeating: 1, count: patch.reduce(1, *))
        var index = 0
        func fill(_ axis: Int, _ value: Double) {
            if axis == perAxis.count { result[index] = Float(value); index += 1; return }
            for w in perAxis[axis] { fill(axis + 1, value * w) }
        }
        fill(0, 1)
        let maxWeight = result.max() ?? 1
        return result.map { $0 / maxWeight }
    }
}
