import XCTest
import Foundation
import Imaging
@testable import Lesions
import TestSupport

final class BoundaryTests: XCTestCase {
    /// A 3 x 2 rectangle of voxels on a 0.5 x 2 mm grid: one counter-clockwise octagon through the
    /// edge midpoints, area = pixel area minus the four corner triangles.
    func testRectangleContour() {
        var m = LabelMap(geometry: Synthetic.geometry([5, 4, 2], [0.5, 2, 3]), repeating: 0)
        for j in 1...2 { for i in 1...3 { m[i, j, 1] = 1 } }
        let c = Contours.slices(BinaryRegion(m) { $0 != 0 })
        XCTAssertEqual(c.count, 1)
        XCTAssertEqual(c[0].sliceIndex, 1)
        XCTAssertFalse(c[0].isHole)
        XCTAssertEqual(c[0].pointsLPS.count, 10)  // 3 + 2 + 3 + 2 edge midpoints
        // 6 pixels of 1 mm^2 minus 4 half-pixel corners (each 1/8 of a pixel): 6 - 0.5 = 5.5 mm^2.
        XCTAssertEqual(c[0].areaMM2, 5.5, accuracy: 1e-12)
        for p in c[0].pointsLPS { XCTAssertEqual(p[2], 7 + 3, accuracy: 1e-12) }
    }

    func testRingHasHoleAndBorderMaskCloses() {
        var m = LabelMap(geometry: Synthetic.geometry([3, 3, 1]), repeating: 1)
        m[1, 1, 0] = 0
        let c = Contours.slices(BinaryRegion(m) { $0 != 0 })
        XCTAssertEqual(c.map(\.isHole).sorted { !$0 && $1 }, [false, true])
        XCTAssertEqual(c.first { !$0.isHole }!.areaMM2, 9 - 0.5, accuracy: 1e-12)  // closed along the border
        XCTAssertEqual(c.first { $0.isHole }!.areaMM2, 0.5, accuracy: 1e-12)
        XCTAssertTrue(Contours.slices(BinaryRegion(LabelMap(geometry: m.geometry, repeating: 0)) { $0 != 0 }).isEmpty)
    }

    /// Contours follow an oblique grid into patient space.
    func testObliqueContourPoints() {
        let rot = [[0.6, -0.8, 0.0], [0.8, 0.6, 0.0], [0.0, 0.0, 1.0]]
        var m = LabelMap(geometry: Synthetic.geometry([3, 3, 1], [1, 1, 1], rot), repeating: 0)
        m[1, 1, 0] = 1
        let c = Contours.slices(BinaryRegion(m) { $0 != 0 })[0]
        let g = m.geometry
        let expected = [Vector3(1, 0.5, 0), Vector3(1.5, 1, 0), Vector3(1, 1.5, 0), Vector3(0.5, 1, 0)].map { g.indexToPatient($0) }
        for e in expected {
            XCTAssertTrue(c.pointsLPS.contains { abs($0[0] - e.x) + abs($0[1] - e.y) + abs($0[2] - e.z) < 1e-9 }, "\(e)")
        }
    }

    /// RECIST on an ellipse-like slab: long axis along i, perpendicular short axis along j.
    func testRecistAxes() throws {
        var m = LabelMap(geometry: Synthetic.geometry([12, 8, 3], [1, 1, 5]), repeating: 0)
        for j in 2...4 { for i in 1...9 { m[i, j, 1] = 1 } }   // 9 x 3 rectangle in slice 1
        for i in 3...5 { m[i, 3, 2] = 1 }                      // smaller piece in slice 2
        let r = try XCTUnwrap(RecistDiameters(BinaryRegion(m) { $0 != 0 }))
        XCTAssertEqual(r.sliceIndex, 1)
        // Contour vertices are edge midpoints: the farthest pair is (0.5, 2) - (9.5, 4), sqrt(81 + 4).
        XCTAssertEqual(r.longAxisMM, 85.0.squareRoot(), accuracy: 1e-9)
        // The perpendicular chord crosses the 3 mm high strip at the long axis' tilt: 3 / cos.
        XCTAssertEqual(r.shortAxisMM, 3 * 85.0.squareRoot() / 9, accuracy: 1e-9)
        let a = r.shortAxisEndpointsLPS, b = r.longAxisEndpointsLPS
        let short = Vector3(a[1][0] - a[0][0], a[1][1] - a[0][1], a[1][2] - a[0][2])
        let long = Vector3(b[1][0] - b[0][0], b[1][1] - b[0][1], b[1][2] - b[0][2])
        XCTAssertEqual(dot(short, long), 0, accuracy: 1e-9)
        XCTAssertNil(RecistDiameters(BinaryRegion(LabelMap(geometry: m.geometry, repeating: 0)) { $0 != 0 }))
        var one = LabelMap(geometry: Synthetic.geometry([3, 3, 3], [0.5, 2, 3]), repeating: 0)
        one[0, 0, 0] = 1  // single voxel at the border corner
        let s = try XCTUnwrap(RecistDiameters(BinaryRegion(one) { $0 != 0 }))
        XCTAssertEqual(s.longAxisMM, 2, accuracy: 1e-12)
        XCTAssertEqual(s.shortAxisMM, 0.5, accuracy: 1e-12)
    }

