import XCTest
import TestSupport
import Imaging
@testable import Lesions

/// Regression (2026-11-25): RECIST's long axis searched all pairs of contour vertices per slice,
/// which took minutes on a brain-sized noisy region during the 512x512x600 benchmark. It now searches
/// the convex hull; the result must equal the all-pairs maximum. (The short axis: RecistShortAxisTests.)
final class RecistHullTests: XCTestCase {
    func testHullFarthestPairEqualsAllPairs() {
        var rng = SplitMix(seed: 20261125)
        for _ in 0..<20 {
            let points = (0..<300).map { _ in Vector3(Double.random(in: -40...40, using: &rng), Double.random(in: -25...25, using: &rng), 7) }
            let hull = RecistDiameters.convexHull(points, u: Vector3(1, 0, 0), v: Vector3(0, 1, 0))
            XCTAssertLessThan(hull.count, points.count)
            func farthest(_ p: [Vector3]) -> Double {
                var best = 0.0
                for a in 0..<p.count { for b in (a + 1)..<max(a + 1, p.count) { best = max(best, norm(p[a] - p[b])) } }
                return best
            }
            XCTAssertEqual(farthest(hull), farthest(points), accuracy: 1e-12)
        }
    }
}
