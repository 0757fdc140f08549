import Imaging

/// One connected component of a labelling.
public struct Component: Sendable, Equatable, Codable {
    /// Instance id in `ComponentLabeling.instances` (1-based).
    public var id: Int32
    /// The label value its voxels carry in the input map.
    public var label: Int
    public var voxelCount: Int
}

/// The result of connected-component labelling: an instance map and one entry per component.
public struct ComponentLabeling: Sendable {
    /// 0 for background; components numbered 1...n in memory order (i fastest) of their first voxel.
    public var instances: Volume<Int32>
    /// `components[id - 1]` describes instance `id`.
    public var components: [Component]
}

/// Connected components in 3D by a two-pass union-find over runs of equal voxels along i.
///
/// Voxels with value 0 are background. Neighbouring voxels join only when they carry the same
/// value, so a multi-label map is split per label in one pass (as cc3d does). Edge cases: an
/// all-zero map gives no components; the grid border is not a neighbour (nothing wraps).
public enum ConnectedComponents {
    /// - Parameter withinSlices: join voxels only inside each k-slice (2D labelling of every slice;
    ///   6 gives 4-connectivity in the slice, 18 and 26 give 8-connectivity).
    public static func label(_ map: LabelMap, connectivity: Connectivity, withinSlices: Bool = false) -> ComponentLabeling {
        labelAny(map, connectivity: connectivity, withinSlices: withinSlices)
    }

    /// Components of an instance or integer map (same rules; e.g. to split instances further).
    public static func label(_ map: Volume<Int32>, connectivity: Connectivity, withinSlices: Bool = false) -> ComponentLabeling {
        labelAny(map, connectivity: connectivity, withinSlices: withinSlices)
    }

    // Generic core, specialised inside this module for the public entry points above.
    static func labelAny<Voxel: FixedWidthInteger & Sendable>(
        _ map: Volume<Voxel>, connectivity: Connectivity, withinSlices: Bool
    ) -> ComponentLabeling {
        let n = map.size
        let rowCount = n.y * n.z
        var runs = RunTable<Voxel>(capacity: max(16, map.voxels.count / 64), rowCount: rowCount)
        map.voxels.withUnsafeBufferPointer { v in
            for row in 0..<rowCount { runs.scanRow(v, row: row, width: n.x) }
        }
        runs.finish()
        // Rows preceding a row, as (dj, dk) with the i-extension the connectivity allows.
        var neighbourRows: [(dj: Int, dk: Int, reach: Int32)] = []
        for o in connectivity.backwardOffsets where !(o.y == 0 && o.z == 0) && !(withinSlices && o.z != 0) {
            if let idx = neighbourRows.firstIndex(where: { $0.dj == o.y && $0.dk == o.z }) {
                neighbourRows[idx].reach = max(neighbourRows[idx].reach, Int32(abs(o.x)))
            } else {
                neighbourRows.append((o.y, o.z, Int32(abs(o.x))))
            }
        }
        var forest = UnionFind(count: runs.count)
        for k in 0..<n.z {
            for j in 0..<n.y {
                let row = j + n.y * k
                if runs.isEmpty(row: row) { continue }
                for nr in neighbourRows {
                    let jj = j + nr.dj, kk = k + nr.dk
                    guard jj >= 0, jj < n.y, kk >= 0 else { continue }
                    runs.unionOverlapping(row: row, with: jj + n.y * kk, reach: nr.reach, forest: &forest)
                }
            }
        }
        return runs.paint(size: n, geometry: map.geometry, forest: &forest)
    }
}

/// Disjoint sets over run indices; the root of a set is its smallest index.
struct UnionFind {
    var parent: [Int32]
    init(count: Int) { parent = (0..<Int32(count)).map { $0 } }

    @inline(__always) mutating func find(_ x: Int32) -> Int32 {
        var x = x
        parent.withUnsafeMutableBufferPointer { p in
            while p[Int(x)] != x {
                let g = p[Int(p[Int(x)])]
                p[Int(x)] = g
                x = g
            }
        }
        return x
    }

