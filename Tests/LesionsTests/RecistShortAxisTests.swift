import XCTest
import Imaging
@testable import Lesions

/// Regression (2026-11-25): the RECIST short axis tried every contour edge at every vertex offset of
/// the long-axis slice (quadratic: most of 414 s of `segment`'s measurements at 512x512x600). It now
/// sweeps the sorted offsets with a Li Chao tree. The former direct search is kept below as the
/// reference: the new length must equal it, and the new endpoints must form a perpendicular chord
/// of that length with both ends on the slice's contours.
final class RecistShortAxisTests: XCTestCase {
    /// The former implementation, verbatim in substance: every edge at every vertex offset.
    static func bruteForce(loops: [[Vector3]], origin: Vector3, u: Vector3, w: Vector3) -> Double {
        var best = 0.0
        for t in loops.flatMap({ $0 }).map({ dot($0 - origin, u) }) {
            var lo = Double.infinity, hi = -Double.infinity
            for loop in loops {
                for e in 0..<loop.count {
                    let p = loop[e], q = loop[(e + 1) % loop.count]
                    let tp = dot(p - origin, u) - t, tq = dot(q - origin, u) - t
                    var hits: [Vector3] = []
                    if tp == 0 { hits.append(p) }
                    if tq == 0 { hits.append(q) }
                    if tp * tq < 0 { hits.append(p + (q - p) * (tp / (tp - tq))) }
                    for h in hits { let s = dot(h - origin, w); lo = min(lo, s); hi = max(hi, s) }
                }
            }
            best = max(best, hi - lo)
        }
        return best
    }

    /// Distance from `x` to the nearest edge of the loops.
    static func distanceToContour(_ x: Vector3, _ loops: [[Vector3]]) -> Double {
        var best = Double.infinity
        for loop in loops {
            for e in 0..<loop.count {
                let p = loop[e], q = loop[(e + 1) % loop.count], d = q - p
                let f = dot(d, d) > 0 ? min(1, max(0, dot(x - p, d) / dot(d, d))) : 0
                best = min(best, norm(x - (p + d * f)))
            }
        }
        return best
    }

    func check(_ map: LabelMap, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let region = BinaryRegion(map) { $0 != 0 }
        guard let recist = RecistDiameters(region) else { return XCTFail("\(what): no RECIST", file: file, line: line) }
        let loops = Contours.slices(region).filter { $0.sliceIndex == recist.sliceIndex }
            .map { $0.pointsLPS.map { Vector3($0[0], $0[1], $0[2]) } }
        let a = Vector3(recist.longAxisEndpointsLPS[0][0], recist.longAxisEndpointsLPS[0][1], recist.longAxisEndpointsLPS[0][2])
        let b = Vector3(recist.longAxisEndpointsLPS[1][0], recist.longAxisEndpointsLPS[1][1], recist.longAxisEndpointsLPS[1][2])
        let g = map.geometry
        let normal = cross(g.direction.c0, g.direction.c1)
        let u = (b - a) / norm(b - a)
        let w = cross(normal, u) / norm(cross(normal, u))
        let expected = Self.bruteForce(loops: loops, origin: a, u: u, w: w)
        XCTAssertEqual(recist.shortAxisMM, expected, accuracy: 1e-9 * max(1, expected), "\(what): short axis", file: file, line: line)
        let s0 = Vector3(recist.shortAxisEndpointsLPS[0][0], recist.shortAxisEndpointsLPS[0][1], recist.shortAxisEndpointsLPS[0][2])
        let s1 = Vector3(recist.shortAxisEndpointsLPS[1][0], recist.shortAxisEndpointsLPS[1][1], recist.shortAxisEndpointsLPS[1][2])
        XCTAssertEqual(norm(s1 - s0), recist.shortAxisMM, accuracy: 1e-9, "\(what): endpoint distance", file: file, line: line)
        XCTAssertEqual(dot(s1 - s0, u), 0, accuracy: 1e-9, "\(what): short axis not perpendicular", file: file, line: line)
        XCTAssertLessThan(Self.distanceToContour(s0, loops), 1e-9, "\(what): first end off the contour", file: file, line: line)
        XCTAssertLessThan(Self.distanceToContour(s1, loops), 1e-9, "\(what): second end off the contour", file: file, line: line)
        XCTAssertLessThanOrEqual(recist.shortAxisMM, recist.longAxisMM + 1e-9, "\(what)", file: file, line: line)
    }

    func map(_ size: SIMD3<Int>, spacing: Vector3 = Vector3(1, 1, 1), direction: Matrix3 = .identity,
             _ inside: (Int, Int, Int) -> Bool) -> LabelMap {
        var m = LabelMap(geometry: VolumeGeometry(size: size, spacingMM: spacing, originLPS: Vector3(-20, 13.5, 4), direction: direction), repeating: 0)
        for k in 0..<size.z { for j in 0..<size.y { for i in 0..<size.x where inside(i, j, k) { m[i, j, k] = 1 } } }
        return m
    }

