import Foundation
import Imaging
import XCTest
@testable import Reports

/// Slice choice and radiological display orientation on grids of several orientations.
final class KeySliceTests: XCTestCase {
    /// An asymmetric phantom: a centre blob (label 1) plus markers 20 mm from the centre towards the
    /// patient's left (intensity 1000, label 3), anterior (500) and superior (250).
    func markerStudy(_ geometry: VolumeGeometry) -> (Volume<Float>, LabelMap, Vector3) {
        let centre = geometry.centerLPS
        var image = Volume<Float>(geometry: geometry, repeating: 10)
        var labels = LabelMap(geometry: geometry, repeating: 0)
        let markers: [(Vector3, Float, UInt8)] = [(Vector3(20, 0, 0), 1000, 3), (Vector3(0, -20, 0), 500, 0), (Vector3(0, 0, 20), 250, 0)]
        let s = geometry.size
        for k in 0..<s.z { for j in 0..<s.y { for i in 0..<s.x {
            let p = geometry.indexToPatient(Vector3(Double(i), Double(j), Double(k)))
            let n = image.linearIndex(i, j, k)
            if norm(p - centre) <= 6 { labels.voxels[n] = 1; image.voxels[n] = 100 }
            for (offset, value, label) in markers where norm(p - centre - offset) <= 5 {
                image.voxels[n] = value
                if label != 0 { labels.voxels[n] = label }
            }
        } } }
        return (image, labels, centre)
    }

    static let geometries: [(String, VolumeGeometry)] = [
        ("LPS", VolumeGeometry(size: SIMD3(40, 44, 36), spacingMM: Vector3(1.5, 1.4, 2))),
        ("RAS", VolumeGeometry(size: SIMD3(40, 44, 36), spacingMM: Vector3(1.5, 1.4, 2),
                               direction: Matrix3(columns: Vector3(-1, 0, 0), Vector3(0, -1, 0), Vector3(0, 0, 1)))),
        ("oblique RIA", Phantom.obliqueGeometry(size: SIMD3(44, 40, 30), spacingMM: Vector3(1.5, 1.6, 2.5))),
        ("sagittal PIL", VolumeGeometry(size: SIMD3(36, 40, 44), spacingMM: Vector3(1.2, 1.8, 1.6),
                                        direction: Matrix3(columns: Vector3(0, 1, 0), Vector3(0, 0, -1), Vector3(1, 0, 0)))),
    ]

    /// Mean (column, row) of the pixels equal to `value`.
    func where_(_ value: Float, in slice: KeySlice) -> (column: Double, row: Double)? {
        var sum = (0.0, 0.0), count = 0.0
        for r in 0..<slice.height { for c in 0..<slice.width where slice.intensities[r * slice.width + c] == value {
            sum.0 += Double(c); sum.1 += Double(r); count += 1
        } }
        return count > 0 ? (sum.0 / count, sum.1 / count) : nil
    }

