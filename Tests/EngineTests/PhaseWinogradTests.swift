import XCTest
@testable import Engine

/// The engine's own Winograd F(m x m', 3 x 3) on phase sub-images (FastPhaseWinograd.swift,
/// CKernels/winograd.c), run where oneDNN has no Winograd (AVX2): the Cook-Toom matrices against
/// the definition of correlation, the tile choice, and three convolutions against onnxruntime
/// (Scripts/engine/make_op_fixtures.py) with Winograd on and off.
final class PhaseWinogradTests: XCTestCase {
    /// y[i] = sum_k d[i + k] g[k], i < m, from A^T [(G g) . (B^T d)], in Double on random values.
    func testCookToomMatricesComputeCorrelation() {
        var rng = SystemRandomNumberGenerator()
        for m in 2...4 {
            let w = WinogradAxis(m: m), a = w.alpha
            for _ in 0..<20 {
                let d = (0..<a).map { _ in Double.random(in: -2...2, using: &rng) }, g = (0..<3).map { _ in Double.random(in: -2...2, using: &rng) }
                let gg = (0..<a).map { j in (0..<3).reduce(0.0) { $0 + w.g[j * 3 + $1] * g[$1] } }
                let bd = (0..<a).map { j in (0..<a).reduce(0.0) { $0 + Double(w.bt[j * a + $1]) * d[$1] } }
                for i in 0..<m {
                    let y = (0..<a).reduce(0.0) { $0 + Double(w.at[i * a + $1]) * gg[$1] * bd[$1] }
                    let expected = (0..<3).reduce(0.0) { $0 + d[i + $1] * g[$1] }
                    XCTAssertEqual(y, expected, accuracy: 1e-9, "F(\(m), 3) output \(i)")
                }
            }
        }
    }

    func testTileSizeAndWinogradChoice() {
        XCTAssertNil(WinogradAxis.best(1))
        XCTAssertEqual(WinogradAxis.best(2), 2)
        XCTAssertEqual(WinogradAxis.best(3), 3)
        XCTAssertEqual(WinogradAxis.best(6), 3)
        XCTAssertEqual(WinogradAxis.best(16), 4)
        XCTAssertEqual(WinogradAxis.best(21), 3)
        XCTAssertEqual(WinogradAxis.tapProducts(16), 46)
        // DeepLabV3 ResNet-50: layer 4 (dilation 4 on 64x64) and the ASPP's dilation 12 classes.
        XCTAssertTrue(FastExecutor.phaseWinograd(rows: 16, cols: 16, channels: 512, outChannels: 512)! == (4, 4))
        XCTAssertTrue(FastExecutor.phaseWinograd(rows: 6, cols: 5, channels: 2048, outChannels: 256)! == (3, 3))
        XCTAssertTrue(FastExecutor.phaseWinograd(rows: 3, cols: 2, channels: 2048, outChannels: 256)! == (3, 2))
        // Nothing to gain on 2x2 or 1-wide sub-images, and few channels make the transforms dominate.
        XCTAssertNil(FastExecutor.phaseWinograd(rows: 2, cols: 2, channels: 2048, outChannels: 256))
        XCTAssertNil(FastExecutor.phaseWinograd(rows: 1, cols: 6, channels: 2048, outChannels: 256))
        XCTAssertNil(FastExecutor.phaseWinograd(rows: 4, cols: 4, channels: 16, outChannels: 16))
    }

    /// Fixture and whether, where it runs as the engine's Winograd, some class pair stays as taps.
    static let cases: [(name: String, mixed: Bool)] = [
        ("op_conv3x3_dilation2_phase_winograd", false), ("op_conv3x3_phase_winograd", false), ("op_conv3x3_dilation12_phase_winograd", true),
    ]

    func testPhaseWinogradMatchesOnnxruntimeWhereOneDNNHasNoWinograd() throws {
        let entries = try Fixtures.manifest("ops_manifest.json")
        for c in Self.cases {
            let entry = try XCTUnwrap(entries.first { $0.name == c.name }, c.name)
            var feeds: [String: Tensor] = [:]
            for i in entry.inputs { feeds[i.name] = try Npy.read(path: Fixtures.path(i.file)) }
            for (winograd, threads) in [(true, 1), (true, 2), (false, 2)] {
                let session = try InferenceSession(model: try ONNXModel(path: Fixtures.path(c.name + ".onnx")), backend: .fast, threads: threads, winograd: winograd)
                let (outputs, seconds) = try session.runProfiled(feeds)
                let labels = seconds.keys.sorted()
                let expect = winograd && !FastExecutor.winogradAvailable
                XCTAssertEqual(labels.contains { $0.hasPrefix("Conv (phase Winograd)") }, expect, "\(c.name) winograd \(winograd): \(labels)")
                if expect {
                    XCTAssertEqual(labels.contains { $0.hasPrefix("Conv (phase taps)") }, c.mixed, "\(c.name): \(labels)")
                    if c.name == "op_conv3x3_dilation2_phase_winograd" { XCTAssertTrue(labels.contains("Conv (phase Winograd)+act"), "the Relu is fused: \(labels)") }
                }
                for o in entry.outputs {
                    let expected = try Npy.read(path: Fixtures.path(o.file))
                    let got = try XCTUnwrap(outputs[o.name], c.name)
                    XCTAssertEqual(got.shape, expected.shape, c.name)
                    guard got.shape == expected.shape else { continue }
                    XCTAssertLessThanOrEqual(Agreement(got, expected).relativeError, entry.tolerance ?? 1e-5, "\(c.name) winograd \(winograd) threads \(threads)")
                }
            }
        }
    }
}
