import XCTest
import Imaging
@testable import Lesions

/// Regression (2026-11-25) for two speed-ups of the measurement step, each against the former code
/// kept here as the reference: percentiles by multi-selection instead of a full sort, and the
/// diameter point reduction on dense line tables instead of a dictionary.
final class MeasurementSpeedupTests: XCTestCase {
    /// numpy.percentile(method="linear") on fully sorted values (the former implementation).
    static func sortedPercentile(_ values: [Double], _ q: Double) -> Double {
        let sorted = values.sorted()
        let pos = q / 100 * Double(sorted.count - 1)
        let lo = Int(pos.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        let frac = pos - Double(lo)
        return frac == 0 ? sorted[lo] : sorted[lo] + (sorted[hi] - sorted[lo]) * frac
    }

    func testSelectionPercentilesEqualSorting() {
        var seed: UInt32 = 99
        func next() -> UInt32 { seed = seed &* 1664525 &+ 1013904223; return seed >> 8 }
        let sizes = [1, 2, 3, 31, 32, 33, 100, 1000, 4097]
        for n in sizes {
            for kind in 0..<4 {
                let values: [Double] = (0..<n).map { idx in
                    switch kind {
                    case 0: return Double(next() % 100_000) / 7          // mostly distinct
                    case 1: return Double(next() % 5)                    // many ties
                    case 2: return 42                                     // constant
                    default: return Double(idx)                           // already sorted
                    }
                }
                let stats = IntensityStatistics(values: kind == 3 ? values.reversed() : values)!
                for (q, got) in [(5.0, stats.percentile5), (10, stats.percentile10), (50, stats.median),
                                 (90, stats.percentile90), (95, stats.percentile95)] {
                    XCTAssertEqual(got, Self.sortedPercentile(values, q), "n \(n) kind \(kind) q \(q)")
                }
                XCTAssertEqual(stats.minimum, values.min())
                XCTAssertEqual(stats.maximum, values.max())
            }
        }
    }

    /// The former reduction: a dictionary from line to extremes.
    static func dictionaryReduce(_ points: [SIMD3<Int>], alongAxes axes: [Int]) -> Set<SIMD3<Int>> {
        var current = points
        for axis in axes {
            var extremes: [SIMD3<Int>: (Int, Int)] = [:]
            for p in current {
                var key = p; key[axis] = 0
                if let e = extremes[key] { extremes[key] = (min(e.0, p[axis]), max(e.1, p[axis])) } else { extremes[key] = (p[axis], p[axis]) }
            }
            current = extremes.flatMap { key, e -> [SIMD3<Int>] in
                var a = key, b = key; a[axis] = e.0; b[axis] = e.1
                return e.0 == e.1 ? [a] : [a, b]
            }
        }
        return Set(current)
    }

    func testDenseReductionEqualsDictionaryReduction() {
        var seed: UInt32 = 5
        func next() -> Int { seed = seed &* 1664525 &+ 1013904223; return Int(seed >> 8) }
        for trial in 0..<10 {
            let points = Array(Set((0..<(200 * (trial + 1))).map { _ in SIMD3(next() % 41 - 1, next() % 23 - 1, next() % 17 - 1) }))
            for axes in [[0, 1, 2], [0, 1], [1, 2], [0, 2], [2]] {
                let dense = Diameters.reduce(points, alongAxes: axes)
                XCTAssertEqual(dense.count, Set(dense).count, "no duplicates")
                XCTAssertEqual(Set(dense), Self.dictionaryReduce(points, alongAxes: axes), "trial \(trial) axes \(axes)")
            }
        }
        XCTAssertEqual(Diameters.reduce([], alongAxes: [0, 1, 2]), [])
        XCTAssertEqual(Diameters.reduce([SIMD3(-1, 4, 9)], alongAxes: [0, 1, 2]), [SIMD3(-1, 4, 9)])
    }

    /// A label with one lesion reuses that lesion's measurement as its total: it must equal the
    /// total measured directly on the label's voxels.
    func testSingleLesionTotalEqualsDirectMeasurement() throws {
        let g = VolumeGeometry(size: SIMD3(30, 26, 9), spacingMM: Vector3(0.7, 0.9, 2.5), originLPS: Vector3(4, -3, 11))
        var labels = LabelMap(geometry: g, repeating: 0)
        for k in 0..<9 { for j in 0..<26 { for i in 0..<30 {
            let e = pow((Double(i) - 12) / 9, 2) + pow((Double(j) - 12) / 7, 2) + pow((Double(k) - 4) / 3, 2)
            if e <= 1 { labels[i, j, k] = 1 } else if i > 25 && (j < 5 || j > 20) { labels[i, j, k] = 2 }
        } } }
        let image = Volume<Float>(geometry: g, voxels: (0..<g.voxelCount).map { Float(($0 * 7919) % 1000) - 500 })
        let result = try LesionAnalyzer.measure(labels: labels, image: image)
        XCTAssertEqual(result.map(\.lesionCount), [1, 2])
        let direct = LesionAnalyzer.measurement(BinaryRegion(labels) { $0 == 1 }, id: 0, label: 1, image: image) { labels.voxels[$0] == 1 }
        XCTAssertEqual(result[0].total, direct)
        XCTAssertNotEqual(result[0].lesions[0].id, 0, "the lesion keeps its instance id")
    }
}
