import Foundation
import Imaging

/// Resampling of gantry-tilted (sheared) stacks onto orthogonal grids (`--tilt resample-orthogonal`).
enum TiltResampling {
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
