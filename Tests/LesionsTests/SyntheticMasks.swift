import Foundation
import Imaging
@testable import Lesions
import TestSupport

/// Regenerates the synthetic masks of Scripts/reference/lesions_synthetic.py bit-for-bit.
struct MaskSpec: Decodable {
    var kind: String
    var seed: UInt32?
    var percent: UInt32?
    var labels: UInt32?
    var ellipsoids: [[Double]]?
    var lo: [Int]?
    var hi: [Int]?
}

enum Synthetic {
    static func lcg(seed: UInt32, count: Int) -> [UInt32] {
        var s = seed
        return (0..<count).map { _ in s = s &* 1664525 &+ 1013904223; return s }
    }

    static func geometry(_ size: [Int], _ spacing: [Double] = [1, 1, 1], _ direction: [[Double]]? = nil) -> VolumeGeometry {
        VolumeGeometry(size: SIMD3(size[0], size[1], size[2]), spacingMM: Vector3(spacing[0], spacing[1], spacing[2]),
                       originLPS: Vector3(-12.5, 30.25, 7), direction: direction.map { Matrix3(rows: $0) } ?? .identity)
    }

    static func labels(_ spec: MaskSpec, _ g: VolumeGeometry) -> LabelMap {
        let n = g.size
        switch spec.kind {
        case "noise":
            let r = lcg(seed: spec.seed!, count: g.voxelCount)
            let k = spec.labels ?? 1
            return Volume(geometry: g, voxels: r.map { ($0 >> 8) % 100 < spec.percent! ? UInt8(1 + ($0 >> 20) % k) : 0 })
        case "ellipsoids":
            var v = LabelMap(geometry: g, repeating: 0)
            for e in spec.ellipsoids! {
                for k in 0..<n.z { for j in 0..<n.y { for i in 0..<n.x {
                    let a = (Double(i) - e[0]) / e[3], b = (Double(j) - e[1]) / e[4], c = (Double(k) - e[2]) / e[5]
                    if a * a + b * b + c * c <= 1 { v[i, j, k] = UInt8(e[6]) }
                } } }
            }
            return v
        case "box":
            var v = LabelMap(geometry: g, repeating: 0)
            let lo = spec.lo!, hi = spec.hi!
            for k in lo[2]...hi[2] { for j in lo[1]...hi[1] { for i in lo[0]...hi[0] { v[i, j, k] = 1 } } }
            return v
        default:
            preconditionFailure("unknown mask kind \(spec.kind)")
        }
    }

    static func image(seed: UInt32, _ g: VolumeGeometry) -> Volume<Float> {
        Volume(geometry: g, voxels: lcg(seed: seed, count: g.voxelCount).map { Float(Int(($0 >> 12) % 2000) - 1000) })
    }

    /// Canonical checksum of a labelling numbered by first voxel in memory order.
    static func checksum(_ ids: [Int32]) -> Int64 {
        var s: Int64 = 0
        for (v, id) in ids.enumerated() { s &+= Int64(id) * Int64(v % 1_000_003 + 1) }
        return s
    }

    static func expected<T: Decodable>(_ type: T.Type, file: String = "lesions_synthetic.json") throws -> T {
        let url = TestData.repositoryRoot.appendingPathComponent("Tests/LesionsTests/Expected/\(file)")
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }
}

func assertRelative(_ actual: Double?, _ expected: Double?, _ tol: Double, _ what: String,
                    file: StaticString = #filePath, line: UInt = #line) {
    guard let e = expected, e.isFinite else {
        XCTAssertTrue(actual == nil || !(actual!.isFinite), "\(what): expected undefined, got \(String(describing: actual))", file: file, line: line)
        return
    }
    guard let a = actual else { XCTFail("\(what): nil, expected \(e)", file: file, line: line); return }
    let err = abs(a - e) / max(abs(e), 1e-12)
    XCTAssertTrue(err <= tol || abs(a - e) < 1e-12, "\(what): \(a) vs expected \(e) (relative \(err))", file: file, line: line)
}

import XCTest
