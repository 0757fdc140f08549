import XCTest
import Imaging
import TestSupport
@testable import Lesions

private struct EdgeFile: Decodable {
    struct Partition: Decodable, Equatable { var count: Int; var sizeCounts: [[Int]]; var checksum: Int64 }
    struct Case: Decodable { var name: String; var size: [Int]; var mask: MaskSpec; var expected: [String: Partition] }
    var cases: [Case]
}

/// Edge cases of the run-based labelling against cc3d (Scripts/reference/lesions_cc_cases.py):
/// 1-voxel-thick grids, empty/full masks, no background, border-clipped regions, rows longer than
/// the background skip, more than 65535 components; 3D and per-slice; UInt8 and Int32 inputs.
final class ConnectedComponentsEdgeTests: XCTestCase {
    private func summary(_ cc: ComponentLabeling) -> EdgeFile.Partition {
        var histogram: [Int: Int] = [:]
        for c in cc.components { histogram[c.voxelCount, default: 0] += 1 }
        return EdgeFile.Partition(count: cc.components.count,
                                  sizeCounts: histogram.sorted { $0.key > $1.key }.map { [$0.key, $0.value] },
                                  checksum: Synthetic.checksum(cc.instances.voxels))
    }

    func testEdgeCasesMatchCC3D() throws {
        let file = try Synthetic.expected(EdgeFile.self, file: "lesions_cc_cases.json")
        XCTAssertEqual(file.cases.count, 12)
        for c in file.cases {
            let labels = Synthetic.labels(c.mask, Synthetic.geometry(c.size))
            // The Int32 entry point (2 voxels per skipped word) on the same map with other values.
            let wide = Volume(geometry: labels.geometry, voxels: labels.voxels.map { $0 == 0 ? Int32(0) : Int32($0) * 70_001 })
            let runs: [(key: String, conn: Connectivity, slices: Bool)] = [
                ("6", .six, false), ("18", .eighteen, false), ("26", .twentySix, false),
                ("slices4", .six, true), ("slices8", .twentySix, true), ("slices8", .eighteen, true),
            ]
            for r in runs {
                let e = try XCTUnwrap(c.expected[r.key], "\(c.name) \(r.key)")
                let cc = ConnectedComponents.label(labels, connectivity: r.conn, withinSlices: r.slices)
                XCTAssertEqual(summary(cc), e, "\(c.name) \(r.key) (\(r.conn.rawValue))")
                let ccWide = ConnectedComponents.label(wide, connectivity: r.conn, withinSlices: r.slices)
                XCTAssertEqual(ccWide.instances.voxels, cc.instances.voxels, "\(c.name) \(r.key) Int32 input")
                XCTAssertEqual(ccWide.components.map(\.label), cc.components.map { $0.label * 70_001 })
                assertConsistent(cc, labels, "\(c.name) \(r.key)")
            }
        }
    }

    /// More than 65535 components: ids past UInt16 range stay distinct and ordered.
    func testManyComponentsKeepDistinctIDs() throws {
        let file = try Synthetic.expected(EdgeFile.self, file: "lesions_cc_cases.json")
        let c = try XCTUnwrap(file.cases.first { $0.name == "many_components" })
        let cc = ConnectedComponents.label(Synthetic.labels(c.mask, Synthetic.geometry(c.size)), connectivity: .twentySix)
        XCTAssertGreaterThan(cc.components.count, 65_535)
        XCTAssertEqual(cc.instances.voxels.max(), Int32(cc.components.count))
        XCTAssertEqual(cc.components.map(\.id), (1...Int32(cc.components.count)).map { $0 })
    }

    /// Both memory hints of the instance-map buffer (huge pages, or prefaulting when THP is off)
    /// leave the contents alone, on an unaligned 8 MB range and when given again after the fill.
    func testMemoryHintsKeepContents() {
        for hugePages in [true, false] {
            var a = [Int32](unsafeUninitializedCapacity: 2_000_003) { p, initialized in
                HugePages.advise(UnsafeMutableRawPointer(p.baseAddress! + 1), byteCount: (p.count - 1) * 4, hugePages: hugePages)
                for v in 0..<p.count { p[v] = Int32(truncatingIfNeeded: v &* 2_654_435_761) }
                initialized = p.count
            }
            a.withUnsafeMutableBytes { HugePages.advise($0.baseAddress!, byteCount: $0.count, hugePages: hugePages) }
            XCTAssertTrue(a.indices.allSatisfy { a[$0] == Int32(truncatingIfNeeded: $0 &* 2_654_435_761) }, "hugePages \(hugePages)")
        }
    }

