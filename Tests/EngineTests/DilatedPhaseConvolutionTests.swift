import XCTest
@testable import Engine

/// Dilated 3x3 convolutions the fast backend runs as per-tap products over phase sub-images
/// (FastDilatedPhases.swift) where oneDNN's direct choice is gemm (AVX2, dilation above 2), against
/// onnxruntime (Scripts/engine/make_op_fixtures.py), and the squeeze-excitation scale on a
/// channel-blocked value (FastElementwise.swift) on oneDNN's jit binary, not its reference kernel.
final class DilatedPhaseConvolutionTests: XCTestCase {
    /// Fixture, the dilated Conv's input shape (after the leading 1x1 convolution, if any), whether its
    /// activation (Relu, LeakyRelu) is fused.
    static let cases: [(name: String, x: [Int], fusedActivation: Bool)] = [
        ("op_conv3x3_dilation12_phases", [1, 20, 20, 23], true), ("op_conv3x3_dilation24_phases", [2, 16, 18, 30], false),
        ("op_conv3x3_dilation4_phases", [1, 16, 16, 18], true),
    ]

    func testPhaseClassesCoverEveryRowOnce() {
        for (length, d) in [(64, 12), (64, 24), (64, 36), (32, 36), (20, 12), (16, 4), (5, 1), (1, 7)] {
            let classes = FastExecutor.phaseClasses(length: length, d: d)
            XCTAssertLessThanOrEqual(classes.count, 2)
            var rows: [Int] = []
            for c in classes { for a in c.start..<(c.start + c.count) { for i in 0..<c.size { rows.append(a + i * d) } } }
            XCTAssertEqual(rows.sorted(), Array(0..<length), "length \(length) dilation \(d): \(classes)")
        }
        XCTAssertEqual(FastExecutor.phaseClasses(length: 64, d: 12), [.init(start: 0, count: 4, size: 6), .init(start: 4, count: 8, size: 5)])
        XCTAssertEqual(FastExecutor.phaseClasses(length: 18, d: 24), [.init(start: 0, count: 18, size: 1)])
    }

    func testDilatedConvolutionsMatchOnnxruntimeAndRunAsPhaseTapsWhereOneDNNWouldUseGemm() throws {
        let entries = try Fixtures.manifest("ops_manifest.json")
        for c in Self.cases {
            let entry = try XCTUnwrap(entries.first { $0.name == c.name }, c.name)
            let model = try ONNXModel(path: Fixtures.path(c.name + ".onnx"))
            let conv = try XCTUnwrap(model.graph.nodes.first { $0.opType == "Conv" && (try? $0.ints("dilations")) != nil }, c.name)
            let w = try XCTUnwrap(model.graph.initializers[conv.inputs[1]])
            let bias = conv.inputs.count > 2 ? model.graph.initializers[conv.inputs[2]] : nil
            let outShape = [c.x[0], w.shape[0], c.x[2], c.x[3]]
            let direct = try XCTUnwrap(try FastExecutor.directImplementation(conv, x: c.x, out: outShape, weights: w, bias: bias), c.name)
            var feeds: [String: Tensor] = [:]
            for i in entry.inputs { feeds[i.name] = try Npy.read(path: Fixtures.path(i.file)) }
            for threads in [1, 2] {
                let session = try InferenceSession(model: model, backend: .fast, threads: threads)
                let (outputs, seconds) = try session.runProfiled(feeds)
                let labels = seconds.keys.sorted()
                XCTAssertEqual(labels.contains { $0.hasPrefix("Conv (phase taps)") }, direct.contains("gemm"), "\(c.name) (direct: \(direct)): \(labels)")
                if direct.contains("gemm") {
                    XCTAssertEqual(labels.contains("Conv (phase taps)+act"), c.fusedActivation, "\(c.name): \(labels)")
                    XCTAssertTrue(labels.contains("Reorder (phases-to-batch)") && labels.contains("Reorder (batch-to-phases)"), "\(c.name): \(labels)")
                }
                for o in entry.outputs {
                    let expected = try Npy.read(path: Fixtures.path(o.file))
                    let got = try XCTUnwrap(outputs[o.name], c.name)
                    XCTAssertEqual(got.shape, expected.shape, c.name)
                    guard got.shape == expected.shape else { continue }
                    XCTAssertLessThanOrEqual(Agreement(got, expected).relativeError, entry.tolerance ?? 1e-5, "\(c.name) threads \(threads)")
                }
            }
        }
    }

    /// Regression (session 17): on AVX2 the activations are nChw8c and the broadcast 1xCx1x1 scale was
    /// given a plain descriptor, for which oneDNN 2.6 has only `ref:any` (0.56 of DeepLabV3
    /// MobileNetV3's 1.15 s). The scale now takes src0's channel blocking; 20 channels (padded blocks).
    func testSqueezeExcitationScaleRunsOnTheJitBinary() throws {
        let name = "op_se_scale_blocked"
        let entry = try XCTUnwrap(try Fixtures.manifest("ops_manifest.json").first { $0.name == name })
        let session = try InferenceSession(model: try ONNXModel(path: Fixtures.path(name + ".onnx")), backend: .fast, threads: 2)
        var feeds: [String: Tensor] = [:]
        for i in entry.inputs { feeds[i.name] = try Npy.read(path: Fixtures.path(i.file)) }
        let (outputs, seconds) = try session.runProfiled(feeds)
        let labels = seconds.keys.sorted()
        XCTAssertTrue(labels.contains { $0.hasPrefix("Mul") }, "\(labels)")
        XCTAssertFalse(labels.contains { $0.hasPrefix("Mul") && ($0.hasSuffix("(oneDNN ref)") || $0.hasSuffix("(reference)")) }, "\(labels)")
        let expected = try Npy.read(path: Fixtures.path(entry.outputs[0].file))
        let got = try XCTUnwrap(outputs[entry.outputs[0].name])
        XCTAssertEqual(got.shape, expected.shape)
        XCTAssertLessThanOrEqual(Agreement(got, expected).relativeError, entry.tolerance ?? 1e-5)
    }
}
