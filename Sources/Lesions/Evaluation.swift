import Imaging

/// Agreement between a predicted and a reference binary mask, with MedPy 0.5's definitions
/// (medpy.metric.binary; see docs/MEASUREMENTS.md):
///
/// - Surfaces are MedPy's: the mask minus its erosion by the 6-neighbourhood, with outside the
///   grid as background (a mask touching the border has surface voxels there).
/// - Surface distances: from each surface voxel of one mask to the nearest surface voxel of the
///   other, Euclidean in mm using the voxel spacing (exact on rotated grids).
/// - `hausdorffMM` = max of both directed maxima (medpy `hd`); `hausdorff95MM` = 95th percentile
///   (linear interpolation) of both distance sets pooled (medpy `hd95`); `assdMM` = mean of both
///   distance sets pooled (medpy 0.5 `assd`; older MedPy averaged the two directed means),
///   `asdMM` = prediction->reference mean (medpy `asd`).
/// - `surfaceDice` at tolerance t: (|{a in S_pred: d(a) <= t}| + |{b in S_ref: d(b) <= t}|) /
///   (|S_pred| + |S_ref|) over the same surface voxels (MedPy has no surface Dice; this is the
///   surface-voxel form of Nikolov et al.'s normalised surface Dice).
/// - Distances are nil when either mask is empty (MedPy raises); Dice is 0 for two empty masks
///   (MedPy's `dc`), IoU nil.
public struct SegmentationMetrics: Sendable, Codable, Equatable {
    public var predictionVoxels: Int
    public var referenceVoxels: Int
    public var dice: Double
    public var iou: Double?
    public var predictionVolumeML: Double
    public var referenceVolumeML: Double
    /// (prediction - reference) volume, mm^3.
    public var volumeDifferenceMM3: Double
    /// (prediction - reference) / reference volume (medpy `ravd`); nil for an empty reference.
    public var relativeVolumeDifference: Double?
    public var hausdorffMM: Double?
    public var hausdorff95MM: Double?
    public var asdMM: Double?
    public var assdMM: Double?
    public var surfaceDice: Double?
    public var toleranceMM: Double
    public var detection: LesionDetection
    /// Instance-level agreement, when asked for (`evaluate --instances`).
    public var instances: InstanceMetrics?
}

/// Lesion-wise detection: components of each mask (given connectivity); a reference lesion is a
/// true positive when any predicted voxel overlaps it, a false negative otherwise; a predicted
/// component overlapping no reference voxel is a false positive. F1 = 2TP / (2TP + FP + FN),
/// nil when both masks are empty.
public struct LesionDetection: Sendable, Codable, Equatable {
    public var truePositives: Int
    public var falsePositives: Int
    public var falseNegatives: Int
    public var f1: Double?
}

public enum Evaluation {
    /// - Throws: `LesionsError.mismatchedGrids` when the grids differ;
    ///   `.invalidArgument` for a negative tolerance or a sheared grid (distances need an orthonormal direction).
    public static func compare(prediction: Volume<Bool>, reference: Volume<Bool>, toleranceMM: Double = 1,
                               connectivity: Connectivity = .twentySix) throws -> SegmentationMetrics {
        try requireSameGrid(prediction.geometry, reference.geometry, "prediction vs reference")
        guard toleranceMM >= 0, toleranceMM.isFinite else {
            throw LesionsError.invalidArgument("tolerance \(toleranceMM) mm; expected >= 0")
        }
        let g = reference.geometry
        guard g.isOrthonormal(tolerance: 1e-6) else {
            throw LesionsError.invalidArgument("surface distances need an orthonormal grid; this one is sheared (\(g))")
        }
        let p = prediction.voxels, r = reference.voxels
        var np = 0, nr = 0, both = 0
        for v in 0..<p.count {
            if p[v] { np += 1 }
            if r[v] { nr += 1 }
            if p[v] && r[v] { both += 1 }
        }
        let voxelMM3 = g.voxelVolumeMM3
        let union = np + nr - both
        var m = SegmentationMetrics(
            predictionVoxels: np, referenceVoxels: nr,
            dice: np + nr == 0 ? 0 : 2 * Double(both) / Double(np + nr),
            iou: union == 0 ? nil : Double(both) / Double(union),
            predictionVolumeML: Double(np) * voxelMM3 / 1000, referenceVolumeML: Double(nr) * voxelMM3 / 1000,
            volumeDifferenceMM3: Double(np - nr) * voxelMM3,
            relativeVolumeDifference: nr == 0 ? nil : Double(np - nr) / Double(nr),
            toleranceMM: toleranceMM,
            detection: detection(p, r, g, connectivity))
        guard np > 0, nr > 0 else { return m }
        let sp = surface(p, g.size), sr = surface(r, g.size)
        let dToRef = distances(from: sp, to: sr, g)
        let dToPred = distances(from: sr, to: sp, g)
        m.hausdorffMM = max(dToRef.max() ?? 0, dToPred.max() ?? 0)
        m.hausdorff95MM = IntensityStatistics.percentile((dToRef + dToPred).sorted(), 95)
        let meanToRef = dToRef.reduce(0, +) / Double(dToRef.count)
        m.asdMM = meanToRef
        m.assdMM = (dToRef.reduce(0, +) + dToPred.reduce(0, +)) / Double(dToRef.count + dToPred.count)
        let within = dToRef.filter { $0 <= toleranceMM }.count + dToPred.filter { $0 <= toleranceMM }.count
        m.surfaceDice = Double(within) / Double(dToRef.count + dToPred.count)
        return m
    }

