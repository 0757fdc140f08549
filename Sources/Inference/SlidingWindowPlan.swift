/// Where the patches of a sliding-window prediction start, per axis: nnU-Net v2's
/// `compute_steps_for_sliding_window` (nnunetv2/inference/sliding_window_prediction.py).
///
/// For an axis of length `n >= p` (patch `p`) and step fraction `f` (0 < f <= 1), the number of
/// windows is `ceil((n - p) / (f * p)) + 1`; their starts are `round(i * (n - p) / (count - 1))`
/// with numpy's rounding (halves to even), so consecutive windows overlap by at least
/// `(1 - f) * p` voxels and the last window ends exactly at the edge. The step is at least one
/// voxel: where `f * p < 1` (only a 2D model's slice axis, p = 1) nnU-Net would repeat starts, and
/// instead predicts every slice once, as its 2D loop does; that is also what this gives.
/// Checked against nnU-Net's own values in NNUNetReferenceTests.
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
        return (0..<count).map { Int((actualStep * Double($0)).rounded(.toNearestOrEven)) }
    }

    /// Window starts on every axis of a (padded) array shape.
    public static func starts(shape: [Int], patch: [Int], stepFraction: Double) -> [[Int]] {
        precondition(shape.count == patch.count)
        return zip(shape, patch).map { starts(length: $0, patch: $1, stepFraction: stepFraction) }
    }
}
