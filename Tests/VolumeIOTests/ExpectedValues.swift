import Foundation
import Imaging
import TestSupport
import XCTest

/// Values recorded by Scripts/reference/volumeio_expected.py (nibabel, pynrrd).
struct ExpectedValues: Decodable {
    struct Checksum: Decodable {
        var sum: Double
        var sumSquares: Double
        var sampleIndices: [Int]
        var sampleValues: [Double]
    }
    struct NIfTIEntry: Decodable {
        var file: String
        var shape: [Int]?
        var dtype: String?
        var affineRAS: [[Double]]?
        var volumeCount: Int?
        var checksum: Checksum?
        var checksumLastVolume: Checksum?
        var referenceError: String?
        var segstationUnsupported: String?
    }
    struct NRRDEntry: Decodable {
        var file: String
        var shape: [Int]
        var dtype: String
        var space: String
        var affineLPS: [[Double]]
        var checksum: Checksum
        var checksumLastVolume: Checksum?
    }
    var nifti: [NIfTIEntry]
    var nrrd: [NRRDEntry]

    static func load(_ relative: String = "Expected/volumeio_expected.json") throws -> ExpectedValues {
        let url = testFolder.appendingPathComponent(relative)
        return try JSONDecoder().decode(ExpectedValues.self, from: Data(contentsOf: url))
    }

    static var testFolder: URL { TestData.repositoryRoot.appendingPathComponent("Tests/VolumeIOTests") }
}

/// Largest element-wise difference between two row-major matrices (first 3 rows).
func maxDifference(_ a: [[Double]], _ b: [[Double]]) -> Double {
    var d = 0.0
    for r in 0..<3 { for c in 0..<4 { d = max(d, abs(a[r][c] - b[r][c])) } }
    return d
}

/// Checks a volume's values against a recorded checksum: exact sampled values, sums to float64 rounding.
func assertChecksum(_ voxels: [Float], _ expected: ExpectedValues.Checksum, _ label: String,
                    file: StaticString = #filePath, line: UInt = #line) {
    var sum = 0.0, squares = 0.0
    voxels.withUnsafeBufferPointer { buffer in
        for v in buffer { let d = Double(v); sum += d; squares += d * d }
    }
    XCTAssertEqual(sum, expected.sum, accuracy: 1e-9 * max(1, abs(expected.sum), expected.sumSquares.squareRoot()), "\(label): sum", file: file, line: line)
    XCTAssertEqual(squares, expected.sumSquares, accuracy: 1e-9 * max(1, expected.sumSquares), "\(label): sum of squares", file: file, line: line)
    var mismatches = 0
    for (index, value) in zip(expected.sampleIndices, expected.sampleValues) where index < voxels.count {
        if Double(voxels[index]) != value {
            mismatches += 1
            if mismatches <= 3 { XCTFail("\(label): voxel \(index) is \(voxels[index]), nibabel/pynrrd \(value)", file: file, line: line) }
        }
    }
    XCTAssertEqual(mismatches, 0, "\(label): sampled voxels differing", file: file, line: line)
    XCTAssertTrue(expected.sampleIndices.allSatisfy { $0 < voxels.count }, "\(label): sample index beyond \(voxels.count) voxels", file: file, line: line)
}
