/// Even-odd rasterisation of polygons by pixel centres (plastimatch's rule with `--xor-contours`):
/// pixel (i, j) is inside when its centre lies inside an odd number of the polygons, so a hole contour
/// inside an outer one cuts it out, an island inside the hole is inside again, and a keyhole contour's
/// zero-width cut cancels out. A centre on a polygon's outline (within `boundaryTolerance` pixels) is
/// inside: tools that trace through boundary pixel centres (OpenCV in rt-utils) then give their mask back,
/// and contours traced by SegStation never pass through a centre (their vertices are pixel-edge midpoints).
/// Self-intersecting polygons are filled by the same rule (a figure of eight fills both lobes; a part
/// wound over twice is outside).
///
/// Along each row, an edge counts when the row's centre line meets it in [lower y, upper y) (half-open, so
/// a vertex on the line is counted once), and pixel i is filled between crossings a and b when
/// a - tolerance <= i <= b + tolerance.
///
/// - Complexity: O(sum over edges of the rows they span + filled pixels), with one sort per row.
enum PolygonFill {
    static let boundaryTolerance = 1e-3

    /// Marks in `inside` (columns * rows, row-major) the pixel centres inside `polygons` (x = column,
    /// y = row, in pixel units; each polygon closes from its last vertex to its first).
    static func fill(_ polygons: [[SIMD2<Double>]], columns: Int, rows: Int, into inside: inout [Bool]) {
        let eps = boundaryTolerance
        var crossings = [[Double]](repeating: [], count: rows)
        for polygon in polygons where polygon.count >= 2 {
            var a = polygon[polygon.count - 1]
            for b in polygon {
                defer { a = b }
                markOutline(a, b, columns: columns, rows: rows, into: &inside)
                let (low, high) = a.y < b.y ? (a, b) : (b, a)
                guard low.y < high.y else { continue }
                let first = ceilIndex(low.y, rows), last = ceilIndex(high.y, rows) - 1
                guard first <= last else { continue }
                let slope = (high.x - low.x) / (high.y - low.y)
                for j in first...last { crossings[j].append(low.x + (Double(j) - low.y) * slope) }
            }
        }
        for j in 0..<rows where crossings[j].count >= 2 {
            let xs = crossings[j].sorted()
            var p = 0
            while p + 1 < xs.count {
                let from = ceilIndex(xs[p] - eps, columns), to = ceilIndex(xs[p + 1] + eps + 1, columns + 1) - 1
                if from < to { for i in from..<to { inside[j * columns + i] = true } }
                p += 2
            }
        }
    }

    /// Marks the pixel centres lying on segment a-b's horizontal run or at its ends (the points the row
    /// crossings do not reach: a row's own horizontal edges, and vertices at an edge's upper end).
    private static func markOutline(_ a: SIMD2<Double>, _ b: SIMD2<Double>, columns: Int, rows: Int, into inside: inout [Bool]) {
        let eps = boundaryTolerance
        for v in [a, b] {
            let i = v.x.rounded(), j = v.y.rounded()
            if abs(v.x - i) <= eps, abs(v.y - j) <= eps, i >= 0, j >= 0, i < Double(columns), j < Double(rows) {
                inside[Int(j) * columns + Int(i)] = true
            }
        }
        let j = a.y.rounded()
        guard abs(a.y - j) <= eps, abs(b.y - j) <= eps, j >= 0, j < Double(rows) else { return }
        let from = ceilIndex(min(a.x, b.x) - eps, columns), to = ceilIndex(max(a.x, b.x) + eps + 1, columns + 1) - 1
        if from < to { for i in from..<to { inside[Int(j) * columns + i] = true } }
    }

    /// ceil(x) clamped to 0...upper (coordinates far outside the plane must not overflow Int).
    private static func ceilIndex(_ x: Double, _ upper: Int) -> Int {
        Int(min(Double(upper), max(0, x.rounded(.up))))
    }
}
