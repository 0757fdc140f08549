import Imaging

/// What the network expects of its input grid and tensor layout.
public struct PreprocessingPlan: Sendable {
    /// Voxel order the network was trained on, e.g. "RAS" (nibabel's canonical) or "LPS".
    public var orientation: String
    /// Voxel size the network was trained on, per axis of `orientation` (mm).
    public var spacingMM: Vector3
    /// Per-channel normalisation, in channel order.
    public var normalizations: [Normalization]
    public var channelNames: [String]
    /// Which volume axis (0 = i, 1 = j, 2 = k of the reoriented volume) each tensor dimension
    /// d0, d1, d2 is. nibabel-trained networks see arrays indexed [i, j, k]: `[0, 1, 2]`.
    /// For 2D models d0 is the slice axis: axial slices of a RAS volume are `[2, 0, 1]`.
    public var tensorAxes: [Int]
    /// Spacing ratio above which the coarsest axis is resampled with nearest neighbour only
    /// (nnU-Net's separate handling of very anisotropic data); 3 as in nnU-Net.
    public var anisotropyThreshold: Double = 3
    /// Crop to the union of the channels' normalisation foregrounds (the rest is label 0).
    public var cropToForeground = true
    /// Value (after normalisation) used to pad axes shorter than the patch.
    public var padValue: Float = 0

    public init(orientation: String, spacingMM: Vector3, normalizations: [Normalization], channelNames: [String], tensorAxes: [Int]) {
        self.orientation = orientation; self.spacingMM = spacingMM; self.normalizations = normalizations
        self.channelNames = channelNames; self.tensorAxes = tensorAxes
    }
}

/// The preprocessed input plus everything needed to map a prediction back onto the original grid.
public struct PreparedInput {
    public var tensor: ChannelArray
    /// The first channel's original grid: the output's grid.
    public var originalGeometry: VolumeGeometry
    /// The grid after reorientation (before resampling).
    public var reorientedGeometry: VolumeGeometry
    /// The grid at the model's spacing, before cropping.
    public var modelGeometry: VolumeGeometry
    /// Crop box in `modelGeometry` voxels: lower corner and size.
    public var cropOrigin: SIMD3<Int>
    public var cropSize: SIMD3<Int>
    public var tensorAxes: [Int]
    /// Notes for the run summary (resampled channels, anisotropy handling).
    public var notes: [String]
}

public enum Preprocessor {
    /// Reorients, resamples, crops to the non-zero region and normalises the channels.
    /// - Throws: `InferenceError.inputs` when the channel count is wrong or a channel is empty.
    public static func prepare(channels: [Volume<Float>], plan: PreprocessingPlan) throws -> PreparedInput {
        guard channels.count == plan.normalizations.count, !channels.isEmpty else {
            throw InferenceError.inputs("the model takes \(plan.normalizations.count) channel(s) (\(plan.channelNames.joined(separator: ", "))); \(channels.count) given")
        }
        var notes: [String] = []
        let reference = channels[0].geometry
        var aligned = [channels[0]]
        for (c, channel) in channels.enumerated().dropFirst() {
            if channel.geometry.isSameGrid(as: reference, toleranceMM: 1e-3) {
                aligned.append(channel)
            } else {
                notes.append("channel \(plan.channelNames[c]) resampled (linear) onto \(plan.channelNames[0])'s grid")
                aligned.append(channel.resampled(onto: reference, interpolation: .linear, outside: 0))
            }
        }
        let reoriented = try aligned.map { try $0.reoriented(to: plan.orientation) }
        let reorientedGeometry = reoriented[0].geometry
        let (resampled, modelGeometry, anisotropyNote) = try resample(reoriented, to: plan)
        if let anisotropyNote { notes.append(anisotropyNote) }
        let (origin, size) = plan.cropToForeground
            ? foregroundBox(resampled, plan.normalizations)
            : (SIMD3(0, 0, 0), resampled[0].size)
        var tensorValues: [Float] = []
        tensorValues.reserveCapacity(channels.count * size.x * size.y * size.z)
        var shape: [Int] = []
        for (c, volume) in resampled.enumerated() {
            var normalized = volume
            try plan.normalizations[c].apply(to: &normalized.voxels)
            let values = crop(normalized, origin: origin, size: size)
            let (t, s) = TensorLayout.toTensorOrder(values, size: size, axes: plan.tensorAxes)
            tensorValues += t
            shape = s
        }
        return PreparedInput(tensor: ChannelArray(channels: channels.count, shape: shape, values: tensorValues),
                             originalGeometry: reference, reorientedGeometry: reorientedGeometry, modelGeometry: modelGeometry,
                             cropOrigin: origin, cropSize: size, tensorAxes: plan.tensorAxes, notes: notes)
    }

    /// Maps a label map in tensor order back onto the original grid: un-transpose, un-crop
    /// (background outside the crop), nearest-neighbour resampling to the reoriented grid, and the
    /// inverse axis permutation. The result's geometry is exactly the input's.
    public static func restore(labels: [UInt8], from prepared: PreparedInput) throws -> LabelMap {
        try restore(labels, from: prepared, interpolation: .nearest, outside: 0)
    }

