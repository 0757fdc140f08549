import Imaging

/// Binary morphology of one label with an ellipsoidal structuring element: a ball of `radiusMM`
/// in patient space, which on an anisotropic grid spans more voxels along the finer axes.
///
/// The element holds every voxel offset `o` with `|L o| <= radiusMM` (L = direction * spacing),
/// the centre always included, so a radius smaller than every spacing is the identity.
/// Outside the grid counts as background for dilation and as foreground for erosion (ITK's
/// `BoundaryToForeground`), so eroding a mask that touches the border does not eat it from there.
/// Voxels of other labels are kept unless dilation overwrites them with `label`
/// (`overwriteOtherLabels`) - the default leaves them.
public enum Morphology {
    public enum Operation: String, Sendable, CaseIterable { case erode, dilate, open, close }

    public static func apply(_ op: Operation, to labels: LabelMap, label: UInt8, radiusMM: Double,
                             overwriteOtherLabels: Bool = false) throws -> LabelMap {
        guard label != 0 else { throw LesionsError.invalidArgument("morphology of label 0 (background)") }
        guard radiusMM >= 0, radiusMM.isFinite else {
            throw LesionsError.invalidArgument("radius \(radiusMM) mm; expected >= 0")
        }
        let mask = labels.voxels.map { $0 == label }
        let g = labels.geometry
        let result: [Bool]
        switch op {
        case .dilate: result = dilate(mask, g, radiusMM)
        case .erode: result = erode(mask, g, radiusMM)
        case .open: result = dilate(erode(mask, g, radiusMM), g, radiusMM)
        case .close: result = erode(dilate(mask, g, radiusMM), g, radiusMM)
        }
        var out = labels
        for v in 0..<out.voxels.count {
            if result[v] {
                if out.voxels[v] == 0 || overwriteOtherLabels { out.voxels[v] = label }
            } else if out.voxels[v] == label {
                out.voxels[v] = 0
            }
        }
        return out
    }

    /// Relative slack on the radius so that offsets lying exactly on the ellipsoid are included.
    static let radiusSlack = 1e-9

    static func dilate(_ mask: [Bool], _ g: VolumeGeometry, _ r: Double) -> [Bool] {
        let limit = r * r * (1 + radiusSlack) + 1e-12
        if g.isOrthonormal(tolerance: 1e-6) {
            let d = DistanceTransform.squaredMM(feature: mask, size: g.size, spacingMM: g.spacingMM)
            return d.map { $0 <= limit }
        }
        return stamp(mask, g, limit)
    }

    static func erode(_ mask: [Bool], _ g: VolumeGeometry, _ r: Double) -> [Bool] {
        dilate(mask.map { !$0 }, g, r).map { !$0 }
    }

    /// Offsets of the ellipsoid for a general (sheared) grid.
    static func elementOffsets(_ g: VolumeGeometry, limitSquaredMM limit: Double) -> [SIMD3<Int>] {
        let l = g.linearPart
        // Bound each axis by the radius over the smallest singular-ish scale: |L o| >= |o_a| / |row a of L^-1|.
        guard let inv = l.inverse else { return [.zero] }
        let rows = inv.rows
        let r = limit.squareRoot()
        let reach = (0..<3).map { a in Int((r * norm(Vector3(rows[a][0], rows[a][1], rows[a][2]))).rounded(.down)) }
        var result: [SIMD3<Int>] = []
        for dk in -reach[2]...reach[2] {
            for dj in -reach[1]...reach[1] {
                for di in -reach[0]...reach[0] {
                    let p = l * Vector3(Double(di), Double(dj), Double(dk))
                    if dot(p, p) <= limit { result.append(SIMD3(di, dj, dk)) }
                }
            }
        }
        return result
    }

    /// Dilation by direct stamping of the element (used where the EDT does not apply).
    static func stamp(_ mask: [Bool], _ g: VolumeGeometry, _ limit: Double) -> [Bool] {
        let n = g.size
        let offsets = elementOffsets(g, limitSquaredMM: limit)
        var out = [Bool](repeating: false, count: mask.count)
        for k in 0..<n.z {
            for j in 0..<n.y {
                for i in 0..<n.x where mask[i + n.x * (j + n.y * k)] {
                    for o in offsets {
                        let a = i + o.x, b = j + o.y, c = k + o.z
                        if a >= 0, a < n.x, b >= 0, b < n.y, c >= 0, c < n.z { out[a + n.x * (b + n.y * c)] = true }
                    }
                }
            }
        }
        return out
    }
}
