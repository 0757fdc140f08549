import Engine
import Foundation
import Inference
import TestSupport
import XCTest
@testable import Pipeline

/// An instance model on slices larger than its patch (docs/INSTANCES.md, "Tiling"): the oracle detector
/// (Tests/PipelineTests/Fixtures/oracle-instances-2d: one detection per intensity value v = 1...6 in its
/// window, mask = the value's pixels, score v / 10; patch 24 x 24, `stepFraction` 0.5) on a 46 x 46
/// slice, windows at rows and columns 0, 11 and 22. Every object must come out as one detection
/// holding exactly its painted pixels, wherever it lies relative to the windows.
final class TiledInstanceTests: XCTestCase {
    static let package = TestData.repositoryRoot.appendingPathComponent("Tests/PipelineTests/Fixtures/oracle-instances-2d")

    /// The painted objects, by value: each a set of (row, column) on the 46 x 46 slice.
    static func objects() -> [Int: [(Int, Int)]] {
        var objects: [Int: [(Int, Int)]] = [:]
        func add(_ v: Int, rows: ClosedRange<Int>, columns: ClosedRange<Int>, inside: (Int, Int) -> Bool = { _, _ in true }) {
            for r in rows { for c in columns where inside(r, c) { objects[v, default: []].append((r, c)) } }
        }
        // 1: a disc in the middle of window (1, 1), whole in four windows: kept once.
        add(1, rows: 14...20, columns: 14...20) { r, c in (r - 17) * (r - 17) + (c - 17) * (c - 17) <= 9 }
        // 2: across the seams of row windows 0 and 2 (rows 23 and 22 are their inner borders): cut in
        //    both, whole only in row window 1.
        add(2, rows: 20...27, columns: 3...8)
        // 3: the slice's bottom-right corner: on the slice edge, not an inner border, so whole.
        add(3, rows: 42...45, columns: 42...45)
        // 4: a bar wider than any window's overlap, cut in each of the three column windows it
        //    crosses (columns 23, 11 and 34, 22): the pieces are merged into one, whole.
        add(4, rows: 35...38, columns: 2...43)
        // 5: on the corner where windows (0, 0) and (2, 2) meet (rows and columns 22...25): cut in
        //    both, whole in window (1, 1).
        add(5, rows: 22...25, columns: 22...25)
        // 6: a second bar touching bar 4 (rows 39...40 under 4's 35...38), also cut in every window it
        //    crosses: the two stay two detections (their pieces share no pixel).
        add(6, rows: 39...40, columns: 10...30)
        return objects
    }

    func predictor(stepFraction: Double) throws -> InstancePredictor {
        let package = try ModelPackage(folder: Self.package)
        let manifest = package.manifest
        XCTAssertEqual(try manifest.tensorPatch(), [1, 24, 24])
        return InstancePredictor(detector: try EngineDetector(package: package, backend: .reference, threads: 1),
                                 settings: manifest.instanceSettings, patch: try manifest.tensorPatch(), padValue: 0,
                                 labelValues: [1], tileStepFraction: stepFraction)
    }

    func testObjectsInWindowsAcrossSeamsAndAtCornersComeOutOnceWhole() throws {
        let (h, w) = (46, 46)
        XCTAssertEqual(SliceTiling.tiles(height: h, width: w, patch: (24, 24), stepFraction: 0.5).map { [$0.row, $0.column] },
                       [0, 11, 22].flatMap { r in [0, 11, 22].map { [r, $0] } })
        var input = ChannelArray(channels: 1, shape: [2, h, w])   // slice 0 painted, slice 1 empty
        let objects = Self.objects()
        for (v, pixels) in objects { for (r, c) in pixels { input.values[r * w + c] = Float(v) } }
        let manifestStep = try ModelPackage(folder: Self.package).manifest.slidingWindow.stepFraction
        let result = try predictor(stepFraction: manifestStep).predict(input)

        XCTAssertEqual(result.detections.count, objects.count, "one detection per object: \(result.detections)")
        XCTAssertTrue(result.detections.allSatisfy { $0.slice == 0 && $0.label == 1 })
        for (v, pixels) in objects.sorted(by: { $0.key < $1.key }) {
            // The detection of value v is the one scoring v / 10; its id covers exactly v's pixels.
            guard let index = result.detections.firstIndex(where: { $0.score == Double(Float(v) / 10) }) else {
                XCTFail("no detection of object \(v)"); continue
            }
            let id = Int32(index + 1)
            let painted = Set(pixels.map { $0.0 * w + $0.1 })
            let detected = Set((0..<(h * w)).filter { result.ids[$0] == id })
            XCTAssertTrue(detected == painted, "object \(v): \(detected.count) pixels detected, \(painted.count) painted, "
                          + "\(detected.intersection(painted).count) in common")
        }
        XCTAssertEqual(result.ids[(h * w)...].filter { $0 != 0 }.count, 0, "the empty slice has no detection")
    }

    /// A slice smaller than the patch along one axis and larger along the other: padded along the
    /// first (one window), tiled along the second.
    func testPaddedAlongOneAxisTiledAlongTheOther() throws {
        let (h, w) = (10, 40)
        var input = ChannelArray(channels: 1, shape: [1, h, w])
        for r in 3...6 { for c in 5...36 { input.values[r * w + c] = 2 } }   // cut in the column windows at 0, 8 and 16
        for r in 0...1 { for c in 0...1 { input.values[r * w + c] = 1 } }    // the slice's top-left corner
        let result = try predictor(stepFraction: 0.5).predict(input)
        XCTAssertEqual(result.detections.map(\.score), [0.1, 0.2].map { Double(Float($0)) })
        XCTAssertTrue(result.ids.map { Int($0) } == input.values.map { Int($0) }, "ids: \(result.ids.map { Int($0) }.filter { $0 != 0 }.count) "
                      + "pixels detected, \(input.values.filter { $0 != 0 }.count) painted")
    }
}
