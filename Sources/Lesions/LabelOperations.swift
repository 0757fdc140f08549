import Imaging

/// Label-map clean-up. Every operation returns a new map and leaves its input untouched.
public enum LabelOperations {
    /// Semantic label map -> instance map: one id per connected component of each label
    /// (numbered 1...n in memory order of their first voxel). An empty map gives an all-zero map.
    public static func instances(_ labels: LabelMap, connectivity: Connectivity) -> ComponentLabeling {
        ConnectedComponents.label(labels, connectivity: connectivity)
    }

    /// Sets to 0 every component (per label) whose volume is below `minVolumeMM3`.
    /// A component of exactly `minVolumeMM3` is kept.
    /// - Throws: `LesionsError.invalidArgument` for a negative or non-finite volume.
    public static func removingComponents(_ labels: LabelMap, smallerThanMM3 minVolumeMM3: Double,
                                          connectivity: Connectivity) throws -> LabelMap {
        guard minVolumeMM3 >= 0, minVolumeMM3.isFinite else {
            throw LesionsError.invalidArgument("minimum volume \(minVolumeMM3) mm^3; expected >= 0")
        }
        let voxelMM3 = labels.geometry.voxelVolumeMM3
        // Compare voxel counts, avoiding rounding at the threshold: keep when count * v >= min.
        return keeping(labels, connectivity: connectivity) { c, _ in
            Double(c.voxelCount) * voxelMM3 >= minVolumeMM3 * (1 - 1e-12)
        }
    }

    /// Keeps the `count` largest components of each label (ties broken by memory order of the
    /// first voxel: the earlier component wins). `count == 0` clears the map.
    public static func keepingLargest(_ labels: LabelMap, count: Int = 1, perLabel: Bool = true,
                                      connectivity: Connectivity) throws -> LabelMap {
        guard count >= 0 else { throw LesionsError.invalidArgument("top-k count \(count); expected >= 0") }
        return keeping(labels, connectivity: connectivity) { c, all in
            let rivals = all.filter { !perLabel || $0.label == c.label }
            let rank = rivals.filter { $0.voxelCount > c.voxelCount || ($0.voxelCount == c.voxelCount && $0.id < c.id) }.count
            return rank < count
        }
    }

    /// Keeps the voxels of components for which `keep` is true; all others become 0.
    public static func keeping(_ labels: LabelMap, connectivity: Connectivity,
                               where keep: (Component, [Component]) -> Bool) -> LabelMap {
        let cc = ConnectedComponents.label(labels, connectivity: connectivity)
        // Precompute ranks once: the closure may be O(n) per component.
        var kept = [Bool](repeating: false, count: cc.components.count + 1)
        for c in cc.components { kept[Int(c.id)] = keep(c, cc.components) }
        var out = labels
        for v in 0..<out.voxels.count where !kept[Int(cc.instances.voxels[v])] { out.voxels[v] = 0 }
        return out
    }

    /// Fills the holes of `label`: voxels with value 0 in regions of the complement of `label` that
    /// do not reach the grid border become `label` (scipy's `binary_fill_holes` on a binary mask,
    /// complement 6-connected in 3D, 4-connected per slice). Voxels of other labels are kept;
    /// a hole bounded partly by another label is not a hole of `label` unless fully enclosed.
    /// - Parameter perSlice: fill each k-slice in 2D (border = the slice's edges).
    public static func fillingHoles(_ labels: LabelMap, label: UInt8, perSlice: Bool = false) -> LabelMap {
        precondition(label != 0, "label 0 is background")
        let n = labels.size
        let complement = labels.map { $0 == label ? UInt8(0) : UInt8(1) }
        let cc = ConnectedComponents.label(complement, connectivity: .six, withinSlices: perSlice)
        var touches = [Bool](repeating: false, count: cc.components.count + 1)
        for k in 0..<n.z {
            for j in 0..<n.y {
                for i in 0..<n.x {
                    let onBorder = i == 0 || j == 0 || i == n.x - 1 || j == n.y - 1
                        || (!perSlice && (k == 0 || k == n.z - 1))
                    if onBorder { touches[Int(cc.instances[i, j, k])] = true }
                }
            }
        }
        var out = labels
        for v in 0..<out.voxels.count {
            let id = Int(cc.instances.voxels[v])
            if id != 0 && !touches[id] && out.voxels[v] == 0 { out.voxels[v] = label }
        }
        return out
    }
}
