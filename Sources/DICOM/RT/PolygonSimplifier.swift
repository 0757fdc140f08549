/// Douglas-Peucker reduction of closed polygons in a plane (coordinates in mm).
///
/// Every dropped vertex lies within `toleranceMM` of the kept polygon, so the outline moves by at most
/// that much. With tolerance 0 only exactly collinear vertices go (marching squares emits many: long
/// straight runs of pixel edges). The two halves of the ring are split at the vertex farthest from
/// the first one, then reduced independently (iteratively, no recursion).
enum PolygonSimplifier {
    /// The indices of the vertices to keep, ascending. Rings whose reduction would leave fewer than
    /// three vertices are kept whole (a pixel-sized region must stay a polygon).
    static func keep(_ points: [SIMD2<Double>], toleranceMM: Double) -> [Int] {
        let n = points.count
        guard n > 3 else { return Array(0..<n) }
        var far = 1, farDistance = -1.0
        for k in 1..<n {
            let d = length2(points[k] - points[0])
            if d > farDistance { farDistance = d; far = k }
        }
        var kept = [Bool](repeating: false, count: n)
        kept[0] = true; kept[far] = true
        let squaredTolerance = max(toleranceMM, 1e-9) * max(toleranceMM, 1e-9)
        // Spans (first, last) with last > first; index n means vertex 0 again (the ring closes).
        var spans: [(Int, Int)] = [(0, far), (far, n)]
        while let (first, last) = spans.popLast() {
            guard last - first > 1 else { continue }
            let a = points[first], b = points[last % n]
            var worst = -1, worstDistance = 0.0
            for k in (first + 1)..<last {
                let d = segmentDistance2(points[k], a, b)
                if d > worstDistance { worstDistance = d; worst = k }
            }
            if worst >= 0 && worstDistance > squaredTolerance {
                kept[worst] = true
                spans.append((first, worst)); spans.append((worst, last))
            }
        }
        let indices = (0..<n).filter { kept[$0] }
        return indices.count >= 3 ? indices : Array(0..<n)
    }

    private static func length2(_ v: SIMD2<Double>) -> Double { (v * v).sum() }

    /// Squared distance from `p` to the segment a-b.
    private static func segmentDistance2(_ p: SIMD2<Double>, _ a: SIMD2<Double>, _ b: SIMD2<Double>) -> Double {
        let ab = b - a, ap = p - a
        let l = length2(ab)
        guard l > 0 else { return length2(ap) }
        let t = min(1, max(0, (ap * ab).sum() / l))
        return length2(ap - ab * t)
    }
}
