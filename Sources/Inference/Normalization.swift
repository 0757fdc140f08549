import Imaging

/// Per-channel intensity normalisation (kinds of docs/MODEL_PACKAGE.md). Statistics in float64,
/// population standard deviation; a channel whose region is empty or constant becomes all zeros.
public enum Normalization: Codable, Sendable, Equatable {
    /// Values used as they are.
    case none
    /// z-score over all voxels.
    case zscore
    /// z-score over the voxels != 0; 0 outside (nnU-Net's ZScore with `use_mask_for_norm`).
    case zscoreNonzero
    /// z-score over the voxels above the channel's minimum; 0 outside ("zscore-foreground").
    case zscoreAboveMinimum
    /// CT: clip to [lower, upper] (HU) then `(x - mean) / std` with dataset statistics.
    case ct(lower: Double, upper: Double, mean: Double, std: Double)
    /// Clip to [lower, upper] and map that range linearly onto [to0, to1].
    case clipScale(lower: Double, upper: Double, to0: Double, to1: Double)

    /// The voxels this normalisation calls foreground (for cropping), before normalising.
    public func foreground(_ values: [Float]) -> [Bool] {
        switch self {
        case .zscoreAboveMinimum:
            let minimum = values.min() ?? 0
            return values.map { $0 > minimum }
        default:
            return values.map { $0 != 0 }
        }
    }

    /// Normalises `values` in place.
    public func apply(to values: inout [Float]) throws {
        switch self {
        case .none:
            return
        case .zscore:
            zscore(&values) { _ in true }
        case .zscoreNonzero:
            zscore(&values) { $0 != 0 }
        case .zscoreAboveMinimum:
            let minimum = values.min() ?? 0
            zscore(&values) { $0 > minimum }
        case .ct(let lower, let upper, let mean, let std):
            guard std > 0 else { throw InferenceError.modelPackage("ct-clip-zscore std must be positive, found \(std)") }
            for i in values.indices { values[i] = Float((min(max(Double(values[i]), lower), upper) - mean) / std) }
        case .clipScale(let lower, let upper, let to0, let to1):
            let scale = (to1 - to0) / (upper - lower)
            for i in values.indices { values[i] = Float((min(max(Double(values[i]), lower), upper) - lower) * scale + to0) }
        }
    }

    /// z-score over the voxels where `inRegion` holds; every other voxel becomes 0.
    private func zscore(_ values: inout [Float], _ inRegion: (Float) -> Bool) {
        var sum = 0.0, count = 0
        for v in values where inRegion(v) { sum += Double(v); count += 1 }
        let mean = count > 0 ? sum / Double(count) : 0
        var squares = 0.0
        for v in values where inRegion(v) { let d = Double(v) - mean; squares += d * d }
        let std = count > 0 ? (squares / Double(count)).squareRoot() : 0
        guard std > 0 else {
            for i in values.indices { values[i] = 0 }
            return
        }
        for i in values.indices { values[i] = inRegion(values[i]) ? Float((Double(values[i]) - mean) / std) : 0 }
    }
}
