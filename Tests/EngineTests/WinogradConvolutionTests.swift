import XCTest
import Engine

/// 3x3 convolutions the fast backend runs as Winograd (FastDilatedWinograd.swift; plain, dilation 2
/// after a channels-last 1x1 convolution with batch 2, dilation 3) against onnxruntime
/// (Scripts/engine/make_op_fixtures.py): with Winograd on they must run as Winograd and match; with
/// it off (`winograd: false`, `model bench --no-winograd`) the direct convolution runs and matches.
final class WinogradConvolutionTests: XCTestCase {
    static let names = ["op_conv3x3_winograd", "op_conv3x3_dilation2_winograd", "op_conv3x3_dilation3_winograd"]

    func testWinogradConvolutionsMatchOnnxruntimeAndTheSwitchTurnsThemOff() throws {
        let entries = try Fixtures.manifest("ops_manifest.json")
        for name in Self.names {
            let entry = try XCTUnwrap(entries.first { $0.name == name }, name)
            var feeds: [String: Tensor] = [:]
            for i in entry.inputs { feeds[i.name] = try Npy.read(path: Fixtures.path(i.file)) }
            for winograd in [true, false] {
                let session = try InferenceSession(model: try ONNXModel(path: Fixtures.path(name + ".onnx")), backend: .fast, threads: 2, winograd: winograd)
                let (outputs, seconds) = try session.runProfiled(feeds)
                let labels = seconds.keys.sorted()
                XCTAssertEqual(labels.contains { $0.hasPrefix("Conv (winograd)") }, winograd, "\(name) winograd \(winograd): \(labels)")
                if winograd, name != "op_conv3x3_dilation3_winograd" {
                    XCTAssertTrue(labels.contains("Conv (winograd)+act"), "\(name): the Relu is fused: \(labels)")
                }
                for o in entry.outputs {
                    let expected = try Npy.read(path: Fixtures.path(o.file))
                    let got = try XCTUnwrap(outputs[o.name], name)
                    XCTAssertEqual(got.shape, expected.shape, name)
                    guard got.shape == expected.shape else { continue }
                    XCTAssertLessThanOrEqual(Agreement(got, expected).relativeError, entry.tolerance ?? 1e-5, "\(name) winograd \(winograd): max|engine-ort|/max|ort|")
                }
            }
        }
    }
}