    /// The exported mesh is closed and consistently oriented: its enclosed volume (signed, from
    /// the centroid) is positive and equals the mesh volume when pyradiomics' table is consistent.
    func testMeshOrientationAndFiles() throws {
        for direction in [nil, [[-1.0, 0, 0], [0, 1, 0], [0, 0, 1]]] as [[[Double]]?] {
            let g = Synthetic.geometry([20, 18, 10], [0.8, 0.9, 2], direction)
            let m = Synthetic.labels(MaskSpec(kind: "ellipsoids", ellipsoids: [[9, 9, 5, 6, 5, 3, 1], [2, 2, 0, 3, 3, 2, 1]]), g)
            let region = BinaryRegion(m) { $0 != 0 }
            let mesh = SurfaceMesh(region)
            // Every edge is shared by exactly two triangles, in opposite directions.
            var edges: [SIMD2<Int32>: Int] = [:]
            for t in mesh.triangles {
                for (a, b) in [(t.x, t.y), (t.y, t.z), (t.z, t.x)] { edges[SIMD2(a, b), default: 0] += 1 }
            }
            for (e, n) in edges { XCTAssertEqual(n, 1); XCTAssertEqual(edges[SIMD2(e.y, e.x)], 1) }
            XCTAssertEqual(mesh.enclosedVolumeMM3, ShapeFeatures(region).meshVolumeMM3, accuracy: 1e-6 * mesh.enclosedVolumeMM3)
        }
        let g = Synthetic.geometry([4, 4, 4])
        var m = LabelMap(geometry: g, repeating: 0)
        m[1, 1, 1] = 1
        let mesh = SurfaceMesh(BinaryRegion(m) { $0 != 0 })
        XCTAssertEqual(mesh.triangles.count, 8)
        XCTAssertEqual(mesh.verticesLPS.count, 6)
        let dir = try TestData.temporaryDirectory("lesions-mesh")
        defer { try? FileManager.default.removeItem(at: dir) }
        let stl = dir.appendingPathComponent("m.stl"), obj = dir.appendingPathComponent("m.obj")
        try mesh.write(to: stl)
        try mesh.write(to: obj)
        let data = try Data(contentsOf: stl)
        XCTAssertEqual(data.count, 84 + 50 * 8)
        XCTAssertEqual(data[80..<84].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }, 8)
        let text = try String(contentsOf: obj, encoding: .utf8)
        XCTAssertEqual(text.split(separator: "\n").filter { $0.hasPrefix("f ") }.count, 8)
        XCTAssertThrowsError(try mesh.write(to: dir.appendingPathComponent("m.ply")))
        XCTAssertThrowsError(try mesh.write(to: URL(fileURLWithPath: "/nonexistent-dir/m.stl"))) { e in
            XCTAssertEqual((e as? LesionsError)?.category, .outputFailed)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted(), ["m.obj", "m.stl"])
    }

    func testAnalyzerPerLesionAndPerLabel() throws {
        let g = Synthetic.geometry([20, 18, 10], [0.8, 0.9, 2])
        var m = Synthetic.labels(MaskSpec(kind: "ellipsoids", ellipsoids: [[9, 9, 5, 6, 5, 3, 1], [2, 2, 0, 3, 3, 2, 1], [16, 15, 5, 1, 1, 1, 2]]), g)
        m[19, 0, 9] = 1  // a single border voxel: 1.44 mm^3
        let image = Synthetic.image(seed: 5, g)
        let all = try LesionAnalyzer.measure(labels: m, image: image)
        XCTAssertEqual(all.map(\.label), [1, 2])
        XCTAssertEqual(all[0].lesionCount, 3)
        XCTAssertEqual(all[0].lesions.map(\.voxelCount).reduce(0, +), all[0].total.voxelCount)
        XCTAssertTrue(all[0].lesions.contains { $0.touchesBorder && $0.voxelCount == 1 })
        XCTAssertFalse(all[1].total.touchesBorder)
        let filtered = try LesionAnalyzer.measure(labels: m, image: image, label: 1, minVolumeMM3: 2)
        XCTAssertEqual(filtered.map(\.label), [1])
        XCTAssertEqual(filtered[0].lesionCount, 2)
        XCTAssertEqual(filtered[0].total.volumeML * 1000, Double(filtered[0].total.voxelCount) * 1.44, accuracy: 1e-9)
        XCTAssertTrue(try LesionAnalyzer.measure(labels: LabelMap(geometry: g, repeating: 0)).isEmpty)
        XCTAssertThrowsError(try LesionAnalyzer.measure(labels: m, image: Synthetic.image(seed: 5, Synthetic.geometry([20, 18, 11]))))
    }
}
