import DICOM
import Foundation
import Imaging
import TestSupport
import XCTest

/// Shared helpers of the RTSTRUCT tests.
enum RTFixtures {
    static let options = RTStructWriteOptions(softwareVersion: "0.1.0", algorithmName: "SegStation test")

    /// `SEGFixtures.labelMap` (balls of labels 1...3 and a corner block touching the border) plus label 4: a
    /// ring with a hole and an island inside the hole on the middle frames, and label 5: pixels touching
    /// only at corners (a diagonal staircase) and single pixels — the cases tracing must get right.
    static func labelMap(on source: SEGSourceSeries) -> LabelMap {
        var map = SEGFixtures.labelMap(on: source, labels: 3)
        let n = map.geometry.size
        let cx = n.x / 2, cy = n.y / 2
        let r = max(6, min(n.x, n.y) / 8)
        let frames = n.z <= 3 ? Array(0..<n.z) : Array((n.z / 2 - 1)...(n.z / 2 + 1))
        for k in frames {
            for j in max(0, cy - r)..<min(n.y, cy + r + 1) {
                for i in max(0, cx - r)..<min(n.x, cx + r + 1) {
                    let d2 = (i - cx) * (i - cx) + (j - cy) * (j - cy)
                    if d2 <= r * r && (d2 > (r * 6 / 10) * (r * 6 / 10) || d2 <= (r / 4) * (r / 4)) { map[i, j, k] = 4 }
                }
            }
            // A diagonal staircase (corner contacts only) and two lone pixels.
            let x0 = max(0, cx - 2 * r), y0 = min(n.y - 8, cy + r + 2)
            for s in 0..<6 { map[x0 + s, y0 + s, k] = 5 }
            map[x0 + 8, y0, k] = 5
            map[x0 + 10, y0 + 2, k] = 5
        }
        return map
    }

    /// Per-label Dice of two label maps on the same frames, for the values in `labels`.
    static func dice(_ a: [UInt8], _ b: [UInt8], labels: [UInt8]) -> [UInt8: Double] {
        var out: [UInt8: Double] = [:]
        for l in labels { out[l] = diceCoefficient(count: a.count, { a[$0] == l }, { b[$0] == l }) }
        return out
    }

    static func temporaryFile(_ name: String) throws -> URL {
        try TestData.temporaryDirectory("rt").appendingPathComponent(name)
    }

    /// Runs dciodvfy on `url`; fails on any line starting with "Error".
    static func assertValid(_ url: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        guard let tool = ExternalTool("dciodvfy") else { throw XCTSkip(ExternalTool.missing("dciodvfy", package: "dicom3tools")) }
        let output = try tool.run([url.path]).output
        let errors = output.split(separator: "\n").filter { $0.hasPrefix("Error") }
        XCTAssertTrue(errors.isEmpty, "dciodvfy \(url.lastPathComponent):\n\(errors.joined(separator: "\n"))", file: file, line: line)
    }
}
