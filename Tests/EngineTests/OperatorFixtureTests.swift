import XCTest
import Engine

/// The transformer, DeepLab and indexing operators (Scripts/engine/make_op_fixtures.py) against
/// onnxruntime, each with its own tolerance, on both backends.
final class OperatorFixtureTests: XCTestCase {
    /// Fixtures that exist for a fast-backend path only, too large for the reference backend in a debug
    /// build (17 s): op_conv3x3_kept_winograd (128 -> 128 channels on 40x40, sized so that Winograd pays
    /// on two threads only with kept weights). The reference Conv is checked by the smaller fixtures.
    static let fastOnly: Set<String> = ["op_conv3x3_kept_winograd"]

    func testOperatorFixturesMatchOnnxruntime() throws {
        let entries = try Fixtures.manifest("ops_manifest.json")
        XCTAssertGreaterThanOrEqual(entries.count, 70)
        for entry in entries {
            for backend in Backend.allCases where backend == .fast || !Self.fastOnly.contains(entry.name) {
                XCTAssertNoThrow(try assertMatchesFixture(entry, backend: backend), "\(entry.name) \(backend)")
            }
        }
    }

    /// The fast backend runs MatMul, Einsum, LayerNormalization, reductions, Transpose and the
    /// exported GELU as oneDNN primitives, not as reference fallbacks.
    func testFastBackendCompilesTransformerOperatorsToOneDNN() throws {
        for (name, expected) in [("op_attention", ["MatMul+bias", "Einsum", "Softmax", "Transpose"]), ("op_layernorm17", ["LayerNormalization"]),
                                 ("op_gelu_exported", ["Gelu"]), ("op_reducel2_11", ["ReduceL2"]), ("op_gemm", ["Gemm"]), ("op_gather_scalar_axis2", ["Gather"])] {
            let entry = try XCTUnwrap(try Fixtures.manifest("ops_manifest.json").first { $0.name == name })
            let session = try InferenceSession(model: try ONNXModel(path: Fixtures.path(name + ".onnx")), backend: .fast, threads: 1)
            var feeds: [String: Tensor] = [:]
            for i in entry.inputs { feeds[i.name] = try Npy.read(path: Fixtures.path(i.file)) }
            let labels = Set(try session.runProfiled(feeds).secondsByOperator.keys)
            for e in expected { XCTAssertTrue(labels.contains(e), "\(name): \(e) not among \(labels.sorted())") }
            XCTAssertFalse(labels.contains { $0.hasSuffix("(reference)") }, "\(name): \(labels.sorted())")
        }
    }
}
