import XCTest
@testable import Engine

/// The small torchvision Mask R-CNN (Scripts/engine/export_maskrcnn.py) against onnxruntime on 3
/// inputs, by issue 17's rule: detections matched one to one (same label, highest IoU); boxes and
/// scores within 1e-4 (boxes relative to the coordinate's magnitude, at least 1 pixel: 1e-4 px
/// below 1); the same number of detections except ones whose score lies within 1e-4 of the
/// cut-off (the lowest kept score, as at most 6 are kept); masks equal at 0.5 except pixels within
/// 1e-4 of it.
final class MaskRCNNTests: XCTestCase {
    func entries() throws -> [Fixtures.Entry] { try Fixtures.manifest("maskrcnn_manifest.json") }

    struct Detections {
        var boxes: [Float], labels: [Int64], scores: [Float], masks: Tensor
        var count: Int { scores.count }
        init(_ out: [String: Tensor]) throws {
            boxes = try XCTUnwrap(out["boxes"]).floatValues
            labels = try XCTUnwrap(out["labels"]).intValues
            scores = try XCTUnwrap(out["scores"]).floatValues
            masks = try XCTUnwrap(out["masks"])
        }
        func box(_ i: Int) -> ArraySlice<Float> { boxes[(i * 4)..<(i * 4 + 4)] }
    }

    static func iou(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
        let a = Array(a), b = Array(b)
        let w = max(0, min(a[2], b[2]) - max(a[0], b[0])), h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
        let inter = w * h, union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
        return union > 0 ? inter / union : 0
    }

    /// Compares engine detections with onnxruntime's; returns the number of near-threshold exceptions.
    @discardableResult
    static func assertEquivalent(_ got: Detections, _ ort: Detections, _ label: String) -> Int {
        var used = Set<Int>(), exceptions = 0
        let cutoff = ort.scores.min() ?? 0
        for i in 0..<ort.count {
            let candidates = (0..<got.count).filter { !used.contains($0) && got.labels[$0] == ort.labels[i] }
            guard let j = candidates.max(by: { iou(got.box($0), ort.box(i)) < iou(got.box($1), ort.box(i)) }),
                  iou(got.box(j), ort.box(i)) > 0.5 else {
                if abs(ort.scores[i] - cutoff) <= 1e-4 { exceptions += 1; continue }
                XCTFail("\(label): onnxruntime detection \(i) (score \(ort.scores[i])) has no match"); continue
            }
            used.insert(j)
            XCTAssertLessThanOrEqual(abs(got.scores[j] - ort.scores[i]), 1e-4, "\(label): score of detection \(i)")
            for (g, o) in zip(got.box(j), ort.box(i)) { XCTAssertLessThanOrEqual(abs(g - o), 1e-4 * max(abs(o), 1), "\(label): box of detection \(i)") }
            let plane = ort.masks.count / max(ort.count, 1)
            let gm = got.masks.floatValues, om = ort.masks.floatValues
            var differing = 0
            for p in 0..<plane {
                let o = om[i * plane + p], g = gm[j * plane + p]
                if (o > 0.5) != (g > 0.5) && abs(o - 0.5) > 1e-4 { differing += 1 }
            }
            XCTAssertEqual(differing, 0, "\(label): mask pixels of detection \(i) differing at 0.5")
        }
        for j in 0..<got.count where !used.contains(j) {
            if abs(got.scores[j] - cutoff) <= 1e-4 { exceptions += 1 } else { XCTFail("\(label): engine detection \(j) (score \(got.scores[j])) has no match") }
        }
        return exceptions
    }

    func testManifestHasThreeInputs() throws {
        XCTAssertEqual(try entries().count, 3)
    }

    /// Runs the small fixture on `backend` for the 3 inputs and compares with onnxruntime; returns
    /// the near-threshold exceptions per input.
    @discardableResult
    func checkAgainstOnnxruntime(_ backend: Backend, session given: InferenceSession? = nil) throws -> [Int] {
        let session = try given ?? InferenceSession(model: try ONNXModel(path: Fixtures.path("maskrcnn_small.onnx")), backend: backend, threads: 2)
        var exceptions: [Int] = []
        for (k, entry) in try entries().enumerated() {
            let image = try Npy.read(path: Fixtures.path(entry.inputs[0].file))
            let got = try Detections(try session.run(["image": image]))
            var expected: [String: Tensor] = [:]
            for o in entry.outputs { expected[o.name] = try Npy.read(path: Fixtures.path(o.file)) }
            let ort = try Detections(expected)
            XCTAssertGreaterThan(ort.count, 0, "input \(k): the fixture must detect something")
            exceptions.append(Self.assertEquivalent(got, ort, "\(backend) input \(k)"))
        }
        return exceptions
    }

    func testReferenceBackendMatchesOnnxruntime() throws {
        XCTAssertEqual(try checkAgainstOnnxruntime(.reference), [0, 0, 0], "near-threshold exceptions")
    }

    /// The fast backend runs the static prefix on oneDNN and the data-dependent tail with the RoI
    /// heads' convolutions, transposed convolution and Gemms on oneDNN at the run-time detection
    /// count (labels "(dynamic)"), the rest with the reference kernels.
    func testFastBackendMatchesOnnxruntime() throws {
        let model = try ONNXModel(path: Fixtures.path("maskrcnn_small.onnx"))
        let session = try InferenceSession(model: model, backend: .fast, threads: 2)
        XCTAssertTrue(try session.hasDataDependentShapes(inputShapes: ["image": [1, 3, 96, 96]]))
        XCTAssertEqual(try checkAgainstOnnxruntime(.fast, session: session), [0, 0, 0], "near-threshold exceptions")
        let labels = try session.fastStepLabels(inputShapes: ["image": [1, 3, 96, 96]])
        for op in ["Conv+act (dynamic)", "ConvTranspose+act (dynamic)", "Gemm+act (dynamic)", "Gemm (dynamic)"] {
            XCTAssertTrue(labels.contains(op), "\(op) must run on oneDNN in the tail: \(Set(labels).sorted())")
        }
        XCTAssertTrue(labels.contains("RoiAlign (reference, dynamic)"))
        XCTAssertTrue(labels.contains { $0.hasPrefix("Conv") && !$0.contains("dynamic") }, "the backbone stays in the static plan")
        XCTAssertTrue(try session.fastSentinelsIntact(inputShapes: ["image": [1, 3, 96, 96]]))
    }
}