    /// Components, ids and counts agree with the instance map; ids follow first-voxel memory order.
    private func assertConsistent(_ cc: ComponentLabeling, _ labels: LabelMap, _ what: String) {
        var counts = [Int](repeating: 0, count: cc.components.count + 1)
        var nextNew: Int32 = 1
        var firstProblem: String?  // checked per voxel without XCTAssert (millions of voxels)
        for v in 0..<labels.voxels.count where firstProblem == nil {
            let id = cc.instances.voxels[v], value = labels.voxels[v]
            if (id == 0) != (value == 0) { firstProblem = "voxel \(v): id \(id) for value \(value)"; break }
            guard id != 0 else { continue }
            if id == nextNew { nextNew += 1 } else if id > nextNew { firstProblem = "voxel \(v): id \(id) before \(nextNew)" }
            counts[Int(id)] += 1
            if cc.components[Int(id) - 1].label != Int(value) { firstProblem = "voxel \(v): component label differs from \(value)" }
        }
        XCTAssertNil(firstProblem, what)
        XCTAssertEqual(Array(counts.dropFirst()), cc.components.map(\.voxelCount), what)
        XCTAssertEqual(cc.components.map(\.id), cc.components.indices.map { Int32($0 + 1) }, what)
    }

    /// Many small random grids (1-9 voxels per axis, 1-3 labels, any density) against a plain
    /// breadth-first flood fill: every row-run boundary case (runs at row ends, adjacent runs of
    /// different labels, single-voxel rows) in every connectivity, 3D and per slice.
    func testRandomSmallGridsMatchFloodFill() {
        var rng = SplitMix(seed: 2026)
        for trial in 0..<400 {
            let size = SIMD3(1 + Int(rng.next() % 9), 1 + Int(rng.next() % 9), 1 + Int(rng.next() % 9))
            let density = rng.next() % 101, labelCount = 1 + rng.next() % 3
            let voxels = (0..<(size.x * size.y * size.z)).map { _ in
                rng.next() % 100 < density ? UInt8(1 + rng.next() % labelCount) : 0
            }
            let map = LabelMap(geometry: VolumeGeometry(size: size), voxels: voxels)
            for conn in Connectivity.allCases {
                for slices in [false, true] {
                    let got = ConnectedComponents.label(map, connectivity: conn, withinSlices: slices).instances.voxels
                    XCTAssertEqual(got, floodFill(map, conn, withinSlices: slices), "trial \(trial) \(size) \(conn.rawValue) slices \(slices)")
                }
            }
        }
    }

    /// Reference labelling: breadth-first search from each unvisited voxel in memory order.
    private func floodFill(_ map: LabelMap, _ conn: Connectivity, withinSlices: Bool) -> [Int32] {
        let n = map.size
        let offsets = conn.offsets.filter { !withinSlices || $0.z == 0 }
        var out = [Int32](repeating: 0, count: map.voxels.count)
        var next: Int32 = 0
        for start in 0..<map.voxels.count where map.voxels[start] != 0 && out[start] == 0 {
            next += 1
            out[start] = next
            var queue = [start]
            while let v = queue.popLast() {
                let p = SIMD3(v % n.x, (v / n.x) % n.y, v / (n.x * n.y))
                for o in offsets {
                    let q = p &+ o
                    guard q.x >= 0, q.y >= 0, q.z >= 0, q.x < n.x, q.y < n.y, q.z < n.z else { continue }
                    let w = q.x + n.x * (q.y + n.y * q.z)
                    if out[w] == 0 && map.voxels[w] == map.voxels[start] { out[w] = next; queue.append(w) }
                }
            }
        }
        return out
    }
}
