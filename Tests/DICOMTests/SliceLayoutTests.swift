import XCTest
@testable import DICOM
import Imaging

/// Slice arrangement analysis on synthetic positions (no data needed).
final class SliceLayoutTests: XCTestCase {
    let normal = Vector3(0, 0, 1)

    func testEvenAxialStack() {
        let layout = SliceLayout(sortedPositions: (0..<10).map { Vector3(-100, -120, 2.5 * Double($0)) }, normal: normal, inPlaneSpacingMM: 0.7)
        XCTAssertTrue(layout.isEvenlySpaced)
        XCTAssertEqual(layout.tiltDegrees, 0)
        XCTAssertEqual(layout.meanStepMM!, 2.5, accuracy: 1e-12)
        XCTAssertTrue(layout.warnings.isEmpty)
    }

    func testRoundedPositionsAreNotTilt() {
        // Positions written with two decimals: up to 0.005 mm of sideways jitter.
        let p = (0..<3).map { Vector3(-100 + (($0 == 2) ? 0.01 : 0), -120, 2.4 * Double($0)) }
        let layout = SliceLayout(sortedPositions: p, normal: normal, inPlaneSpacingMM: 1)
        XCTAssertEqual(layout.tiltDegrees, 0)
        XCTAssertEqual(layout.lineDirection, normal)
    }

    func testTiltMissingAndUnevenSlices() {
        let tilted = (0..<8).map { k -> Vector3 in Vector3(0, -tan(15 * .pi / 180) * 3 * Double(k), 3 * Double(k)) }
        let t = SliceLayout(sortedPositions: tilted, normal: normal, inPlaneSpacingMM: 0.5)
        XCTAssertEqual(t.tiltDegrees, 15, accuracy: 1e-9)
        XCTAssertEqual(t.warnings.map(\.kind), [.gantryTilt])
        XCTAssertEqual(t.meanStepMM!, 3 / cos(15 * .pi / 180), accuracy: 1e-9, "step along the tilted line")

        let gap = [0.0, 2, 4, 10, 12, 14].map { Vector3(0, 0, $0) }
        let g = SliceLayout(sortedPositions: gap, normal: normal, inPlaneSpacingMM: 1)
        XCTAssertEqual(g.warnings.map(\.kind), [.missingSlices])
        XCTAssertTrue(g.warnings[0].message.hasPrefix("2 slice(s) missing"), g.warnings[0].message)

        let uneven = [0.0, 2, 4, 5, 7].map { Vector3(0, 0, $0) }
        XCTAssertEqual(SliceLayout(sortedPositions: uneven, normal: normal, inPlaneSpacingMM: 1).warnings.map(\.kind), [.unevenSpacing])

        let zigzag = [Vector3(0, 0, 0), Vector3(3, 0, 2), Vector3(0, 0, 4)]
        XCTAssertEqual(SliceLayout(sortedPositions: zigzag, normal: normal, inPlaneSpacingMM: 1).warnings.map(\.kind), [.nonCollinearPositions])
    }
}
