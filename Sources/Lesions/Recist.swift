import Imaging

/// RECIST-style diameters on the acquisition slices (k planes, usually axial): the longest
/// in-slice diameter of the region and, in the same slice, the longest chord perpendicular to it.
///
/// The long axis is the largest distance between contour vertices of one slice (so it equals the
/// largest in-slice part of pyradiomics' Maximum2DDiameterSlice). The short axis is the longest
/// segment perpendicular to the long axis whose ends lie on that slice's contours, measured across
/// the whole cross-section (holes and separate pieces of the same lesion included). Nil for an
/// empty region. A single voxel's contour is the diamond through its edge midpoints, so its long
/// axis is the larger and its short axis the smaller in-plane spacing.
public struct RecistDiameters: Sendable, Codable, Equatable {
    public var sliceIndex: Int
    public var longAxisMM: Double
    public var longAxisEndpointsLPS: [[Double]]
    public var shortAxisMM: Double
    public var shortAxisEndpointsLPS: [[Double]]

    public init?(_ r: BinaryRegion) {
        let contours = Contours.slices(r)
        guard !contours.isEmpty else { return nil }
        var best: (d2: Double, slice: Int, a: Vector3, b: Vector3)?
        var bySlice: [Int: [[Vector3]]] = [:]
        for c in contours { bySlice[c.sliceIndex, default: []].append(c.pointsLPS.map { Vector3($0) }) }
        let g0 = r.geometry.direction
        for slice in bySlice.keys.sorted() {
            // The farthest pair of a point set lies on its convex hull: search the hull's vertices only
            // (the all-pairs search over every contour vertex was quadratic per slice: minutes on a
            // brain-sized noisy region).
            let pts = Self.convexHull(bySlice[slice]!.flatMap { $0 }, u: g0.c0, v: g0.c1)
            for x in 0..<pts.count {
                for y in (x + 1)..<max(x + 1, pts.count) {
                    let d = pts[y] - pts[x]
                    let d2 = dot(d, d)
                    if best == nil || d2 > best!.d2 { best = (d2, slice, pts[x], pts[y]) }
                }
            }
        }
        guard let long = best else { return nil }
        sliceIndex = long.slice
        longAxisMM = long.d2.squareRoot()
        longAxisEndpointsLPS = [long.a, long.b].map { [$0.x, $0.y, $0.z] }
        let g = r.geometry
        let normal = cross(g.direction.c0, g.direction.c1)
        let u = (long.b - long.a) / max(longAxisMM, 1e-300)
        let w = cross(normal, u) / max(norm(cross(normal, u)), 1e-300)
        let short = RecistShortAxis.longestChord(loops: bySlice[long.slice]!, origin: long.a, u: u, w: w)
        shortAxisMM = short.len
        shortAxisEndpointsLPS = [short.a, short.b].map { [$0.x, $0.y, $0.z] }
    }

    /// Vertices of the convex hull of coplanar points (Andrew's monotone chain on their coordinates
    /// along the in-plane axes `u`, `v`), in the original points' order of discovery; collinear points
    /// on the hull's edges are dropped (they are never strictly farther than the edge's ends).
    /// - Complexity: O(n log n).
    static func convexHull(_ points: [Vector3], u: Vector3, v: Vector3) -> [Vector3] {
        guard points.count > 3 else { return points }
        typealias Planar = (u: Double, v: Double, point: Vector3)
        let projected: [Planar] = points.map { p -> Planar in (dot(p, u), dot(p, v), p) }
        let sorted = projected.sorted { (a: Planar, b: Planar) -> Bool in a.u < b.u || (a.u == b.u && a.v < b.v) }
        func turn(_ o: Planar, _ a: Planar, _ b: Planar) -> Double {
            let ou: Double = a.u - o.u, ov: Double = a.v - o.v
            return ou * (b.v - o.v) - ov * (b.u - o.u)
        }
        var lower: [Planar] = []
        for p in sorted {
            while lower.count >= 2 && turn(lower[lower.count - 2], lower[lower.count - 1], p) <= 0 { lower.removeLast() }
            lower.append(p)
        }
        var upper: [Planar] = []
        for p in sorted.reversed() {
            while upper.count >= 2 && turn(upper[upper.count - 2], upper[upper.count - 1], p) <= 0 { upper.removeLast() }
            upper.append(p)
        }
        return (lower.dropLast() + upper.dropLast()).map(\.point)
    }
}
