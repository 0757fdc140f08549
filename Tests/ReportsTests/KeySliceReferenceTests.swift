import Foundation
import Imaging
import TestSupport
import VolumeIO
import XCTest
@testable import Reports

/// Key slices of real scans (RAS CT, LPS MR) against nibabel's reorientation
/// (Scripts/reference/report_key_slices.py -> Expected/key_slices.json).
final class KeySliceReferenceTests: XCTestCase {
    struct Record: Decodable {
        struct Scan: Decodable {
            var file: String
            var throughLPS: [Double]
            var slices: [String: Slice]
        }
        struct Slice: Decodable {
            var width: Int, height: Int, sum: Double
            var samples: [Sample]
            var columnSums: [Double], rowSums: [Double]
        }
        struct Sample: Decodable { var row: Int, column: Int, value: Double }
        var scans: [Scan]
    }

    func testSlicesMatchNibabelReorientation() throws {
        let url = TestData.repositoryRoot.appendingPathComponent("Tests/ReportsTests/Expected/key_slices.json")
        let record = try JSONDecoder().decode(Record.self, from: Data(contentsOf: url))
        XCTAssertEqual(record.scans.count, 2)
        for scan in record.scans {
            guard let path = TestData.path(scan.file) else { throw XCTSkip(TestData.missing(scan.file)) }
            let image = try VolumeFile.read(path)
            let labels = LabelMap(geometry: image.geometry, repeating: 0)
            let point = Vector3(scan.throughLPS[0], scan.throughLPS[1], scan.throughLPS[2])
            for plane in SlicePlane.allCases {
                let expected = try XCTUnwrap(scan.slices[plane.rawValue])
                let slice = KeySlice(plane: plane, image: image, labelMap: labels, through: point)
                let name = "\(scan.file) \(plane)"
                XCTAssertEqual(slice.width, expected.width, name)
                XCTAssertEqual(slice.height, expected.height, name)
                guard slice.width == expected.width, slice.height == expected.height else { continue }
                for s in expected.samples {
                    XCTAssertEqual(Double(slice.intensities[s.row * slice.width + s.column]), s.value, accuracy: 1e-3,
                                   "\(name) at row \(s.row), column \(s.column)")
                }
                var columnSums = [Double](repeating: 0, count: slice.width), rowSums = [Double](repeating: 0, count: slice.height)
                for r in 0..<slice.height { for c in 0..<slice.width {
                    let v = Double(slice.intensities[r * slice.width + c])
                    columnSums[c] += v
                    rowSums[r] += v
                } }
                let worstColumn = zip(columnSums, expected.columnSums).map { abs($0 - $1) }.max() ?? 0
                let worstRow = zip(rowSums, expected.rowSums).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(worstColumn, 0.01, "\(name): column sums (a flip or transposition shows here)")
                XCTAssertLessThan(worstRow, 0.01, "\(name): row sums")
                XCTAssertEqual(columnSums.reduce(0, +), expected.sum, accuracy: 1e-6 * max(1, abs(expected.sum)), name)
            }
        }
    }
}