    /// An instance map (ids, 0 = none) in tensor order back onto the original grid, as `restore(labels:)`
    /// (nearest neighbour): an instance resampled away is absent from the result.
    public static func restore(instances: [Int32], from prepared: PreparedInput) throws -> Volume<Int32> {
        try restore(instances, from: prepared, interpolation: .nearest, outside: 0)
    }

    /// One probability volume in tensor order back onto the original grid, as `restore(labels:)` but
    /// with linear resampling (when the spacing was changed) and `outside` outside the crop (0 for a
    /// label's or region's probability).
    public static func restore(probabilities: [Float], from prepared: PreparedInput, outside: Float = 0) throws -> Volume<Float> {
        try restore(probabilities, from: prepared, interpolation: .linear, outside: outside)
    }

    static func restore<V: VoxelScalar>(_ values: [V], from prepared: PreparedInput, interpolation: Interpolation,
                                        outside: V) throws -> Volume<V> {
        let cropped = TensorLayout.fromTensorOrder(values, size: prepared.cropSize, axes: prepared.tensorAxes)
        var full = Volume<V>(geometry: prepared.modelGeometry, repeating: outside)
        let o = prepared.cropOrigin, s = prepared.cropSize
        for k in 0..<s.z { for j in 0..<s.y {
            let src = (k * s.y + j) * s.x
            let dst = full.linearIndex(o.x, o.y + j, o.z + k)
            for i in 0..<s.x { full.voxels[dst + i] = cropped[src + i] }
        }}
        let onReoriented = full.resampled(onto: prepared.reorientedGeometry, interpolation: interpolation, outside: outside)
        let permutation = try AxisPermutation(from: prepared.reorientedGeometry.direction, to: prepared.originalGeometry.orientationCode)
        var back = onReoriented.permuted(permutation)
        guard back.geometry.isSameGrid(as: prepared.originalGeometry, toleranceMM: 1e-4) else {
            preconditionFailure("restored grid \(back.geometry) differs from the input grid \(prepared.originalGeometry)")
        }
        back.geometry = prepared.originalGeometry
        return back
    }

    static func resample(_ volumes: [Volume<Float>], to plan: PreprocessingPlan) throws -> ([Volume<Float>], VolumeGeometry, String?) {
        let g = volumes[0].geometry
        let target = plan.spacingMM
        let relative = (0..<3).map { abs(g.spacingMM[$0] - target[$0]) / target[$0] }
        if relative.allSatisfy({ $0 < 1e-3 }) { return (volumes, g, nil) }
        let maxSpacing = (0..<3).map { max(g.spacingMM[$0], target[$0]) }
        let minSpacing = (0..<3).map { min(g.spacingMM[$0], target[$0]) }
        let coarse = (0..<3).max { maxSpacing[$0] < maxSpacing[$1] }!
        let inPlane = (0..<3).filter { $0 != coarse }
        let anisotropic = maxSpacing[coarse] / max(minSpacing[inPlane[0]], minSpacing[inPlane[1]]) > plan.anisotropyThreshold
        let finalGeometry = try g.withSpacing(target)
        if !anisotropic {
            return (volumes.map { $0.resampled(onto: finalGeometry, interpolation: .linear, outside: 0) }, finalGeometry, nil)
        }
        // Coarse axis first with nearest neighbour, then the in-plane axes linearly: the second pass
        // samples the coarse axis at whole voxels, so it does not blend across the thick slices.
        var coarseOnly = g.spacingMM
        coarseOnly[coarse] = target[coarse]
        let step1 = try g.withSpacing(coarseOnly)
        let result = volumes.map {
            $0.resampled(onto: step1, interpolation: .nearest, outside: 0).resampled(onto: finalGeometry, interpolation: .linear, outside: 0)
        }
        return (result, finalGeometry, "anisotropic spacing: axis \(coarse) resampled with nearest neighbour, the others linearly")
    }

    /// Bounding box of the union of the channels' foregrounds; the whole grid when it is empty.
    static func foregroundBox(_ volumes: [Volume<Float>], _ normalizations: [Normalization]) -> (SIMD3<Int>, SIMD3<Int>) {
        let n = volumes[0].size
        let masks = zip(volumes, normalizations).map { $1.foreground($0.voxels) }
        var lo = n, hi = SIMD3<Int>(-1, -1, -1)
        for k in 0..<n.z { for j in 0..<n.y { for i in 0..<n.x {
            let idx = i + n.x * (j + n.y * k)
            if masks.contains(where: { $0[idx] }) {
                lo = pointwiseMin(lo, SIMD3(i, j, k)); hi = pointwiseMax(hi, SIMD3(i, j, k))
            }
        }}}
        if hi.x < 0 { return (SIMD3(0, 0, 0), n) }
        return (lo, hi &- lo &+ 1)
    }

    static func crop(_ v: Volume<Float>, origin o: SIMD3<Int>, size s: SIMD3<Int>) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(s.x * s.y * s.z)
        for k in 0..<s.z { for j in 0..<s.y {
            let start = v.linearIndex(o.x, o.y + j, o.z + k)
            out += v.voxels[start..<(start + s.x)]
        }}
        return out
    }
}
