import Foundation
import Imaging

/// Resampling of loaded stacks: uneven slice steps onto even ones, and sheared (tilted) grids
/// onto orthogonal ones.
enum EvenSpacing {
    /// Linear interpolation along k between the two source slices around each even position.
    /// The new step is the source span divided by round(span / median step): first and last
    /// slices stay where they were.
    static func resample(_ volume: Volume<Float>, distancesMM d: [Double]) -> Volume<Float> {
        let span = d.last! - d.first!
        let count = evenSliceCount(distancesMM: d)
        let spacing = span / Double(count - 1)
        let plane = volume.size.x * volume.size.y
        var out = [Float](repeating: 0, count: plane * count)
        var lower = 0
        volume.voxels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for k in 0..<count {
                    let t = d.first! + Double(k) * spacing
                    while lower + 1 < d.count - 1 && d[lower + 1] <= t { lower += 1 }
                    let upper = min(lower + 1, d.count - 1)
                    let w = upper == lower ? 0 : Float(min(1, max(0, (t - d[lower]) / (d[upper] - d[lower]))))
                    let a = lower * plane, b = upper * plane, o = k * plane
                    for n in 0..<plane { dst[o + n] = src[a + n] * (1 - w) + src[b + n] * w }
                }
            }
        }
        var g = volume.geometry
        g.size.z = count
        g.spacingMM.z = spacing
        return Volume(geometry: g, voxels: out)
    }

    /// Slices of the even grid: round(span / median step) + 1, at least 2.
    static func evenSliceCount(distancesMM d: [Double]) -> Int {
        let steps = zip(d.dropFirst(), d).map { $0 - $1 }.sorted()
        let median = steps[steps.count / 2]
        let ratio = (d.last! - d.first!) / median
        guard ratio.isFinite, ratio < 1e9 else { return Int.max / 2 }
        return max(2, Int(ratio.rounded()) + 1)
    }

    /// For each even slice, the source slice at the same position (within 1% of a step), else nil.
    static func sources(_ slices: [DICOMSlice], distancesMM d: [Double], spacingMM: Double, count: Int) -> [DICOMSlice?] {
        (0..<count).map { k in
            let t = d.first! + Double(k) * spacingMM
            guard let i = d.indices.min(by: { abs(d[$0] - t) < abs(d[$1] - t) }), abs(d[i] - t) < 0.01 * spacingMM else { return nil }
            return slices[i]
        }
    }

    /// The sheared grid resampled onto (row, column, normal) axes with the same in-plane spacing and
    /// the slice step projected on the normal, enlarged in-plane to cover every slice.
    static func orthogonalised(_ volume: Volume<Float>) -> Volume<Float> {
        let g = volume.geometry
        let row = g.direction.c0, column = g.direction.c1
        var normal = cross(row, column)
        if dot(normal, g.direction.c2) < 0 { normal = -normal }
        let step = g.direction.c2 * g.spacingMM.z
        let last = step * Double(g.size.z - 1)
        let shiftI = dot(last, row) / g.spacingMM.x, shiftJ = dot(last, column) / g.spacingMM.y
        let i0 = min(0, shiftI.rounded(.down)), j0 = min(0, shiftJ.rounded(.down))
        let i1 = max(0, shiftI.rounded(.up)), j1 = max(0, shiftJ.rounded(.up))
        let size = SIMD3(g.size.x + Int(i1 - i0), g.size.y + Int(j1 - j0), g.size.z)
        let origin = g.originLPS + row * (i0 * g.spacingMM.x) + column * (j0 * g.spacingMM.y)
        let target = VolumeGeometry(size: size, spacingMM: Vector3(g.spacingMM.x, g.spacingMM.y, dot(step, normal)),
                                    originLPS: origin, direction: Matrix3(columns: row, column, normal))
        let minimum = volume.voxels.min() ?? 0
        return volume.resampled(onto: target, interpolation: .linear, outside: minimum)
    }
}