    /// Binary masks of `label` (or of any non-zero label when nil) compared as above.
    public static func compare(prediction: LabelMap, reference: LabelMap, label: UInt8? = nil, toleranceMM: Double = 1,
                               connectivity: Connectivity = .twentySix) throws -> SegmentationMetrics {
        let select: (UInt8) -> Bool = { v in label.map { v == $0 } ?? (v != 0) }
        return try compare(prediction: prediction.map(select), reference: reference.map(select),
                           toleranceMM: toleranceMM, connectivity: connectivity)
    }

    /// Mask voxels with a 6-neighbour outside the mask (or outside the grid).
    static func surface(_ mask: [Bool], _ n: SIMD3<Int>) -> [Bool] {
        var out = [Bool](repeating: false, count: mask.count)
        for k in 0..<n.z {
            for j in 0..<n.y {
                for i in 0..<n.x {
                    let v = i + n.x * (j + n.y * k)
                    guard mask[v] else { continue }
                    let interior = i > 0 && i < n.x - 1 && j > 0 && j < n.y - 1 && k > 0 && k < n.z - 1
                        && mask[v - 1] && mask[v + 1] && mask[v - n.x] && mask[v + n.x]
                        && mask[v - n.x * n.y] && mask[v + n.x * n.y]
                    out[v] = !interior
                }
            }
        }
        return out
    }

    /// Distance (mm) from each voxel of `from` (in memory order) to the nearest voxel of `to`.
    static func distances(from: [Bool], to: [Bool], _ g: VolumeGeometry) -> [Double] {
        let d2 = DistanceTransform.squaredMM(feature: to, size: g.size, spacingMM: g.spacingMM)
        var out: [Double] = []
        for v in 0..<from.count where from[v] { out.append(d2[v].squareRoot()) }
        return out
    }

    static func detection(_ p: [Bool], _ r: [Bool], _ g: VolumeGeometry, _ c: Connectivity) -> LesionDetection {
        let lp = ConnectedComponents.label(Volume(geometry: g, voxels: p.map { $0 ? UInt8(1) : 0 }), connectivity: c)
        let lr = ConnectedComponents.label(Volume(geometry: g, voxels: r.map { $0 ? UInt8(1) : 0 }), connectivity: c)
        var predHit = Set<Int32>(), refHit = Set<Int32>()
        for v in 0..<p.count where p[v] && r[v] {
            predHit.insert(lp.instances.voxels[v]); refHit.insert(lr.instances.voxels[v])
        }
        let tp = refHit.count, fn = lr.components.count - tp, fp = lp.components.count - predHit.count
        let denominator = 2 * tp + fp + fn
        return LesionDetection(truePositives: tp, falsePositives: fp, falseNegatives: fn,
                               f1: denominator == 0 ? nil : 2 * Double(tp) / Double(denominator))
    }
}
