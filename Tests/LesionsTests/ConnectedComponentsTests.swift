import XCTest
import Imaging
@testable import Lesions

private struct CCFile: Decodable {
    struct Partition: Decodable, Equatable { var count: Int; var sizes: [Int]; var checksum: Int64 }
    struct Case: Decodable { var name: String; var size: [Int]; var mask: MaskSpec; var expected: [String: Partition] }
    var components: [Case]
}

final class ConnectedComponentsTests: XCTestCase {
    /// cc3d (and scipy.ndimage.label for binary masks) partitions of LCG masks, 6/18/26.
    func testRandomMasksMatchCC3D() throws {
        for c in try Synthetic.expected(CCFile.self).components {
            let labels = Synthetic.labels(c.mask, Synthetic.geometry(c.size))
            for conn in Connectivity.allCases {
                let cc = ConnectedComponents.label(labels, connectivity: conn)
                let e = try XCTUnwrap(c.expected[String(conn.rawValue)])
                let got = CCFile.Partition(count: cc.components.count,
                                           sizes: cc.components.map(\.voxelCount).sorted(by: >),
                                           checksum: Synthetic.checksum(cc.instances.voxels))
                XCTAssertEqual(got, e, "\(c.name) connectivity \(conn.rawValue)")
                // Every voxel keeps its label inside its component.
                for v in 0..<labels.voxels.count where labels.voxels[v] != 0 {
                    XCTAssertEqual(cc.components[Int(cc.instances.voxels[v]) - 1].label, Int(labels.voxels[v]))
                }
            }
        }
    }

    func testEmptySingleAndBorderVoxels() {
        let g = Synthetic.geometry([4, 3, 2])
        XCTAssertEqual(ConnectedComponents.label(LabelMap(geometry: g, repeating: 0), connectivity: .six).components.count, 0)
        var m = LabelMap(geometry: g, repeating: 0)
        m[3, 2, 1] = 5  // last voxel: border corner
        let one = ConnectedComponents.label(m, connectivity: .twentySix)
        XCTAssertEqual(one.components, [Component(id: 1, label: 5, voxelCount: 1)])
        // Full grid: one component touching every border.
        let full = ConnectedComponents.label(LabelMap(geometry: g, repeating: 1), connectivity: .six)
        XCTAssertEqual(full.components.map(\.voxelCount), [24])
        // Voxels at opposite ends of a row do not wrap around.
        var w = LabelMap(geometry: g, repeating: 0)
        w[0, 1, 0] = 1; w[3, 0, 0] = 1
        XCTAssertEqual(ConnectedComponents.label(w, connectivity: .twentySix).components.count, 2)
    }

    /// Diagonal neighbours join exactly at the connectivity that allows them.
    func testConnectivityKinds() {
        let g = Synthetic.geometry([3, 3, 3])
        func count(_ a: SIMD3<Int>, _ b: SIMD3<Int>, _ c: Connectivity) -> Int {
            var m = LabelMap(geometry: g, repeating: 0)
            m[a.x, a.y, a.z] = 1; m[b.x, b.y, b.z] = 1
            return ConnectedComponents.label(m, connectivity: c).components.count
        }
        XCTAssertEqual(count(SIMD3(1, 1, 1), SIMD3(1, 1, 2), .six), 1)
        XCTAssertEqual(count(SIMD3(1, 1, 1), SIMD3(2, 1, 2), .six), 2)
        XCTAssertEqual(count(SIMD3(1, 1, 1), SIMD3(2, 1, 2), .eighteen), 1)
        XCTAssertEqual(count(SIMD3(1, 1, 1), SIMD3(2, 2, 2), .eighteen), 2)
        XCTAssertEqual(count(SIMD3(1, 1, 1), SIMD3(2, 2, 2), .twentySix), 1)
        XCTAssertEqual(count(SIMD3(1, 1, 1), SIMD3(0, 2, 0), .twentySix), 1)
        XCTAssertThrowsError(try Connectivity(neighbours: 8))
    }

    /// Labelling depends on voxel adjacency only: an oblique, anisotropic grid gives the same partition.
    func testGeometryDoesNotChangePartition() throws {
        let c = try Synthetic.expected(CCFile.self).components[0]
        let plain = Synthetic.labels(c.mask, Synthetic.geometry(c.size))
        let oblique = Volume(geometry: Synthetic.geometry(c.size, [0.5, 0.9, 4], [[0.6, -0.8, 0], [0.8, 0.6, 0], [0, 0, 1]]), voxels: plain.voxels)
        XCTAssertEqual(ConnectedComponents.label(plain, connectivity: .eighteen).instances.voxels,
                       ConnectedComponents.label(oblique, connectivity: .eighteen).instances.voxels)
    }
}
