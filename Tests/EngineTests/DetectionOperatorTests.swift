import XCTest
@testable import Engine

/// Issue 17's detection operators (RoiAlign, NonMaxSuppression, TopK, NonZero, data-dependent
/// chains, ScatterElements, ReduceProd, If and Loop; Scripts/engine/make_op_fixtures.py, detection_ops_manifest.json) against onnxruntime.
final class DetectionOperatorTests: XCTestCase {
    func entries() throws -> [Fixtures.Entry] { try Fixtures.manifest("detection_ops_manifest.json") }

    /// Fixtures whose output size depends on the data: the fast backend runs them in its dynamic tail.
    static let dataDependent: Set<String> = ["op_nms_corners", "op_nms_center", "op_nms_all_kept", "op_nms_score_threshold_high",
                                             "op_nms_default_max_output", "op_nms_iou_zero", "op_topk_runtime_k", "op_nonzero_gather", "op_nonzero_int",
                                             "op_if_then", "op_if_else", "op_loop_scan", "op_tail_gemm_matmul", "op_tail_conv_chain", "op_tail_conv_chain_empty",
                                             "op_tail_deconv_block", "op_tail_deconv_block_bias", "op_tail_deconv_overlapping", "op_tail_sigmoid_large",
                                             "op_tail_conv_winograd"]
    /// oneDNN steps each tail fixture must run at its run-time row count.
    static let tailPrimitives: [String: Set<String>] = [
        "op_tail_gemm_matmul": ["Gemm+act (dynamic)", "MatMul (dynamic)"],
        "op_tail_conv_chain": ["Conv+act (dynamic)", "ConvTranspose as MatMul+act (dynamic)"],
        "op_tail_conv_chain_empty": ["Conv+act (dynamic)", "ConvTranspose as MatMul+act (dynamic)"],
        "op_tail_deconv_block": ["ConvTranspose as MatMul+act (dynamic)"],
        "op_tail_deconv_block_bias": ["ConvTranspose as MatMul+act (dynamic)"],
        "op_tail_deconv_overlapping": ["ConvTranspose+act (dynamic)"],
    ]

    /// Steps the static plan must (or must not) compile a fixture to: the small-piece Slice and
    /// Concat kernels of box decoding, and an identity Resize as an alias (no resampling step).
    static let staticSteps: [String: (has: Set<String>, hasNot: Set<String>)] = [
        "op_slice_box_column": (["Slice"], []),
        "op_concat_box_columns": (["Concat (plain)"], []),
        "op_resize_identity": (["Add"], ["Resize", "Resize (reference)"]),
    ]

    func testManifestCoversEveryDetectionOperatorAndVariant() throws {
        let names = Set(try entries().map(\.name))
        for mode in ["avg", "max"] { for ctm in ["half_pixel", "output_half_pixel"] { XCTAssertTrue(names.contains("op_roialign_\(mode)_\(ctm)")) } }
        XCTAssertTrue(Self.dataDependent.isSubset(of: names), "\(Self.dataDependent.subtracting(names))")
        XCTAssertTrue(names.isSuperset(of: ["op_topk_largest", "op_topk_smallest_axis1", "op_topk_all"]))
    }

    /// Fixtures that exist for a fast-backend path only and are too large for the reference
    /// backend in a debug build: op_tail_conv_winograd (two 128-channel 3x3 convolutions on 32
    /// samples of 14x14, sized so that the engine's Winograd rule picks them) took two minutes there.
    /// The reference Conv is checked by the smaller fixtures here and in OperatorFixtureTests.
    static let fastOnly: Set<String> = ["op_tail_conv_winograd"]

    func testReferenceBackendMatchesOnnxruntime() throws {
        for entry in try entries() where !Self.fastOnly.contains(entry.name) {
            XCTAssertNoThrow(try assertMatchesFixture(entry, backend: .reference), entry.name)
        }
    }

