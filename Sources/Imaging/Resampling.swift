import Dispatch

public enum Interpolation: String, Sendable, Codable, CaseIterable {
    /// The value of the closest voxel: for label maps.
    case nearest
    /// Trilinear interpolation: for images.
    case linear
}

extension VolumeGeometry {
    /// A grid over the same field of view with another voxel size: same direction, the outer
    /// faces of the field of view kept (the first voxel centre moves by half the change in spacing),
    /// `size = max(1, round(size * spacing / newSpacing))` per axis, as nnU-Net computes new shapes.
    public func withSpacing(_ newSpacingMM: Vector3) throws -> VolumeGeometry {
        for a in 0..<3 where !(newSpacingMM[a] > 0 && newSpacingMM[a].isFinite) {
            throw ImagingError.invalidArgument("target spacing along axis \(a) is \(newSpacingMM[a]) mm; expected positive")
        }
        var newSize = SIMD3<Int>(1, 1, 1)
        for a in 0..<3 {
            newSize[a] = max(1, Int((Double(size[a]) * spacingMM[a] / newSpacingMM[a]).rounded()))
        }
        let shiftIndex = (newSpacingMM - spacingMM) / 2 / spacingMM   // in source voxels
        let origin = indexToPatient(shiftIndex)
        return VolumeGeometry(size: newSize, spacingMM: newSpacingMM, originLPS: origin, direction: direction)
    }
}

/// The affine map from target voxel indices to source voxel indices: `source = m * target + offset`.
struct IndexMap {
    var m: Matrix3
    var offset: Vector3

    init(from target: VolumeGeometry, to source: VolumeGeometry) {
        guard let inv = source.linearPart.inverse else { preconditionFailure("singular source grid") }
        m = inv * target.linearPart
        offset = inv * (target.originLPS - source.originLPS)
    }
}

extension Volume where Voxel: VoxelScalar {
    /// This volume sampled at the voxel centres of `target`. Points more than half a voxel outside
    /// this volume take `outside`; points within half a voxel of the edge take the edge value.
    ///
    /// - Complexity: O(target voxels); slices are processed in parallel.
    public func resampled(onto target: VolumeGeometry, interpolation: Interpolation, outside: Voxel) -> Volume<Voxel> {
        if target.isSameGrid(as: geometry, toleranceMM: 1e-6) { return Volume(geometry: target, voxels: voxels) }
        let map = IndexMap(from: target, to: geometry)
        let n = target.size
        var out = [Voxel](repeating: outside, count: target.voxelCount)
        let ss = geometry.size
        let limit = Vector3(ss) - 0.5
        voxels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { dst in
                // Safe to share: the source is only read, iteration k writes only slice k of `out`,
                // and concurrentPerform returns before either buffer's scope ends.
                nonisolated(unsafe) let src = source
                nonisolated(unsafe) let dstBase = dst.baseAddress!
                DispatchQueue.concurrentPerform(iterations: n.z) { k in
                    for j in 0..<n.y {
                        let rowStart = map.m * Vector3(0, Double(j), Double(k)) + map.offset
                        var row = k * n.x * n.y + j * n.x
                        for i in 0..<n.x {
                            let p = rowStart + map.m.c0 * Double(i)
                            defer { row += 1 }
                            if p.x < -0.5 || p.y < -0.5 || p.z < -0.5 || p.x >= limit.x || p.y >= limit.y || p.z >= limit.z { continue }
                            switch interpolation {
                            case .nearest:
                                let ix = min(ss.x - 1, max(0, Int((p.x).rounded())))
                                let iy = min(ss.y - 1, max(0, Int((p.y).rounded())))
                                let iz = min(ss.z - 1, max(0, Int((p.z).rounded())))
                                dstBase[row] = src[ix + ss.x * (iy + ss.y * iz)]
                            case .linear:
                                dstBase[row] = Voxel(clampingDouble: Self.trilinear(src, ss, p))
                            }
                        }
                    }
                }
            }
        }
        return Volume(geometry: target, voxels: out)
    }

    /// Resamples onto the same field of view at another spacing (see `VolumeGeometry.withSpacing`).
    public func resampled(toSpacing spacingMM: Vector3, interpolation: Interpolation, outside: Voxel) throws -> Volume<Voxel> {
        resampled(onto: try geometry.withSpacing(spacingMM), interpolation: interpolation, outside: outside)
    }

    @inline(__always)
    static func trilinear(_ src: UnsafeBufferPointer<Voxel>, _ s: SIMD3<Int>, _ p: Vector3) -> Double {
        let c = Vector3(min(max(p.x, 0), Double(s.x - 1)), min(max(p.y, 0), Double(s.y - 1)), min(max(p.z, 0), Double(s.z - 1)))
        let x0 = min(Int(c.x), max(s.x - 2, 0)), y0 = min(Int(c.y), max(s.y - 2, 0)), z0 = min(Int(c.z), max(s.z - 2, 0))
        let x1 = min(x0 + 1, s.x - 1), y1 = min(y0 + 1, s.y - 1), z1 = min(z0 + 1, s.z - 1)
        let fx = c.x - Double(x0), fy = c.y - Double(y0), fz = c.z - Double(z0)
        @inline(__always) func v(_ x: Int, _ y: Int, _ z: Int) -> Double { src[x + s.x * (y + s.y * z)].doubleValue }
        let c00 = v(x0, y0, z0) * (1 - fx) + v(x1, y0, z0) * fx
        let c10 = v(x0, y1, z0) * (1 - fx) + v(x1, y1, z0) * fx
        let c01 = v(x0, y0, z1) * (1 - fx) + v(x1, y0, z1) * fx
        let c11 = v(x0, y1, z1) * (1 - fx) + v(x1, y1, z1) * fx
        let c0 = c00 * (1 - fy) + c10 * fy
        let c1 = c01 * (1 - fy) + c11 * fy
        return c0 * (1 - fz) + c1 * fz
    }
}
