import XCTest
import Imaging
@testable import Lesions

private struct MetricFile: Decodable {
    struct Case: Decodable {
        var name: String; var size: [Int]; var spacing: [Double]; var tolerance: Double
        var prediction: MaskSpec; var reference: MaskSpec
        var expected: [String: Double]
    }
    var metrics: [Case]
}

func checkMetrics(_ m: SegmentationMetrics, _ e: [String: Double], _ name: String,
                  file: StaticString = #filePath, line: UInt = #line) {
    let tol = 1e-6
    assertRelative(m.dice, e["dice"], tol, "\(name) dice", file: file, line: line)
    assertRelative(m.iou, e["iou"], tol, "\(name) iou", file: file, line: line)
    assertRelative(m.hausdorffMM, e["hausdorff"], tol, "\(name) hd", file: file, line: line)
    assertRelative(m.hausdorff95MM, e["hausdorff95"], tol, "\(name) hd95", file: file, line: line)
    assertRelative(m.asdMM, e["asdPredToRef"], tol, "\(name) asd", file: file, line: line)
    assertRelative(m.assdMM, e["assd"], tol, "\(name) assd", file: file, line: line)
    assertRelative(m.relativeVolumeDifference, e["ravd"], tol, "\(name) ravd", file: file, line: line)
    assertRelative(m.volumeDifferenceMM3, e["volumeDifferenceMM3"], tol, "\(name) volume difference", file: file, line: line)
    assertRelative(m.surfaceDice, e["surfaceDice"], tol, "\(name) surface dice", file: file, line: line)
    if let tp = e["tp"], let fp = e["fp"], let fn = e["fn"] {
        XCTAssertEqual([m.detection.truePositives, m.detection.falsePositives, m.detection.falseNegatives],
                       [Int(tp), Int(fp), Int(fn)], "\(name) detection", file: file, line: line)
    }
}

final class EvaluationTests: XCTestCase {
    /// MedPy 0.5 values (anisotropic spacing) on LCG and ellipsoid mask pairs.
    func testSyntheticPairsMatchMedPy() throws {
        for c in try Synthetic.expected(MetricFile.self).metrics {
            let g = Synthetic.geometry(c.size, c.spacing)
            let p = Synthetic.labels(c.prediction, g), r = Synthetic.labels(c.reference, g)
            let m = try Evaluation.compare(prediction: p, reference: r, toleranceMM: c.tolerance)
            checkMetrics(m, c.expected, c.name)
            // A rotated grid with the same spacing gives the same numbers.
            var og = g
            og.direction = Matrix3(rows: [[0.6, 0, -0.8], [0, 1, 0], [0.8, 0, 0.6]])
            let mo = try Evaluation.compare(prediction: Volume(geometry: og, voxels: p.voxels),
                                            reference: Volume(geometry: og, voxels: r.voxels), toleranceMM: c.tolerance)
            checkMetrics(mo, c.expected, c.name + " oblique")
        }
    }

    func testEmptyAndSingleVoxelMasks() throws {
        let g = Synthetic.geometry([5, 4, 3], [1, 2, 3])
        let empty = LabelMap(geometry: g, repeating: 0)
        let e = try Evaluation.compare(prediction: empty, reference: empty)
        XCTAssertEqual(e.dice, 0)
        XCTAssertNil(e.iou)
        XCTAssertNil(e.hausdorffMM)
        XCTAssertNil(e.detection.f1)
        var a = empty, b = empty
        a[0, 0, 0] = 1; b[4, 3, 2] = 1  // opposite border corners
        let m = try Evaluation.compare(prediction: a, reference: b, toleranceMM: 1)
        let d = (16.0 + 36 + 36).squareRoot()
        XCTAssertEqual(m.hausdorffMM!, d, accuracy: 1e-12)
        XCTAssertEqual(m.hausdorff95MM!, d, accuracy: 1e-12)
        XCTAssertEqual(m.surfaceDice, 0)
        XCTAssertEqual(m.detection, LesionDetection(truePositives: 0, falsePositives: 1, falseNegatives: 1, f1: 0))
        let same = try Evaluation.compare(prediction: a, reference: a)
        XCTAssertEqual(same.dice, 1); XCTAssertEqual(same.hausdorffMM, 0); XCTAssertEqual(same.surfaceDice, 1)
        let onlyPrediction = try Evaluation.compare(prediction: a, reference: empty)
        XCTAssertNil(onlyPrediction.hausdorffMM)
        XCTAssertNil(onlyPrediction.relativeVolumeDifference)
    }

    func testRejectsMismatchedGridsAndShear() {
        let a = LabelMap(geometry: Synthetic.geometry([5, 4, 3]), repeating: 1)
        let b = LabelMap(geometry: Synthetic.geometry([5, 4, 4]), repeating: 1)
        XCTAssertThrowsError(try Evaluation.compare(prediction: a, reference: b)) { e in
            XCTAssertEqual((e as? LesionsError)?.category, .badInput)
        }
        var sg = a.geometry
        sg.direction = Matrix3(columns: Vector3(1, 0, 0), Vector3(0, 1, 0), Vector3(0, 0.6, 0.8))
        let s = Volume(geometry: sg, voxels: a.voxels)
        XCTAssertThrowsError(try Evaluation.compare(prediction: s, reference: s))
        XCTAssertThrowsError(try Evaluation.compare(prediction: a, reference: a, toleranceMM: -1))
    }
}
