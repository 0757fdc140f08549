import Imaging

/// Largest distances between mesh vertices (pyradiomics' Maximum3DDiameter and
/// Maximum2DDiameterSlice/Column/Row), in patient mm.
///
/// "Slice" pairs vertices with equal k (the acquisition plane, usually axial), "Column" equal j
/// (usually coronal), "Row" equal i (usually sagittal). Vertices strictly inside a grid line of
/// the vertex set never end a longest chord (distance to points on a line is convex), so each set
/// is first reduced to the two extremes of every line lying in the plane considered.
struct Diameters {
    var max3D = 0.0, slice = 0.0, column = 0.0, row = 0.0
    /// Endpoints (patient LPS) of the 3D diameter.
    var endpoints3D: (Vector3, Vector3)?

    init(_ r: BinaryRegion) {
        guard !r.isEmpty else { return }
        let keys = MarchingCubes.vertexKeys(r)
        let reduced3D = Self.reduce(keys, alongAxes: [0, 1, 2])
        let best = Self.farthestPair(reduced3D, r)
        max3D = best.distance
        endpoints3D = best.pair
        slice = Self.planar(keys, fixedAxis: 2, r)
        column = Self.planar(keys, fixedAxis: 1, r)
        row = Self.planar(keys, fixedAxis: 0, r)
    }

    /// Keeps, for each line parallel to each axis in `alongAxes`, only its two extreme points.
    /// Lines are indexed densely over the points' bounding rectangle in the other two axes (the
    /// points are doubled box indices, so that rectangle is at most about 4x a grid slice); the output
    /// is ordered by line. - Complexity: O(points + rectangle area) per axis.
    static func reduce(_ points: [SIMD3<Int>], alongAxes axes: [Int]) -> [SIMD3<Int>] {
        var current = points
        for axis in axes {
            guard let first = current.first else { return current }
            let b = (axis + 1) % 3, c = (axis + 2) % 3
            var lo = first, hi = first
            for p in current { lo = pointwiseMin(lo, p); hi = pointwiseMax(hi, p) }
            let nb = hi[b] - lo[b] + 1, nc = hi[c] - lo[c] + 1
            var lowest = [Int](repeating: .max, count: nb * nc), highest = [Int](repeating: .min, count: nb * nc)
            for p in current {
                let line = (p[b] - lo[b]) + nb * (p[c] - lo[c])
                lowest[line] = min(lowest[line], p[axis])
                highest[line] = max(highest[line], p[axis])
            }
            current = []
            for line in 0..<(nb * nc) where lowest[line] != .max {
                var a = SIMD3<Int>.zero
                a[b] = lo[b] + line % nb; a[c] = lo[c] + line / nb; a[axis] = lowest[line]
                current.append(a)
                if highest[line] != lowest[line] { a[axis] = highest[line]; current.append(a) }
            }
        }
        return current
    }

    /// Largest in-plane diameter over the planes of constant `fixedAxis` coordinate.
    static func planar(_ keys: [SIMD3<Int>], fixedAxis: Int, _ r: BinaryRegion) -> Double {
        let inPlane = (0..<3).filter { $0 != fixedAxis }
        // Reducing along in-plane axes never mixes planes, so reduce once and group afterwards.
        let reduced = reduce(keys, alongAxes: inPlane).sorted { $0[fixedAxis] < $1[fixedAxis] }
        var best = 0.0
        var start = 0
        while start < reduced.count {
            var end = start + 1
            while end < reduced.count && reduced[end][fixedAxis] == reduced[start][fixedAxis] { end += 1 }
            if end - start > 1 { best = max(best, farthestPair(Array(reduced[start..<end]), r).distance) }
            start = end
        }
        return best
    }

    /// Largest pairwise distance (mm) among doubled box indices, with the pair in patient LPS.
    ///
    /// Exact, with pruning: points sorted by distance r from their centroid; a pair can beat the
    /// best distance d found so far only if r_a + r_b > d (triangle inequality), so the inner loop
    /// stops at the first partner failing that test.
    static func farthestPair(_ keys: [SIMD3<Int>], _ r: BinaryRegion) -> (distance: Double, pair: (Vector3, Vector3)?) {
        guard !keys.isEmpty else { return (0, nil) }
        let half = r.geometry.linearPart
        var pts = keys.map { half * (Vector3($0) * 0.5) }
        let centre = pts.reduce(Vector3.zero, +) / Double(pts.count)
        let radius = pts.map { norm($0 - centre) }
        let order = radius.indices.sorted { radius[$0] > radius[$1] }
        pts = order.map { pts[$0] }
        let rs = order.map { radius[$0] }
        var bestSq = 0.0, bestD = 0.0, bi = 0, bj = 0
        pts.withUnsafeBufferPointer { p in
            rs.withUnsafeBufferPointer { rr in
                for a in 0..<p.count {
                    if rr[a] * 2 < bestD * (1 - 1e-12) { break }  // no later pair can beat it either
                    let pa = p[a]
                    for b in (a + 1)..<max(a + 1, p.count) {
                        if rr[a] + rr[b] < bestD * (1 - 1e-12) { break }
                        let d = p[b] - pa
                        let sq = (d * d).sum()
                        if sq > bestSq { bestSq = sq; bestD = sq.squareRoot(); bi = a; bj = b }
                    }
                }
            }
        }
        let origin = r.patient(.zero)
        return (bestSq.squareRoot(), (origin + pts[bi], origin + pts[bj]))
    }
}
