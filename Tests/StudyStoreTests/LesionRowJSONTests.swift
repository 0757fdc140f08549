import Core
import Foundation
@testable import StudyStore
import TestSupport
import XCTest

/// `LesionRow`'s compact writer (GET /lesions) against the reference, Foundation's JSONEncoder in
/// `JSONFormat`'s style: the same bytes for every kind of value.
final class LesionRowJSONTests: XCTestCase {
    func written(_ rows: [LesionRow]) -> String {
        var w = JSONFormat.CompactWriter()
        w.beginArray()
        for row in rows { row.writeJSON(to: &w) }
        w.endArray()
        return String(decoding: w.bytes, as: UTF8.self)
    }

    func encoded(_ rows: [LesionRow]) throws -> String {
        String(decoding: try JSONFormat.encoder(pretty: false).encode(rows), as: UTF8.self)
    }

    static func row(_ i: Int) -> LesionRow {
        LesionRow(runID: Int64(i), patientID: "P\(i)", studyInstanceUID: "1.2.\(i)", studyDate: "2025-01-0\(i % 9 + 1)",
                  seriesInstanceUID: "1.2.\(i).1", frameOfReferenceUID: "1.2.\(i).0", modelName: "model/x", labelValue: i % 3,
                  label: "tumour", lesionIndex: i, voxelCount: i * 7, volumeML: Double(i) / 3, meshVolumeML: 0.1, surfaceAreaMM2: 100,
                  sphericity: 0.5, maxDiameter3DMM: 12.25, recistLongMM: 1e-7, recistShortMM: 1e21, centroidXMM: -0.0,
                  centroidYMM: -150.125, centroidZMM: 3, bboxMinI: 0, bboxMinJ: -1, bboxMinK: Int.min, bboxMaxI: Int.max, bboxMaxJ: 5,
                  bboxMaxK: 6, meanIntensity: 1e16, stdIntensity: 1e15, minIntensity: .leastNonzeroMagnitude, maxIntensity: .greatestFiniteMagnitude,
                  medianIntensity: 123456789.125, touchesBorder: i % 2 == 0, extraJSON: "{\"a\":[1,2]}",
                  detectionScoreMean: 0.625, detectionScoreMax: 0.9375)
    }

    func testEveryFieldSet() throws {
        let rows = (1...5).map(Self.row)
        XCTAssertEqual(written(rows), try encoded(rows))
        XCTAssertEqual(written([]), try encoded([]))
    }

    func testOptionalsOmittedAndNonFiniteNumbers() throws {
        var bare = Self.row(2)
        bare.studyDate = nil; bare.frameOfReferenceUID = nil; bare.meshVolumeML = nil; bare.surfaceAreaMM2 = nil
        bare.sphericity = nil; bare.maxDiameter3DMM = nil; bare.recistLongMM = nil; bare.recistShortMM = nil
        bare.bboxMinI = nil; bare.bboxMinJ = nil; bare.bboxMinK = nil; bare.bboxMaxI = nil; bare.bboxMaxJ = nil; bare.bboxMaxK = nil
        bare.meanIntensity = nil; bare.stdIntensity = nil; bare.minIntensity = nil; bare.maxIntensity = nil
        bare.medianIntensity = nil; bare.extraJSON = nil; bare.detectionScoreMean = nil; bare.detectionScoreMax = nil
        var odd = Self.row(3)
        odd.volumeML = .nan; odd.centroidXMM = .infinity; odd.centroidYMM = -.infinity; odd.meanIntensity = .nan
        XCTAssertEqual(written([bare, odd]), try encoded([bare, odd]))
    }

    func testStringsThatNeedEscaping() throws {
        var controls = ""
        for u in 0..<0x20 { controls.unicodeScalars.append(Unicode.Scalar(UInt8(u))) }
        var row = Self.row(4)
        row.patientID = controls
        row.label = "quote \" backslash \\ slash / DEL \u{7F} é \u{2028} \u{FEFF} 😀"
        row.extraJSON = "\\u0000\"\n"
        row.modelName = ""
        XCTAssertEqual(written([row]), try encoded([row]))
    }

    func testRandomValues() throws {
        var rng = SplitMix(seed: 14)
        let rows = (0..<300).map { i -> LesionRow in
            var row = Self.row(i)
            let e = Double.random(in: -30...30, using: &rng)
            row.volumeML = Double.random(in: 0...1, using: &rng) * pow(10, e)
            row.centroidXMM = Double.random(in: -300...300, using: &rng)
            row.centroidZMM = Double(Int.random(in: -1000...1000, using: &rng))
            row.sphericity = Bool.random(using: &rng) ? nil : Double(Float.random(in: 0...1, using: &rng))
            row.voxelCount = Int.random(in: 0...Int.max, using: &rng)
            return row
        }
        XCTAssertEqual(written(rows), try encoded(rows))
    }

    /// Integral numbers are written as digits without `description` up to 2^53, past which `description`
    /// (and so JSONEncoder) switches to an exponent: both sides of that edge, negative zero, and integers
    /// at the ends of their range.
    func testIntegralNumbersAndIntegerExtremes() throws {
        let edge = 9_007_199_254_740_992.0  // 2^53
        let doubles: [Double] = [0, -0.0, 1, -1, 9, 10, 99, 100, 1e6, 1e15, -1e15, edge - 1, edge, edge + 2, -edge, -(edge + 2),
                                 1e16, 2e16, 1e17, 1e21, 1e22, -1e300, .greatestFiniteMagnitude, 0.5, -0.5, 1e-4, 1e-5, 12.000000000000002,
                                 Double(Int64.max), Double(Int64.min), 4_503_599_627_370_497]
        var rng = SplitMix(seed: 53)
        let randomIntegral = (0..<200).map { _ in (Double.random(in: -1...1, using: &rng) * pow(2, Double.random(in: 0...60, using: &rng))).rounded() }
        let rows = (doubles + randomIntegral).enumerated().map { i, d -> LesionRow in
            var row = Self.row(i)
            row.volumeML = d; row.centroidXMM = -d; row.meanIntensity = d * 3
            row.lesionIndex = [0, 1, -1, 9, 10, -10, Int.max, Int.min, Int.max - 1, Int.min + 1][i % 10]
            row.runID = [0, Int64.max, Int64.min, -1, 1_000_000_007][i % 5]
            row.bboxMinI = i % 3 == 0 ? nil : Int(truncatingIfNeeded: UInt64(d.magnitude.rounded(.down).clamped(to: 0...1e18)))
            return row
        }
        XCTAssertEqual(written(rows), try encoded(rows))
    }
}

private extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { min(max(self, range.lowerBound), range.upperBound) }
}
