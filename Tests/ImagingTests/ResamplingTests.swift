import XCTest
@testable import Imaging

final class ResamplingTests: XCTestCase {
    func testSameGridIsIdentity() {
        let g = GeometryTests.obliqueGeometry()
        let v = Volume<Float>(geometry: g, voxels: (0..<g.voxelCount).map { Float($0 % 97) })
        XCTAssertEqual(v.resampled(onto: g, interpolation: .linear, outside: -1), v)
    }

    /// Linear interpolation reproduces a linear function of patient position exactly inside the grid.
    func testLinearIsExactOnLinearField() throws {
        let g = GeometryTests.obliqueGeometry()
        let f: (Vector3) -> Double = { 0.5 * $0.x - 0.25 * $0.y + 2 * $0.z + 1 }
        var vox = [Double]()
        for k in 0..<g.size.z { for j in 0..<g.size.y { for i in 0..<g.size.x {
            vox.append(f(g.indexToPatient(Vector3(Double(i), Double(j), Double(k)))))
        }}}
        let v = Volume(geometry: g, voxels: vox)
        let fine = try v.resampled(toSpacing: Vector3(0.4, 0.55, 1.75), interpolation: .linear, outside: .nan)
        XCTAssertEqual(fine.size, SIMD3(46, 76, 6))
        var checked = 0
        for k in 0..<fine.size.z { for j in 0..<fine.size.y { for i in 0..<fine.size.x {
            let p = fine.geometry.indexToPatient(Vector3(Double(i), Double(j), Double(k)))
            let s = g.patientToIndex(p)
            guard s.x >= 0, s.y >= 0, s.z >= 0, s.x <= 22, s.y <= 37, s.z <= 2 else { continue }
            XCTAssertEqual(fine[i, j, k], f(p), accuracy: 1e-9)
            checked += 1
        }}}
        XCTAssertGreaterThan(checked, 10_000)
    }

    func testNearestKeepsLabelsAndOutsideValue() {
        let g = VolumeGeometry(size: SIMD3(4, 4, 4))
        var v = LabelMap(geometry: g, repeating: 0)
        v[1, 2, 3] = 7
        var shifted = g
        shifted.originLPS = Vector3(1, 0, 0)
        let r = v.resampled(onto: shifted, interpolation: .nearest, outside: 255)
        XCTAssertEqual(r[0, 2, 3], 7)
        XCTAssertEqual(r[3, 0, 0], 255)   // beyond the source edge
        XCTAssertEqual(Set(r.voxels), [0, 7, 255])
    }
}
