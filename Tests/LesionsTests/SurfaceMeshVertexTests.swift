import XCTest
import Imaging
@testable import Lesions

/// SurfaceMesh shares vertices through per-plane slot tables instead of a dictionary. Regression
/// test against the dictionary formulation: the vertices must be exactly the distinct triangle
/// corners of the marching-cubes soup, in order of first use (so triangles index the same list),
/// and their number must equal the number of boundary edges (`MarchingCubes.vertexKeys`).
final class SurfaceMeshVertexTests: XCTestCase {
    /// The former implementation: a dictionary from doubled box coordinates to first-use index.
    func dictionaryVertices(_ r: BinaryRegion) -> [Vector3] {
        var index: [SIMD3<Int>: Int] = [:]
        var vertices: [Vector3] = []
        MarchingCubes.forEachTriangle(r) { a, b, c in
            for p in [a, b, c] {
                let key = SIMD3(Int((p.x * 2).rounded()), Int((p.y * 2).rounded()), Int((p.z * 2).rounded()))
                if index[key] == nil { index[key] = vertices.count; vertices.append(r.patient(p)) }
            }
        }
        return vertices
    }

    func check(_ m: LabelMap, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let r = BinaryRegion(m) { $0 != 0 }
        let mesh = SurfaceMesh(r)
        XCTAssertEqual(mesh.verticesLPS, dictionaryVertices(r), what, file: file, line: line)
        XCTAssertEqual(mesh.verticesLPS.count, MarchingCubes.vertexKeys(r).count, what, file: file, line: line)
        let used = Set(mesh.triangles.flatMap { [$0.x, $0.y, $0.z] })
        XCTAssertEqual(used.count, mesh.verticesLPS.count, "\(what): unused or missing vertices", file: file, line: line)
    }

    func testVerticesEqualTheDictionaryFormulation() {
        var rng = UInt64(12345)
        func next() -> UInt64 { rng = rng &* 6364136223846793005 &+ 1442695040888963407; return rng >> 33 }
        // Random sparse and dense noise (many tiny pieces, every cube configuration), anisotropic.
        for (size, percent) in [([9, 7, 5], 50), ([12, 10, 8], 20), ([6, 13, 4], 80)] {
            let g = Synthetic.geometry(size, [0.7, 1.3, 2.5])
            let voxels = (0..<g.voxelCount).map { _ in next() % 100 < percent ? UInt8(1) : 0 }
            check(Volume(geometry: g, voxels: voxels), "noise \(size) \(percent)%")
        }
        // Blobs touching the border, an oblique left-handed grid, one voxel, one-voxel-thick slabs.
        let oblique = Synthetic.geometry([20, 18, 10], [0.8, 0.9, 2], [[-1, 0, 0], [0, 0.6, 0.8], [0, -0.8, 0.6]])
        check(Synthetic.labels(MaskSpec(kind: "ellipsoids", ellipsoids: [[9, 9, 5, 6, 5, 3, 1], [0, 0, 0, 4, 4, 3, 1]]), oblique), "blobs")
        var one = LabelMap(geometry: Synthetic.geometry([1, 1, 1]), repeating: 0)
        one[0, 0, 0] = 1
        check(one, "single voxel")
        for size in [[1, 6, 6], [6, 1, 6], [6, 6, 1]] {
            check(LabelMap(geometry: Synthetic.geometry(size), repeating: 1), "slab \(size)")
        }
        let empty = SurfaceMesh(BinaryRegion(LabelMap(geometry: Synthetic.geometry([3, 3, 3]), repeating: 0)) { $0 != 0 })
        XCTAssertTrue(empty.verticesLPS.isEmpty && empty.triangles.isEmpty)
    }
}
