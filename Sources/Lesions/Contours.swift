import Imaging

/// One closed boundary polygon of a region in one k-slice, in patient coordinates.
public struct SliceContour: Sendable, Codable, Equatable {
    /// The slice (k index of the grid).
    public var sliceIndex: Int
    /// Vertices in order, patient LPS mm; the polygon closes from the last vertex to the first.
    /// Vertices lie on the midpoints between inside and outside voxel centres (iso-level 0.5).
    public var pointsLPS: [[Double]]
    /// True for the boundary of a hole (inside lies outside this polygon).
    public var isHole: Bool
    /// Enclosed area in mm^2 (positive for outer boundaries and holes alike).
    public var areaMM2: Double
}

/// Per-slice contours by marching squares with midpoint vertices. Inside voxels that touch at a
/// corner are joined (8-connected foreground, 4-connected background, the complement of the
/// hole-filling convention). Outer boundaries run counter-clockwise in (i, j) index space, holes
/// clockwise. Regions touching the grid border are closed along the border (outside = background).
public enum Contours {
    public static func slices(_ r: BinaryRegion) -> [SliceContour] {
        guard !r.isEmpty else { return [] }
        var out: [SliceContour] = []
        for k in 0..<r.size.z {
            for loop in loops(r, k) {
                var twiceArea = 0
                for a in 0..<loop.count {
                    let p = loop[a], q = loop[(a + 1) % loop.count]
                    twiceArea += p.x * q.y - q.x * p.y
                }
                let pts = loop.map { r.patient(Vector3(Double($0.x) / 2, Double($0.y) / 2, Double(k))) }
                // Area in patient space: index-space area (in doubled units, / 8) times the in-plane cell area.
                let g = r.geometry
                let cell = norm(cross(g.direction.c0 * g.spacingMM.x, g.direction.c1 * g.spacingMM.y))
                out.append(SliceContour(sliceIndex: k + r.originIndex.z, pointsLPS: pts.map { [$0.x, $0.y, $0.z] },
                                        isHole: twiceArea < 0, areaMM2: Double(abs(twiceArea)) / 8 * cell))
            }
        }
        return out
    }

    /// Closed loops of slice `k` (box coordinates) as doubled (i, j) indices.
    static func loops(_ r: BinaryRegion, _ k: Int) -> [[SIMD2<Int>]] {
        var next: [SIMD2<Int>: SIMD2<Int>] = [:]
        // Corners counter-clockwise: (0,0), (1,0), (1,1), (0,1); edge e joins corner e and e+1.
        let edgeMid = [SIMD2(1, 0), SIMD2(2, 1), SIMD2(1, 2), SIMD2(0, 1)]
        for j in -1..<r.size.y {
            for i in -1..<r.size.x {
                let c0 = r.at(i, j, k), c1 = r.at(i + 1, j, k), c2 = r.at(i + 1, j + 1, k), c3 = r.at(i, j + 1, k)
                if c0 == c1 && c1 == c2 && c2 == c3 { continue }
                let inside = [c0, c1, c2, c3]
                let base = SIMD2(2 * i, 2 * j)
                // Pair each in->out edge with the next out->in edge counter-clockwise.
                for e in 0..<4 where inside[e] && !inside[(e + 1) % 4] {
                    var f = (e + 1) % 4
                    while !( !inside[f] && inside[(f + 1) % 4]) { f = (f + 1) % 4 }
                    next[base &+ edgeMid[e]] = base &+ edgeMid[f]
                }
            }
        }
        var loops: [[SIMD2<Int>]] = []
        // Deterministic order: start from the smallest remaining vertex (j, then i).
        var starts = next.keys.sorted { ($0.y, $0.x) < ($1.y, $1.x) }
        starts.reverse()
        while let s = starts.popLast() {
            guard next[s] != nil else { continue }
            var loop: [SIMD2<Int>] = []
            var p = s
            while let q = next.removeValue(forKey: p) { loop.append(p); p = q }
            loops.append(loop)
        }
        return loops
    }
}
