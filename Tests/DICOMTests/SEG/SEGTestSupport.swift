import DICOM
import Foundation
import Imaging
import TestSupport
import XCTest

/// Shared helpers of the SEG and SR tests.
enum SEGFixtures {
    static let options = SEGWriteOptions(softwareVersion: "0.1.0", algorithmName: "SegStation test", algorithmVersion: "1")

    static func source(_ relative: String) throws -> SEGSourceSeries {
        guard let path = TestData.path(relative) else { throw XCTSkip(TestData.missing(relative)) }
        // SEG sources keep their exact frames; unevenly spaced ones (dcm_qa_ct/GE) need the same flag as
        // every other reader (--uneven-spacing resample) to be accepted.
        return try SEGSourceSeries.read(URL(fileURLWithPath: path), options: DICOMLoadOptions(unevenSpacing: .resample))
    }

    /// A label map on the source frames: `labels` balls of growing label value spread over the volume,
    /// plus label 1 filling a corner block, so every label touches several frames.
    static func labelMap(on source: SEGSourceSeries, labels: Int) -> LabelMap {
        let g = source.geometry
        var map = LabelMap(geometry: g, repeating: 0)
        let n = g.size
        for label in 1...labels {
            let t = Double(label) / Double(labels + 1)
            let cx = Int(Double(n.x) * (0.2 + 0.6 * t)), cy = Int(Double(n.y) * (0.8 - 0.6 * t))
            let cz = min(n.z - 1, Int(Double(n.z) * t))
            let r = max(2, min(n.x, n.y) / (4 + labels))
            let rz = max(0, min(n.z / 3, 3))
            for k in max(0, cz - rz)...min(n.z - 1, cz + rz) {
                for j in max(0, cy - r)..<min(n.y, cy + r) {
                    for i in max(0, cx - r)..<min(n.x, cx + r) where (i - cx) * (i - cx) + (j - cy) * (j - cy) <= r * r {
                        map[i, j, k] = UInt8(label)
                    }
                }
            }
        }
        for k in 0..<n.z { for j in 0..<min(3, n.y) { for i in 0..<min(5, n.x) { map[i, j, k] = 1 } } }
        return map
    }

    static func temporaryFile(_ name: String) throws -> URL {
        try TestData.temporaryDirectory("seg").appendingPathComponent(name)
    }
}
