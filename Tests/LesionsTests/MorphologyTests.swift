import XCTest
import Imaging
@testable import Lesions

private struct MorphFile: Decodable {
    struct Summary: Decodable, Equatable { var count: Int; var checksum: Int64 }
    struct Case: Decodable {
        var name: String; var size: [Int]; var spacing: [Double]; var radius: Double; var mask: MaskSpec
        var expected: [String: Summary]
    }
    var morphology: [Case]
}

private func summary(_ m: LabelMap) -> MorphFile.Summary {
    var s: Int64 = 0, n = 0
    for (v, x) in m.voxels.enumerated() where x != 0 { s += Int64(v % 1_000_003 + 1); n += 1 }
    return MorphFile.Summary(count: n, checksum: s)
}

final class MorphologyTests: XCTestCase {
    /// scipy.ndimage binary erosion (border 1) / dilation (border 0) with the spacing-aware ball,
    /// and binary_fill_holes in 3D and per slice.
    func testMatchesScipyWithEllipsoidalElement() throws {
        for c in try Synthetic.expected(MorphFile.self).morphology {
            for direction in [nil, [[0.6, -0.8, 0.0], [0.8, 0.6, 0.0], [0.0, 0.0, 1.0]]] as [[[Double]]?] {
                let m = Synthetic.labels(c.mask, Synthetic.geometry(c.size, c.spacing, direction))
                let name = c.name + (direction == nil ? "" : " oblique")
                for op in Morphology.Operation.allCases {
                    let out = try Morphology.apply(op, to: m, label: 1, radiusMM: c.radius)
                    XCTAssertEqual(summary(out), c.expected[op.rawValue], "\(name) \(op)")
                }
                XCTAssertEqual(summary(LabelOperations.fillingHoles(m, label: 1)), c.expected["fill3D"], name)
                XCTAssertEqual(summary(LabelOperations.fillingHoles(m, label: 1, perSlice: true)), c.expected["fillPerSlice"], name)
            }
        }
    }

    /// The EDT path (orthonormal grids) and the direct stamping path (used for sheared grids) agree
    /// on the same element.
    func testStampingEqualsDistanceTransform() throws {
        let c = try Synthetic.expected(MorphFile.self).morphology[0]
        let g = Synthetic.geometry(c.size, c.spacing)
        let mask = Synthetic.labels(c.mask, g).voxels.map { $0 != 0 }
        let limit = c.radius * c.radius * (1 + Morphology.radiusSlack) + 1e-12
        XCTAssertEqual(Morphology.dilate(mask, g, c.radius), Morphology.stamp(mask, g, limit))
    }

    func testEdgeCases() throws {
        let g = Synthetic.geometry([5, 5, 5], [1, 1, 3])
        let empty = LabelMap(geometry: g, repeating: 0)
        for op in Morphology.Operation.allCases {
            XCTAssertEqual(try Morphology.apply(op, to: empty, label: 1, radiusMM: 2), empty)
        }
        var one = empty
        one[0, 0, 0] = 1
        // Radius 1 mm on 1 x 1 x 3 mm voxels: only the neighbours along i and j (here at the corner: 2).
        XCTAssertEqual(try Morphology.apply(.dilate, to: one, label: 1, radiusMM: 1).voxels.filter { $0 == 1 }.count, 3)
        XCTAssertEqual(try Morphology.apply(.erode, to: one, label: 1, radiusMM: 1).voxels.filter { $0 == 1 }.count, 0)
        XCTAssertEqual(try Morphology.apply(.dilate, to: one, label: 1, radiusMM: 0.5), one)
        // Erosion keeps a mask that fills the grid (outside counts as foreground).
        let full = LabelMap(geometry: g, repeating: 1)
        XCTAssertEqual(try Morphology.apply(.erode, to: full, label: 1, radiusMM: 3), full)
        XCTAssertThrowsError(try Morphology.apply(.dilate, to: one, label: 1, radiusMM: -1))
        XCTAssertThrowsError(try Morphology.apply(.dilate, to: one, label: 0, radiusMM: 1))
        // Sheared grid: a k step is (0, 1.8, 2.4) mm, so offset (0, 0, 1) is 3 mm away but
        // (0, -1, 1) only |(0, 0.8, 2.4)| = 2.53 mm: a 2.55 mm ball reaches the latter only.
        var sg = g
        sg.direction = Matrix3(columns: Vector3(1, 0, 0), Vector3(0, 1, 0), Vector3(0, 0.6, 0.8))
        var center = LabelMap(geometry: sg, repeating: 0)
        center[2, 2, 2] = 1
        let d = try Morphology.apply(.dilate, to: center, label: 1, radiusMM: 2.55)
        XCTAssertEqual(d[2, 1, 3], 1)
        XCTAssertEqual(d[2, 2, 3], 0)
        // Other labels survive dilation unless overwriting is asked for.
        var two = one
        two[1, 0, 0] = 2
        XCTAssertEqual(try Morphology.apply(.dilate, to: two, label: 1, radiusMM: 1)[1, 0, 0], 2)
        XCTAssertEqual(try Morphology.apply(.dilate, to: two, label: 1, radiusMM: 1, overwriteOtherLabels: true)[1, 0, 0], 1)
    }
}