    @inline(__always) mutating func union(_ a: Int32, _ b: Int32) {
        let ra = find(a), rb = find(b)
        if ra == rb { return }
        if ra < rb { parent[Int(rb)] = ra } else { parent[Int(ra)] = rb }
    }
}

/// Runs of equal non-zero voxels along i, grouped by row (j + ny * k).
struct RunTable<Voxel: FixedWidthInteger> {
    var begin: [Int32] = []
    var end: [Int32] = []   // exclusive
    var value: [Voxel] = []
    var rowStart: [Int]

    init(capacity: Int, rowCount: Int) {
        begin.reserveCapacity(capacity); end.reserveCapacity(capacity); value.reserveCapacity(capacity)
        rowStart = [Int](repeating: 0, count: rowCount + 1)
    }

    var count: Int { begin.count }
    func isEmpty(row: Int) -> Bool { rowStart[row] == rowStart[row + 1] }

    mutating func scanRow(_ v: UnsafeBufferPointer<Voxel>, row: Int, width: Int) {
        rowStart[row] = begin.count
        let base = row * width
        let perWord = 8 / MemoryLayout<Voxel>.stride
        let raw = UnsafeRawPointer(v.baseAddress!)
        var i = 0
        while i < width {
            // Skip background 8 bytes at a time (most of a scan is background).
            if perWord > 0 {
                while i + perWord <= width && raw.loadUnaligned(fromByteOffset: (base + i) * MemoryLayout<Voxel>.stride, as: UInt64.self) == 0 {
                    i += perWord
                }
                if i >= width { break }
            }
            let x = v[base + i]
            if x == 0 { i += 1; continue }
            let s = i
            i += 1
            while i < width && v[base + i] == x { i += 1 }
            begin.append(Int32(s)); end.append(Int32(i)); value.append(x)
        }
    }

    mutating func finish() { rowStart[rowStart.count - 1] = begin.count }

    /// Joins every run of `row` with the same-valued runs of `other` whose i-ranges, widened by
    /// `reach`, overlap it.
    func unionOverlapping(row: Int, with other: Int, reach: Int32, forest: inout UnionFind) {
        var first = rowStart[other]
        let bEnd = rowStart[other + 1]
        for a in rowStart[row]..<rowStart[row + 1] {
            // Runs of `other` entirely left of the widened run `a` cannot touch later runs either.
            while first < bEnd && end[first] + reach <= begin[a] { first += 1 }
            var b = first
            while b < bEnd && begin[b] < end[a] + reach {
                if value[a] == value[b] { forest.union(Int32(a), Int32(b)) }
                b += 1
            }
        }
    }

    /// Numbers the sets in run order (= memory order of first voxels) and writes the instance map.
    func paint(size n: SIMD3<Int>, geometry: VolumeGeometry, forest: inout UnionFind) -> ComponentLabeling {
        var finalID = [Int32](repeating: 0, count: count)
        var components: [Component] = []
        for r in 0..<count {
            let root = Int(forest.find(Int32(r)))
            if root == r {
                components.append(Component(id: Int32(components.count + 1), label: Int(value[r]), voxelCount: 0))
                finalID[r] = Int32(components.count)
            } else {
                finalID[r] = finalID[root]
            }
        }
        // Every voxel is written exactly once (background runs as 0), so no separate zero fill.
        let out = [Int32](unsafeUninitializedCapacity: n.x * n.y * n.z) { o, initialized in
            for row in 0..<(n.y * n.z) {
                let base = row * n.x
                var next = 0
                for r in rowStart[row]..<rowStart[row + 1] {
                    let id = finalID[r]
                    let s = Int(begin[r]), e = Int(end[r])
                    (o.baseAddress! + base + next).initialize(repeating: 0, count: s - next)
                    (o.baseAddress! + base + s).initialize(repeating: id, count: e - s)
                    components[Int(id) - 1].voxelCount += e - s
                    next = e
                }
                (o.baseAddress! + base + next).initialize(repeating: 0, count: n.x - next)
            }
            initialized = n.x * n.y * n.z
        }
        return ComponentLabeling(instances: Volume(geometry: geometry, voxels: out), components: components)
    }
}
