import Foundation
import XCTest
import Imaging

/// Expected values recorded by Scripts/reference/dicom_expected.py (dcm2niix, pydicom, nibabel).
enum Expected {
    /// Read once and never mutated; the values are immutable JSON values (strings, numbers, arrays,
    /// dictionaries), so sharing them between test threads is safe.
    nonisolated(unsafe) static let json: [String: Any] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Expected/dicom_expected.json")
        guard let data = try? Data(contentsOf: url), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            preconditionFailure("cannot read \(url.path)")
        }
        return object
    }()

    static func section(_ name: String) -> [String: Any] { json[name] as? [String: Any] ?? [:] }

    /// A recorded array summary: shape, FNV-1a hash, sum, samples (flat index with i fastest).
    struct Summary {
        var shape: [Int]
        var hash: String
        var sum: Double
        var samples: [(index: Int, value: Double)]
        var affineRAS: [[Double]]?

        init(_ d: [String: Any]) {
            shape = d["shape"] as? [Int] ?? []
            hash = d["hash"] as? String ?? ""
            sum = d["sum"] as? Double ?? .nan
            samples = (d["samples"] as? [[Double]] ?? []).map { (Int($0[0]), $0[1]) }
            affineRAS = d["affineRAS"] as? [[Double]]
        }

        /// The NIfTI grid (first three dimensions) in LPS.
        func geometry() throws -> VolumeGeometry {
            try VolumeGeometry(size: SIMD3(shape[0], shape[1], shape[2]), affineRAS: affineRAS!)
        }
    }
}

/// FNV-1a 64 of float32 little-endian bytes (-0.0 folded to 0.0), as the Python script computes it.
func fnv1a64(_ values: [Float]) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for v in values {
        var bits = (v + 0).bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { bytes in
            for b in bytes {
                hash ^= UInt64(b)
                hash = hash &* 0x0000_0100_0000_01B3
            }
        }
    }
    let s = String(hash, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}

/// Largest element-wise difference of two 4x4 affines.
func maxAffineDifference(_ a: [[Double]], _ b: [[Double]]) -> Double {
    var m = 0.0
    for r in 0..<3 { for c in 0..<4 { m = max(m, abs(a[r][c] - b[r][c])) } }
    return m
}