    func testRadiologicalConventionOnEveryGrid() throws {
        for (name, geometry) in Self.geometries {
            let (image, labels, centre) = markerStudy(geometry)
            let axial = KeySlice(plane: .axial, image: image, labelMap: labels, through: centre)
            let coronal = KeySlice(plane: .coronal, image: image, labelMap: labels, through: centre)
            let sagittal = KeySlice(plane: .sagittal, image: image, labelMap: labels, through: centre)
            let mid = { (s: KeySlice) in (Double(s.width - 1) / 2, Double(s.height - 1) / 2) }

            let left = try XCTUnwrap(where_(1000, in: axial), "\(name): left marker missing in axial")
            XCTAssertGreaterThan(left.column, mid(axial).0 + 5, "\(name): patient's left must be on the image right (axial)")
            let anterior = try XCTUnwrap(where_(500, in: axial), "\(name): anterior marker missing in axial")
            XCTAssertLessThan(anterior.row, mid(axial).1 - 5, "\(name): anterior must be up (axial)")
            XCTAssertEqual([axial.edgeLetters.left, axial.edgeLetters.right, axial.edgeLetters.top, axial.edgeLetters.bottom],
                           ["R", "L", "A", "P"], name)

            let leftC = try XCTUnwrap(where_(1000, in: coronal), "\(name): left marker missing in coronal")
            XCTAssertGreaterThan(leftC.column, mid(coronal).0 + 5, "\(name): patient's left on the image right (coronal)")
            let superior = try XCTUnwrap(where_(250, in: coronal), "\(name): superior marker missing in coronal")
            XCTAssertLessThan(superior.row, mid(coronal).1 - 5, "\(name): superior up (coronal)")
            XCTAssertEqual([coronal.edgeLetters.left, coronal.edgeLetters.right, coronal.edgeLetters.top, coronal.edgeLetters.bottom],
                           ["R", "L", "S", "I"], name)

            let anteriorS = try XCTUnwrap(where_(500, in: sagittal), "\(name): anterior marker missing in sagittal")
            XCTAssertLessThan(anteriorS.column, mid(sagittal).0 - 5, "\(name): anterior on the image left (sagittal)")
            let superiorS = try XCTUnwrap(where_(250, in: sagittal), "\(name): superior marker missing in sagittal")
            XCTAssertLessThan(superiorS.row, mid(sagittal).1 - 5, "\(name): superior up (sagittal)")
            XCTAssertEqual([sagittal.edgeLetters.left, sagittal.edgeLetters.right, sagittal.edgeLetters.top, sagittal.edgeLetters.bottom],
                           ["A", "P", "S", "I"], name)

            // The fixed axis is the voxel axis closest to the plane normal.
            let code = Array(geometry.orientationCode)
            XCTAssertTrue("SI".contains(code[axial.fixedAxis]), "\(name): axial fixes \(code[axial.fixedAxis])")
            XCTAssertTrue("AP".contains(code[coronal.fixedAxis]), "\(name): coronal fixes \(code[coronal.fixedAxis])")
            XCTAssertTrue("LR".contains(code[sagittal.fixedAxis]), "\(name): sagittal fixes \(code[sagittal.fixedAxis])")
            // Pixel spacing follows the walked voxel axes.
            XCTAssertEqual(axial.columnSpacingMM, geometry.spacingMM[axial.columnAxis], name)
            // Every pixel shows the voxel `voxel(column:row:)` names.
            let v = axial.voxel(column: 3, row: 5)
            XCTAssertEqual(axial.intensities[5 * axial.width + 3], image[v.x, v.y, v.z], name)
        }
    }

    /// The rendered PNG (not just the slice arrays) shows the left marker's outline on the image right.
    func testRenderedAxialShowsLeftMarkerOnImageRight() throws {
        for (name, geometry) in Self.geometries {
            let (image, labels, centre) = markerStudy(geometry)
            let slice = KeySlice(plane: .axial, image: image, labelMap: labels, through: centre)
            let marker = RGB(0, 230, 230)
            let style = { (v: UInt8) in LabelStyle(value: v, name: "\(v)", color: v == 3 ? marker : RGB(255, 48, 48)) }
            let (rendered, _) = try SliceRenderer.render(slice, window: DisplayWindow(lowerValue: 0, upperValue: 1000),
                                                         style: style, caption: "t")
            let png = try RasterImage(pngData: rendered.png)
            XCTAssertEqual(png.width, rendered.width)
            var columns = [Int]()
            for y in 0..<png.height { for x in 0..<png.width {
                let p = png.pixel(x: x, y: y)
                if p.red == marker.red && p.green == marker.green && p.blue == marker.blue { columns.append(x) }
            } }
            XCTAssertGreaterThan(columns.count, 20, "\(name): marker outline missing")
            XCTAssertTrue(columns.allSatisfy { $0 > png.width / 2 }, "\(name): marker outline must be in the right half")
            // Square mm: output aspect equals the physical aspect of the slice.
            let physical = Double(slice.width) * slice.columnSpacingMM / (Double(slice.height) * slice.rowSpacingMM)
            XCTAssertEqual(Double(png.width) / Double(png.height), physical, accuracy: 0.01, name)
        }
    }
}
