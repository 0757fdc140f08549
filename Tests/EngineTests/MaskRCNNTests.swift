import XCTest
@testable import Engine

/// The small torchvision Mask R-CNN (Scripts/engine/export_maskrcnn.py) against onnxruntime on 3
/// inputs, on both backends, by issue 17's rule (`DetectionComparison`: detections matched one to
/// one, boxes and scores within 1e-4, same count except borderline ones, masks equal at 0.5).
final class MaskRCNNTests: XCTestCase {
    static let model = "maskrcnn_small.onnx"
    static let shape = ["image": [1, 3, 96, 96]]
    func entries() throws -> [Fixtures.Entry] { try Fixtures.manifest("maskrcnn_manifest.json") }

    /// Compares `session`'s detections with onnxruntime's on the fixture's 3 inputs.
    func compare(_ session: InferenceSession) throws -> [DetectionComparison] {
        try entries().map { entry in
            let image = try Npy.read(path: Fixtures.path(entry.inputs[0].file))
            var expected: [String: Tensor] = [:]
            for o in entry.outputs { expected[o.name] = try Npy.read(path: Fixtures.path(o.file)) }
            let ort = try Detections(expected)
            XCTAssertGreaterThan(ort.count, 0, "\(entry.name): the fixture must detect something")
            // The small model: score threshold 0.05, box NMS 0.5, at most 6 detections.
            return DetectionComparison(try Detections(try session.run(["image": image])), ort, scoreThreshold: 0.05, nmsThreshold: 0.5, maxDetections: 6)
        }
    }

    func assertMatches(_ backend: Backend, file: StaticString = #filePath, line: UInt = #line) throws -> InferenceSession {
        let session = try InferenceSession(model: try ONNXModel(path: Fixtures.path(Self.model)), backend: backend, threads: 2)
        for (k, c) in try compare(session).enumerated() {
            XCTAssertEqual(c.problems, [], "\(backend) input \(k)", file: file, line: line)
            // Measured: identical counts, no borderline case on this fixture.
            XCTAssertEqual(c.borderline, 0, "\(backend) input \(k): \(c.summary)", file: file, line: line)
            XCTAssertGreaterThan(c.matched, 0, file: file, line: line)
        }
        return session
    }

    func testManifestHasThreeInputs() throws {
        XCTAssertEqual(try entries().count, 3)
    }

    func testReferenceBackendMatchesOnnxruntime() throws {
        _ = try assertMatches(.reference)
    }

    /// The fast backend runs the static prefix on oneDNN and the data-dependent tail with the RoI
    /// heads' convolutions, transposed convolution and Gemms on oneDNN at the run-time detection
    /// count (labels "(dynamic)"), the rest with the reference kernels.
    func testFastBackendMatchesOnnxruntime() throws {
        let session = try assertMatches(.fast)
        XCTAssertTrue(try session.hasDataDependentShapes(inputShapes: Self.shape))
        let labels = try session.fastStepLabels(inputShapes: Self.shape)
        for op in ["Conv+act (dynamic)", "ConvTranspose as MatMul+act (dynamic)", "Gemm+act (dynamic)", "Gemm (dynamic)", "Conv+act (dynamic)"] {
            XCTAssertTrue(labels.contains(op), "\(op) must run on oneDNN in the tail: \(Set(labels).sorted())")
        }
        XCTAssertTrue(labels.contains("RoiAlign (reference, dynamic)"))
        XCTAssertTrue(labels.contains { $0.hasPrefix("Conv") && !$0.contains("dynamic") }, "the backbone stays in the static plan")
        XCTAssertTrue(try session.fastSentinelsIntact(inputShapes: Self.shape))
        // Running again reuses the cached tail primitives and gives the same detections.
        let image = try Npy.read(path: Fixtures.path(try entries()[1].inputs[0].file))
        XCTAssertEqual(try session.run(["image": image]), try session.run(["image": image]))
    }

    /// The comparison can fail: with RoiAlign's coordinate transformation switched from the
    /// exported output_half_pixel to half_pixel (a half-pixel shift of every pooled feature), both
    /// backends' detections differ from onnxruntime's beyond the tolerances.
    func testWrongRoiAlignModeIsDetected() throws {
        let model = try ONNXModel(path: Fixtures.path(Self.model))
        var graph = model.graph
        var changed = 0
        for i in graph.nodes.indices where graph.nodes[i].opType == "RoiAlign" {
            graph.nodes[i].attributes["coordinate_transformation_mode"] = .string("half_pixel"); changed += 1
        }
        XCTAssertGreaterThan(changed, 0)
        let mutated = try ONNXModel(graph: graph, opset: model.opset)
        for backend in Backend.allCases {
            let results = try compare(try InferenceSession(model: mutated, backend: backend, threads: 2))
            XCTAssertTrue(results.contains { !$0.problems.isEmpty }, "\(backend): a wrong RoiAlign mode must be noticed")
        }
    }
}
