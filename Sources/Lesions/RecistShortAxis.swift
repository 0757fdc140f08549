import Imaging

/// The RECIST short axis of one slice: the longest segment perpendicular to the long axis whose ends
/// lie on the slice's contours, across the whole cross-section (holes and separate pieces included).
///
/// With `t` the offset along the long axis `u` and `s` the offset along the in-plane perpendicular `w`,
/// the chord at offset `t` runs from the lowest to the highest contour point on the line `u = t`. Its
/// length is piecewise linear in `t` with its maximum at a vertex's offset, so only those offsets are
/// candidates. At a candidate the contour points on the line are (a) the vertices with exactly that
/// offset and (b) the crossings of edges whose ends lie strictly on either side. (a) is a sort; (b) is
/// the upper (and lower) envelope of the edges, each a linear function of `t` over a run of candidates:
/// a Li Chao segment tree over the sorted candidates gives it in O(n log^2 n) for n contour vertices
/// (the direct search, every edge at every candidate, was O(n^2): minutes on a huge region).
enum RecistShortAxis {
    /// - Parameters:
    ///   - loops: the slice's closed contours (patient LPS mm), each closing from its last vertex to its first.
    ///   - origin: a point on the long axis (its first endpoint); `u` its unit direction, `w` the unit
    ///     in-plane perpendicular.
    /// - Returns: the longest perpendicular chord (length 0 at `origin` when the loops are empty).
    static func longestChord(loops: [[Vector3]], origin: Vector3, u: Vector3, w: Vector3) -> (len: Double, a: Vector3, b: Vector3) {
        let points = loops.flatMap { $0 }
        guard !points.isEmpty else { return (0, origin, origin) }
        let offsets = points.map { dot($0 - origin, u) }
        let candidates = Array(Set(offsets)).sorted()
        var indexOf: [Double: Int] = [:]
        indexOf.reserveCapacity(candidates.count)
        for (n, t) in candidates.enumerated() { indexOf[t] = n }

        // (a) Vertices lying exactly on each candidate line.
        var lo = [(s: Double, p: Vector3)](repeating: (.infinity, .zero), count: candidates.count)
        var hi = [(s: Double, p: Vector3)](repeating: (-.infinity, .zero), count: candidates.count)
        for (p, t) in zip(points, offsets) {
            let n = indexOf[t]!, s = dot(p - origin, w)
            if s < lo[n].s { lo[n] = (s, p) }
            if s > hi[n].s { hi[n] = (s, p) }
        }
        // (b) Edges crossing candidate lines strictly between their ends.
        var runs: [Range<Int>] = []
        let edges = { () -> [(p: Vector3, q: Vector3)] in
            var out: [(p: Vector3, q: Vector3)] = []
            var base = 0
            for loop in loops {
                for e in 0..<loop.count {
                    let ip = indexOf[offsets[base + e]]!, iq = indexOf[offsets[base + (e + 1) % loop.count]]!
                    if abs(ip - iq) > 1 { out.append((loop[e], loop[(e + 1) % loop.count])); runs.append((min(ip, iq) + 1)..<max(ip, iq)) }
                }
                base += loop.count
            }
            return out
        }()
        /// The crossing of edge `e` with the line `u = candidates[n]` (the formula of the direct search).
        func crossing(_ e: Int, _ n: Int) -> Vector3 {
            let (p, q) = edges[e]
            let tp = dot(p - origin, u) - candidates[n], tq = dot(q - origin, u) - candidates[n]
            return p + (q - p) * (tp / (tp - tq))
        }
        var upper = LiChaoTree(count: candidates.count) { e, n in dot(crossing(e, n) - origin, w) }
        var lower = LiChaoTree(count: candidates.count) { e, n in -dot(crossing(e, n) - origin, w) }
        for (e, run) in runs.enumerated() {
            upper.insert(e, over: run)
            lower.insert(e, over: run)
        }
        var best: (len: Double, a: Vector3, b: Vector3) = (0, origin, origin)
        for n in candidates.indices {
            var low = lo[n], high = hi[n]
            if let e = upper.maximum(at: n), dot(crossing(e, n) - origin, w) > high.s {
                high = (dot(crossing(e, n) - origin, w), crossing(e, n))
            }
            if let e = lower.maximum(at: n), dot(crossing(e, n) - origin, w) < low.s {
                low = (dot(crossing(e, n) - origin, w), crossing(e, n))
            }
            if high.s - low.s > best.len { best = (high.s - low.s, low.p, high.p) }
        }
        return best
    }
}

/// Maximum of linear functions over a discrete domain 0..<count (Li Chao segment tree): each
/// function is inserted on a run of points, and a query returns the function largest at one point.
/// Functions are given by id and evaluated through `value(id, point)`, which must be linear in the
/// point's coordinate (up to rounding) over each function's run.
/// - Complexity: insert O(log^2 count), query O(log count).
struct LiChaoTree {
    private var nodes: [Int32]
    private let count: Int
    private let value: (Int, Int) -> Double

    init(count: Int, value: @escaping (Int, Int) -> Double) {
        self.count = count
        self.value = value
        nodes = [Int32](repeating: -1, count: max(1, 4 * count))
    }

    mutating func insert(_ id: Int, over range: Range<Int>) {
        guard !range.isEmpty else { return }
        insert(Int32(id), range, node: 1, lo: 0, hi: count)
    }

    private mutating func insert(_ id: Int32, _ range: Range<Int>, node: Int, lo: Int, hi: Int) {
        if range.upperBound <= lo || hi <= range.lowerBound { return }
        if range.lowerBound <= lo && hi <= range.upperBound { place(id, node: node, lo: lo, hi: hi); return }
        let mid = (lo + hi) / 2
        insert(id, range, node: 2 * node, lo: lo, hi: mid)
        insert(id, range, node: 2 * node + 1, lo: mid, hi: hi)
    }

    /// Li Chao insertion on a node whose whole interval lies in the function's run.
    private mutating func place(_ id: Int32, node: Int, lo: Int, hi: Int) {
        var new = id, node = node, lo = lo, hi = hi
        while true {
            let old = nodes[node]
            if old < 0 { nodes[node] = new; return }
            let mid = (lo + hi) / 2
            var keep = old
            if value(Int(new), mid) > value(Int(old), mid) { nodes[node] = new; keep = new; new = old }
            // `new` now loses at mid; it can win on at most one side.
            if hi - lo == 1 { return }
            if value(Int(new), lo) > value(Int(keep), lo) {
                node = 2 * node; hi = mid
            } else if value(Int(new), hi - 1) > value(Int(keep), hi - 1) {
                node = 2 * node + 1; lo = mid
            } else {
                return
            }
        }
    }

    /// The id of a function largest at `point` among those inserted on runs containing it; nil if none.
    func maximum(at point: Int) -> Int? {
        var node = 1, lo = 0, hi = count
        var best: Int32 = -1, bestValue = -Double.infinity
        while true {
            let id = nodes[node]
            if id >= 0 {
                let v = value(Int(id), point)
                if best < 0 || v > bestValue { best = id; bestValue = v }
            }
            if hi - lo == 1 { break }
            let mid = (lo + hi) / 2
            if point < mid { node = 2 * node; hi = mid } else { node = 2 * node + 1; lo = mid }
        }
        return best >= 0 ? Int(best) : nil
    }
}
