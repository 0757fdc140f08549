/// Boundary polygons of the labels of one image plane by marching squares at the 0.5 iso-line.
///
/// Vertices are the midpoints between an inside and an outside pixel centre, so every inside pixel
/// centre lies strictly inside the traced polygons and every outside one strictly outside: rasterising
/// the polygons by the pixel-centre rule (`PolygonFill`) gives the mask back exactly. Pixels touching at
/// a corner are joined (8-connected foreground, 4-connected background: the saddle cell keeps the two
/// inside corners together), the same rule as `Lesions.Contours`. Outer boundaries and hole boundaries
/// are separate loops that never cross or share a vertex; combined by the even-odd rule they give the
/// region with its holes and the islands inside them. The plane's border counts as outside.
///
/// - Complexity: one pass over the plane for the label bounding boxes, then O(box area) per label.
struct PlaneTracer {
    let columns: Int
    let rows: Int
    /// Successor of each doubled-coordinate vertex in the current box (-1: none); reused between labels.
    private var next: [Int32] = []

    init(columns: Int, rows: Int) {
        self.columns = columns; self.rows = rows
    }

    /// A closed loop in doubled pixel coordinates: vertex (x, y) is at column x/2, row y/2.
    typealias Loop = [SIMD2<Int32>]

    /// Per marching-squares case (bit c set when corner c is inside; corners (i,j), (i+1,j), (i+1,j+1),
    /// (i,j+1)), the (from edge, to edge) pairs: each in->out edge joined to the next out->in edge
    /// counter-clockwise. Edge e joins corner e and corner e+1.
    private static let links: [[(Int, Int)]] = (0..<16).map { code in
        let inside = (0..<4).map { code & (1 << $0) != 0 }
        var pairs: [(Int, Int)] = []
        for e in 0..<4 where inside[e] && !inside[(e + 1) % 4] {
            var f = (e + 1) % 4
            while !(!inside[f] && inside[(f + 1) % 4]) { f = (f + 1) % 4 }
            pairs.append((e, f))
        }
        return pairs
    }
    /// Doubled offset of each edge's midpoint from the cell's doubled origin (2i, 2j).
    private static let edgeMid: [SIMD2<Int32>] = [SIMD2(1, 0), SIMD2(2, 1), SIMD2(1, 2), SIMD2(0, 1)]

    /// Bounding boxes (min i, min j, max i, max j) of every label value present on `plane` (index = value).
    func boxes(_ plane: UnsafeBufferPointer<UInt8>) -> [SIMD4<Int32>?] {
        var lo = [SIMD2<Int32>](repeating: SIMD2(Int32.max, Int32.max), count: 256)
        var hi = [SIMD2<Int32>](repeating: SIMD2(-1, -1), count: 256)
        for j in 0..<rows {
            let row = j * columns
            for i in 0..<columns {
                let v = Int(plane[row + i])
                if v == 0 { continue }
                let p = SIMD2(Int32(i), Int32(j))
                lo[v] = pointwiseMin(lo[v], p)
                hi[v] = pointwiseMax(hi[v], p)
            }
        }
        return (0..<256).map { v in hi[v].x < 0 ? nil : SIMD4(lo[v].x, lo[v].y, hi[v].x, hi[v].y) }
    }

    /// The closed loops of `label` on `plane` (row-major, column index fastest) within `box` (from
    /// `boxes`), in a deterministic order (by their first vertex, row then column).
    mutating func loops(_ plane: UnsafeBufferPointer<UInt8>, label: UInt8, box: SIMD4<Int32>) -> [Loop] {
        let i0 = Int(box.x) - 1, j0 = Int(box.y) - 1, i1 = Int(box.z), j1 = Int(box.w)   // cells i0...i1, j0...j1
        let width = 2 * (i1 - i0 + 1) + 1, height = 2 * (j1 - j0 + 1) + 1
        let count = width * height
        if next.count < count { next = [Int32](repeating: -1, count: count) }
        let origin = SIMD2(Int32(2 * i0), Int32(2 * j0))
        var starts: [Int32] = []
        func inside(_ i: Int, _ j: Int) -> Int {
            i >= 0 && j >= 0 && i < columns && j < rows && plane[j * columns + i] == label ? 1 : 0
        }
        next.withUnsafeMutableBufferPointer { next in
            for j in j0...j1 {
                var left = inside(i0, j) | inside(i0, j + 1) << 3
                for i in i0...i1 {
                    let right = inside(i + 1, j) << 1 | inside(i + 1, j + 1) << 2
                    let code = left | right
                    left = (right >> 1) & 1 | (right & 4) << 1   // corners 1, 2 become corners 0, 3 of the next cell
                    if code == 0 || code == 15 { continue }
                    let base = SIMD2(Int32(2 * i), Int32(2 * j)) &- origin
                    for (e, f) in Self.links[code] {
                        let a = base &+ Self.edgeMid[e], b = base &+ Self.edgeMid[f]
                        let from = Int(a.y) * width + Int(a.x)
                        next[from] = b.y * Int32(width) + b.x
                        starts.append(Int32(from))
                    }
                }
            }
        }
        starts.sort()
        var loops: [Loop] = []
        for s in starts where next[Int(s)] >= 0 {
            var loop: Loop = []
            var p = Int(s)
            while next[p] >= 0 {
                loop.append(SIMD2(Int32(p % width), Int32(p / width)) &+ origin)
                let q = Int(next[p])
                next[p] = -1
                p = q
            }
            loops.append(loop)
        }
        return loops
    }
}
