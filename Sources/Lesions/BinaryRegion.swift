import Imaging

/// A binary mask cropped to its bounding box, with the grid it came from. The region is treated
/// as surrounded by background (pyradiomics pads its mask the same way), so masks touching the
/// grid border get closed surfaces.
public struct BinaryRegion: Sendable {
    /// Index of the box's first voxel in the source grid.
    public var originIndex: SIMD3<Int>
    /// Box size in voxels (all zero for an empty region).
    public var size: SIMD3<Int>
    /// Inside flags over the box, i fastest.
    public var inside: [Bool]
    public var geometry: VolumeGeometry
    public var voxelCount: Int

    /// The voxels of `map` for which `predicate` holds.
    @inlinable public init<V>(_ map: Volume<V>, where predicate: (V) -> Bool) {
        let n = map.size
        var lo = n, hi = SIMD3<Int>(-1, -1, -1)
        var count = 0
        for k in 0..<n.z {
            for j in 0..<n.y {
                let base = n.x * (j + n.y * k)
                for i in 0..<n.x where predicate(map.voxels[base + i]) {
                    let p = SIMD3(i, j, k)
                    lo = pointwiseMin(lo, p); hi = pointwiseMax(hi, p)
                    count += 1
                }
            }
        }
        geometry = map.geometry
        voxelCount = count
        guard count > 0 else { originIndex = .zero; size = .zero; inside = []; return }
        originIndex = lo
        size = hi &- lo &+ 1
        inside = [Bool](repeating: false, count: size.x * size.y * size.z)
        for k in 0..<size.z {
            for j in 0..<size.y {
                let src = n.x * ((j + lo.y) + n.y * (k + lo.z)) + lo.x
                let dst = size.x * (j + size.y * k)
                for i in 0..<size.x { inside[dst + i] = predicate(map.voxels[src + i]) }
            }
        }
    }

    /// The voxels of `map` inside the inclusive index box `lo...hi` for which `predicate` holds
    /// (the caller guarantees none outside the box do).
    init<V>(_ map: Volume<V>, lo: SIMD3<Int>, hi: SIMD3<Int>, where predicate: (V) -> Bool) {
        let n = map.size
        geometry = map.geometry
        originIndex = lo
        size = hi &- lo &+ 1
        inside = [Bool](repeating: false, count: size.x * size.y * size.z)
        var count = 0
        for k in 0..<size.z {
            for j in 0..<size.y {
                let src = n.x * ((j + lo.y) + n.y * (k + lo.z)) + lo.x
                let dst = size.x * (j + size.y * k)
                for i in 0..<size.x where predicate(map.voxels[src + i]) { inside[dst + i] = true; count += 1 }
            }
        }
        voxelCount = count
    }

    public var isEmpty: Bool { voxelCount == 0 }

    /// Inside flag at box coordinates; false outside the box.
    @inline(__always) func at(_ i: Int, _ j: Int, _ k: Int) -> Bool {
        if i < 0 || j < 0 || k < 0 || i >= size.x || j >= size.y || k >= size.z { return false }
        return inside[i + size.x * (j + size.y * k)]
    }

    /// Patient position of a continuous box index.
    func patient(_ boxIndex: Vector3) -> Vector3 {
        geometry.indexToPatient(boxIndex + Vector3(originIndex))
    }

    /// True when the box reaches the first or last voxel of the grid along any axis.
    public var touchesBorder: Bool {
        guard !isEmpty else { return false }
        let hi = originIndex &+ size &- 1
        for a in 0..<3 where originIndex[a] == 0 || hi[a] == geometry.size[a] - 1 { return true }
        return false
    }
}
