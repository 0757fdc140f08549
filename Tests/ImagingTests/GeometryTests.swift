import XCTest
@testable import Imaging

final class GeometryTests: XCTestCase {
    /// An oblique, anisotropic grid with odd sizes, as GUIDE's synthetic fixtures suggest.
    static func obliqueGeometry() -> VolumeGeometry {
        let a = 0.3, b = 0.2
        let rx = Matrix3(rows: [[1, 0, 0], [0, cos(a), -sin(a)], [0, sin(a), cos(a)]])
        let rz = Matrix3(rows: [[cos(b), -sin(b), 0], [sin(b), cos(b), 0], [0, 0, 1]])
        return VolumeGeometry(size: SIMD3(23, 38, 3), spacingMM: Vector3(0.8, 1.1, 3.5),
                              originLPS: Vector3(-10, 20, 30), direction: rz * rx)
    }

    func testIndexPatientRoundTrip() throws {
        let g = Self.obliqueGeometry()
        for idx in [Vector3(0, 0, 0), Vector3(22, 37, 2), Vector3(3.25, -1.5, 7)] {
            let back = g.patientToIndex(g.indexToPatient(idx))
            XCTAssertLessThan(norm(back - idx), 1e-9)
        }
        XCTAssertEqual(g.indexToPatient(.zero), g.originLPS)
        let step = g.indexToPatient(Vector3(1, 0, 0)) - g.originLPS
        XCTAssertEqual(norm(step), 0.8, accuracy: 1e-12)
    }

    func testAffineDecompositionRoundTrip() throws {
        let g = Self.obliqueGeometry()
        let back = try VolumeGeometry(size: g.size, affineLPS: g.affineLPS)
        XCTAssertLessThan(back.direction.maxAbsDifference(g.direction), 1e-12)
        XCTAssertLessThan(norm(back.spacingMM - g.spacingMM), 1e-12)
        let ras = try VolumeGeometry(size: g.size, affineRAS: g.affineRAS)
        XCTAssertLessThan(norm(ras.originLPS - g.originLPS), 1e-12)
        XCTAssertEqual(g.affineRAS[0][3], -g.originLPS.x)
    }

    func testSingularAffineIsRejected() {
        let flat = [[1.0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]]
        XCTAssertThrowsError(try VolumeGeometry(size: SIMD3(2, 2, 2), affineLPS: flat))
        let bad = VolumeGeometry(size: SIMD3(0, 2, 2))
        XCTAssertThrowsError(try bad.validate())
        XCTAssertThrowsError(try VolumeGeometry(size: SIMD3(1 << 31, 1 << 31, 2)).validate())
    }

    func testOrientationCodes() throws {
        XCTAssertEqual(VolumeGeometry(size: SIMD3(1, 1, 1)).orientationCode, "LPS")
        let ras = Matrix3(rows: [[-1, 0, 0], [0, -1, 0], [0, 0, 1]])
        XCTAssertEqual(AxisOrientation.code(for: ras), "RAS")
        // Sagittal slices: rows go towards A (-y), columns towards I? Image axes (P? ) here: i -> A, j -> I, k -> L.
        let sag = Matrix3(columns: Vector3(0, -1, 0), Vector3(0, 0, -1), Vector3(1, 0, 0))
        XCTAssertEqual(AxisOrientation.code(for: sag), "AIL")
        XCTAssertThrowsError(try AxisOrientation.parse("LLS"))
        XCTAssertThrowsError(try AxisOrientation.parse("LPX"))
        XCTAssertEqual(Self.obliqueGeometry().orientationCode, "LPS")
    }

    func testReorientationKeepsPatientPositions() throws {
        let g = VolumeGeometry(size: SIMD3(4, 3, 2), spacingMM: Vector3(1, 2, 3), originLPS: Vector3(5, 6, 7),
                               direction: Matrix3(columns: Vector3(0, -1, 0), Vector3(0, 0, -1), Vector3(1, 0, 0)))
        let v = Volume<Int32>(geometry: g, voxels: (0..<24).map { Int32($0) })
        for code in ["LPS", "RAS", "SAR", "IPL"] {
            let r = try v.reoriented(to: code)
            XCTAssertEqual(r.geometry.orientationCode, code)
            XCTAssertEqual(r.geometry.voxelCount, 24)
            for k in 0..<r.size.z { for j in 0..<r.size.y { for i in 0..<r.size.x {
                let p = r.geometry.indexToPatient(Vector3(Double(i), Double(j), Double(k)))
                let s = v.geometry.patientToIndex(p)
                let si = Int(s.x.rounded()), sj = Int(s.y.rounded()), sk = Int(s.z.rounded())
                XCTAssertLessThan(norm(s - Vector3(Double(si), Double(sj), Double(sk))), 1e-9)
                XCTAssertEqual(r[i, j, k], v[si, sj, sk])
            }}}
        }
        XCTAssertEqual(try v.reoriented(to: "RAS").reoriented(to: v.geometry.orientationCode), v)
    }
}