    func testConcaveShapesHolesAndPieces() {
        // C shape: the chord across the opening spans the gap (ends on both arms' contours).
        check(map(SIMD3(30, 24, 1)) { i, j, _ in
            let d = hypot(Double(i) - 14.5, Double(j) - 11.5); return d <= 11 && d >= 6 && !(i > 15 && abs(j - 11) < 4)
        }, "C shape")
        check(map(SIMD3(32, 32, 3)) { i, j, k in
            let d = hypot(Double(i) - 15.5, Double(j) - 15.5); return d <= 14 && d >= 5 + Double(k)
        }, "ring with a hole")
        check(map(SIMD3(40, 20, 1)) { i, j, _ in (i < 12 && j < 15) || (i > 25 && j > 4 && j < 9) || (i >= 12 && i <= 25 && j == 18) },
              "separate pieces in one slice")
        check(map(SIMD3(25, 25, 1)) { i, j, _ in (i < 5 || j < 5) && i < 24 && j < 20 }, "L shape")
        check(map(SIMD3(30, 30, 1)) { i, j, _ in abs(i - 15) + abs(j - 15) <= 12 && (i + j) % 7 != 0 }, "comb / diamond")
    }

    func testAnisotropicAndObliqueGrids() {
        let star = { (i: Int, j: Int, k: Int) -> Bool in
            let x = Double(i) - 17, y = Double(j) - 13
            let r = hypot(x, y), a = atan2(y, x)
            return r <= 9 + 5 * sin(5 * a + Double(k))
        }
        check(map(SIMD3(35, 27, 4), spacing: Vector3(0.7, 1.3, 3), star), "star, anisotropic")
        let c = cos(0.37), s = sin(0.37)
        let oblique = Matrix3(rows: [[c, -s, 0], [s * 0.9, c * 0.9, -0.4359], [s * 0.4359, c * 0.4359, 0.9]])
        check(map(SIMD3(35, 27, 4), spacing: Vector3(0.8, 0.55, 2.5), direction: oblique, star), "star, oblique anisotropic")
    }

    func testRandomBlobsManyVertices() {
        var seed: UInt32 = 20261125
        func next() -> Double { seed = seed &* 1664525 &+ 1013904223; return Double(seed >> 8) / Double(1 << 24) }
        for trial in 0..<12 {
            let n = SIMD3(48, 40, 2)
            var field = [Double](repeating: 0, count: n.x * n.y)
            let centres = (0..<6).map { _ in (next() * 48, next() * 40, 3 + next() * 9) }
            for j in 0..<n.y { for i in 0..<n.x {
                field[i + n.x * j] = centres.map { c in exp(-(pow(Double(i) - c.0, 2) + pow(Double(j) - c.1, 2)) / (c.2 * c.2)) }.reduce(0, +)
                    + 0.35 * next()
            } }
            let spacing = Vector3(0.5 + next(), 0.5 + next(), 2)
            check(map(n, spacing: spacing) { i, j, _ in field[i + n.x * j] > 0.6 }, "random blob \(trial)")
        }
    }

    func testSingleVoxelAndEmpty() {
        let one = map(SIMD3(5, 5, 3), spacing: Vector3(0.8, 1.7, 4)) { i, j, k in i == 2 && j == 3 && k == 1 }
        check(one, "single voxel")
        let r = RecistDiameters(BinaryRegion(one) { $0 != 0 })!
        XCTAssertEqual(r.shortAxisMM, 0.8, accuracy: 1e-12)
        XCTAssertEqual(r.longAxisMM, 1.7, accuracy: 1e-12)
        XCTAssertNil(RecistDiameters(BinaryRegion(map(SIMD3(4, 4, 2)) { _, _, _ in false }) { $0 != 0 }))
        XCTAssertEqual(RecistShortAxis.longestChord(loops: [], origin: .zero, u: Vector3(1, 0, 0), w: Vector3(0, 1, 0)).len, 0)
    }

    func testLiChaoTreeEqualsDirectMaximum() {
        var seed: UInt32 = 7
        func next() -> Double { seed = seed &* 1664525 &+ 1013904223; return Double(seed >> 8) / Double(1 << 24) }
        let count = 97
        let lines = (0..<300).map { _ in (slope: next() * 4 - 2, offset: next() * 50 - 25) }
        let runs = lines.map { _ -> Range<Int> in let a = Int(next() * 97), b = Int(next() * 98); return min(a, b)..<max(a, b) }
        var tree = LiChaoTree(count: count) { id, x in lines[id].slope * Double(x) + lines[id].offset }
        for (id, run) in runs.enumerated() { tree.insert(id, over: run) }
        for x in 0..<count {
            let covering = runs.indices.filter { runs[$0].contains(x) }
            let direct = covering.map { lines[$0].slope * Double(x) + lines[$0].offset }.max()
            let found = tree.maximum(at: x).map { lines[$0].slope * Double(x) + lines[$0].offset }
            XCTAssertEqual(found, direct, "point \(x)")
            if let id = tree.maximum(at: x) { XCTAssertTrue(runs[id].contains(x)) }
        }
    }
}
