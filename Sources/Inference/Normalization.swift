import Imaging

/// Per-channel intensity normalisation, as nnU-Net names its schemes.
public enum Normalization: Codable, Sendable, Equatable {
    /// Values used as they are.
    case none
    /// MR: z-score over the non-zero voxels (the brain in skull-stripped data); zero voxels stay 0.
    case zscoreNonzero
    /// z-score over all voxels.
    case zscore
    /// CT: clip to [lower, upper] (HU) then `(x - mean) / std` with dataset statistics.
    case ct(lower: Double, upper: Double, mean: Double, std: Double)

    /// Normalises `values` in place.
    /// - Throws: `InferenceError.inputs` when a channel is constant where a z-score needs spread.
    public func apply(to values: inout [Float], channelName: String) throws {
        switch self {
        case .none:
            return
        case .zscoreNonzero, .zscore:
            let useMask = self == .zscoreNonzero
            var sum = 0.0, sumSquares = 0.0, count = 0
            for v in values where !useMask || v != 0 {
                let d = Double(v)
                sum += d; sumSquares += d * d; count += 1
            }
            guard count > 0 else {
                throw InferenceError.inputs("channel '\(channelName)' has no non-zero voxels to normalise")
            }
            let mean = sum / Double(count)
            let variance = max(0, sumSquares / Double(count) - mean * mean)
            let std = max(variance.squareRoot(), 1e-8)
            let (m, s) = (Float(mean), Float(std))
            for i in values.indices where !useMask || values[i] != 0 { values[i] = (values[i] - m) / s }
        case .ct(let lower, let upper, let mean, let std):
            guard std > 0 else { throw InferenceError.modelPackage("CT normalisation std must be positive, found \(std)") }
            let (lo, hi, m, s) = (Float(lower), Float(upper), Float(mean), Float(std))
            for i in values.indices { values[i] = (min(max(values[i], lo), hi) - m) / s }
        }
    }
}
