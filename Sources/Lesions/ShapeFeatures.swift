import Foundation
import Imaging

/// Shape features of one region with pyradiomics' definitions (docs/MEASUREMENTS.md), computed in
/// patient space: on rotated grids they equal pyradiomics' values (which use spacing only), on
/// sheared grids they are the true patient-space values.
///
/// Edge cases: an empty region has every value 0 and the ratios nil; a single voxel has a mesh
/// (an octahedron) but zero-length axes, so elongation and flatness are nil (0/0 in pyradiomics).
public struct ShapeFeatures: Sendable, Codable, Equatable {
    public var voxelCount: Int
    /// Voxel count times voxel volume (pyradiomics VoxelVolume), mm^3.
    public var voxelVolumeMM3: Double
    public var meshVolumeMM3: Double
    public var surfaceAreaMM2: Double
    /// SurfaceArea / MeshVolume, 1/mm; nil when the mesh volume is 0.
    public var surfaceToVolumeRatio: Double?
    /// (36 pi V^2)^(1/3) / A with the mesh volume and area; nil for an empty region.
    public var sphericity: Double?
    public var maximum3DDiameterMM: Double
    public var maximum2DDiameterSliceMM: Double
    public var maximum2DDiameterColumnMM: Double
    public var maximum2DDiameterRowMM: Double
    public var majorAxisLengthMM: Double
    public var minorAxisLengthMM: Double
    public var leastAxisLengthMM: Double
    public var elongation: Double?
    public var flatness: Double?
    /// Mean patient position of the voxel centres (LPS mm); nil when empty.
    public var centroidLPS: [Double]?

    public init(_ r: BinaryRegion) {
        voxelCount = r.voxelCount
        voxelVolumeMM3 = Double(r.voxelCount) * r.geometry.voxelVolumeMM3
        let mesh = MarchingCubes.volumeAndArea(r)
        meshVolumeMM3 = mesh.volumeMM3
        surfaceAreaMM2 = mesh.areaMM2
        surfaceToVolumeRatio = mesh.volumeMM3 > 0 ? mesh.areaMM2 / mesh.volumeMM3 : nil
        sphericity = mesh.areaMM2 > 0 ? pow(36 * Double.pi * mesh.volumeMM3 * mesh.volumeMM3, 1.0 / 3.0) / mesh.areaMM2 : nil
        let d = Diameters(r)
        maximum3DDiameterMM = d.max3D
        maximum2DDiameterSliceMM = d.slice
        maximum2DDiameterColumnMM = d.column
        maximum2DDiameterRowMM = d.row
        let moments = Self.moments(r)
        centroidLPS = moments.map { [$0.mean.x, $0.mean.y, $0.mean.z] }
        let ev = moments.map { SymmetricEigen.eigenvalues($0.covariance) } ?? [0, 0, 0]
        // pyradiomics clamps tiny negative eigenvalues (rounding) to 0.
        let (least, minor, major) = (max(ev[0], 0), max(ev[1], 0), max(ev[2], 0))
        majorAxisLengthMM = 4 * major.squareRoot()
        minorAxisLengthMM = 4 * minor.squareRoot()
        leastAxisLengthMM = 4 * least.squareRoot()
        elongation = major > 0 ? (minor / major).squareRoot() : nil
        flatness = major > 0 ? (least / major).squareRoot() : nil
    }

    /// Mean and population covariance (divided by N) of the voxel-centre positions, patient mm.
    static func moments(_ r: BinaryRegion) -> (mean: Vector3, covariance: [[Double]])? {
        guard !r.isEmpty else { return nil }
        let l = r.geometry.linearPart
        var sum = Vector3.zero
        var pts: [Vector3] = []
        pts.reserveCapacity(r.voxelCount)
        for k in 0..<r.size.z {
            for j in 0..<r.size.y {
                for i in 0..<r.size.x where r.at(i, j, k) {
                    let p = l * Vector3(Double(i), Double(j), Double(k))
                    pts.append(p); sum += p
                }
            }
        }
        let n = Double(pts.count)
        let mean = sum / n
        var c = [[Double]](repeating: [0, 0, 0], count: 3)
        for p in pts {
            let d = p - mean
            for a in 0..<3 { for b in 0..<3 { c[a][b] += d[a] * d[b] } }
        }
        for a in 0..<3 { for b in 0..<3 { c[a][b] /= n } }
        return (r.patient(.zero) + mean, c)
    }
}