    /// Every detection fixture runs on the fast backend: static-shape ones (RoiAlign on constant
    /// boxes, TopK with a constant K) in the static plan as reference fallbacks, data-dependent ones
    /// in the dynamic tail after it (oneDNN for the tail's Gemm/MatMul/Conv/ConvTranspose, including
    /// a run where no row is selected).
    func testFastBackendMatchesOnnxruntime() throws {
        for entry in try entries() {
            XCTAssertNoThrow(try assertMatchesFixture(entry, backend: .fast), entry.name)
            let session = try InferenceSession(model: try ONNXModel(path: Fixtures.path(entry.name + ".onnx")), backend: .fast, threads: 2)
            var shapes: [String: [Int]] = [:]
            for i in entry.inputs { shapes[i.name] = try Npy.read(path: Fixtures.path(i.file)).shape }
            let labels = try session.fastStepLabels(inputShapes: shapes)
            XCTAssertEqual(labels.contains { $0.hasSuffix("dynamic)") }, Self.dataDependent.contains(entry.name), "\(entry.name): \(labels)")
            XCTAssertEqual(try session.hasDataDependentShapes(inputShapes: shapes), Self.dataDependent.contains(entry.name), entry.name)
            for op in Self.tailPrimitives[entry.name] ?? [] { XCTAssertTrue(labels.contains(op), "\(entry.name): \(op) missing in \(labels)") }
            if let expected = Self.staticSteps[entry.name] {
                XCTAssertTrue(expected.has.isSubset(of: labels), "\(entry.name): \(expected.has) not all in \(labels)")
                XCTAssertTrue(expected.hasNot.isDisjoint(with: labels), "\(entry.name): \(labels)")
            }
        }
    }

    /// Planning marks NonZero's output and everything computed from it dynamic, and does not fold
    /// the Shape of a dynamic value into a constant.
    func testPlanMarksDataDependentValuesDynamic() throws {
        let model = try ONNXModel(path: Fixtures.path("op_topk_runtime_k.onnx"))
        let plan = try Plan(model: model, inputShapes: ["x0": [3, 6]])
        XCTAssertEqual(plan.firstDynamicStep?.opType, "NonZero")
        let shapeStep = try XCTUnwrap(plan.steps.first { $0.opType == "Shape" }, "Shape of a dynamic value must run, not fold")
        XCTAssertEqual(plan.values[shapeStep.outputs[0]]?.dynamic, true)
        let topk = try XCTUnwrap(plan.steps.first { $0.opType == "TopK" })
        XCTAssertEqual(plan.values[topk.outputs[0]]?.dynamic, true)
        let greater = try XCTUnwrap(plan.steps.first { $0.opType == "Greater" })
        XCTAssertEqual(plan.values[greater.outputs[0]]?.dynamic, false)
    }

    /// Hostile parameters are refused with errors naming the node, not crashes.
    func testHostileParametersAreRefused() throws {
        let x = Tensor(shape: [1, 1, 4, 4], repeating: 1), rois = Tensor(shape: [1, 4], floats: [0, 0, 2, 2])
        let roi = Node(name: "roi", opType: "RoiAlign", inputs: ["x", "r", "b"], outputs: ["y"], attributes: ["mode": .string("median")])
        XCTAssertThrowsError(try RefDetection.run(roi, [x, rois, Tensor(shape: [1], ints: [0])], opset: 16))
        let roiOk = Node(name: "roi", opType: "RoiAlign", inputs: ["x", "r", "b"], outputs: ["y"])
        XCTAssertThrowsError(try RefDetection.run(roiOk, [x, rois, Tensor(shape: [1], ints: [3])], opset: 16)) { error in
            XCTAssertTrue("\(error)".contains("'roi'"), "\(error)")
        }
        let topk = Node(name: "tk", opType: "TopK", inputs: ["x", "k"], outputs: ["v", "i"])
        XCTAssertThrowsError(try RefDetection.run(topk, [Tensor(shape: [5], repeating: 0), Tensor(shape: [1], ints: [6])], opset: 11))
        let loop = Node(name: "endless", opType: "Loop", inputs: ["", ""], outputs: [],
                        attributes: ["body": .graph(try Graph(name: "b", nodes: [], initializers: [:], inputs: [ValueInfo(name: "i", dataType: 7, dims: []), ValueInfo(name: "c", dataType: 9, dims: [])],
                                                              outputs: [ValueInfo(name: "c", dataType: 9, dims: [])], subgraph: true))])
        XCTAssertThrowsError(try ControlFlow.run(loop, env: [:], opset: 13)) { error in
            XCTAssertEqual((error as? EngineError)?.category, .unsupported)
            XCTAssertTrue("\(error)".contains("'endless'"), "\(error)")
        }
        let nms = Node(name: "nms", opType: "NonMaxSuppression", inputs: ["b", "s"], outputs: ["y"])
        XCTAssertThrowsError(try RefDetection.run(nms, [Tensor(shape: [1, 3, 4], repeating: 0), Tensor(shape: [1, 1, 2], repeating: 0)], opset: 11))
    }
}
