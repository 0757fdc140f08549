/// Where the patches of a sliding-window prediction start, per axis.
///
/// For an axis of length `n >= p` (patch `p`) and step fraction `f` (0 < f <= 1), the number of
/// windows is `ceil((n - p) / (f * p)) + 1`; their starts are spread evenly from 0 to `n - p`
/// (rounded; the step is at least one voxel), so consecutive windows overlap by at least `(1 - f) * p` voxels and the last window
/// ends exactly at the edge. This is the rule nnU-Net v2 documents for its predictor.
public enum SlidingWindowPlan {
    /// Window starts along one axis.
    /// - Precondition: `length >= patch >= 1`, `0 < stepFraction <= 1`.
    public static func starts(length: Int, patch: Int, stepFraction: Double) -> [Int] {
        precondition(patch >= 1 && length >= patch, "axis length \(length) must be >= patch \(patch)")
        precondition(stepFraction > 0 && stepFraction <= 1, "step fraction \(stepFraction) must be in (0, 1]")
        let span = length - patch
        if span == 0 { return [0] }
        let targetStep = max(1, stepFraction * Double(patch))   // never two windows at one start
        let count = Int((Double(span) / targetStep).rounded(.up)) + 1
        let actualStep = Double(span) / Double(count - 1)
        return (0..<count).map { Int((actualStep * Double($0)).rounded()) }
    }

    /// Window starts on every axis of a (padded) array shape.
    public static func starts(shape: [Int], patch: [Int], stepFraction: Double) -> [[Int]] {
        precondition(shape.count == patch.count)
        return zip(shape, patch).map { starts(length: $0, patch: $1, stepFraction: stepFraction) }
    }
}

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

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
