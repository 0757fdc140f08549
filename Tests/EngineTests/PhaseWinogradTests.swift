import XCTest
@testable import Engine
import TestSupport

/// The engine's own Winograd F(m x m', 3 x 3) on phase sub-images (FastPhaseWinograd.swift,
/// CKernels/winograd.c), run where oneDNN has no Winograd (AVX2): the Cook-Toom matrices against
/// the definition of correlation, the tile choice, and three convolutions against onnxruntime
/// (Scripts/engine/make_op_fixtures.py) with Winograd on and off. The fixtures are sized so that the
/// rule picks Winograd for every class pair (64 channels or a small batch would not be).
final class PhaseWinogradTests: XCTestCase {
    /// y[i] = sum_k d[i + k] g[k], i < m, from A^T [(G g) . (B^T d)], in Double on random values.
    func testCookToomMatricesComputeCorrelation() {
        var rng = SplitMix(seed: 11)
        for m in 2...4 {
            let w = WinogradAxis(m: m), a = w.alpha
            for _ in 0..<20 {
                let d: [Double] = (0..<a).map { _ in Double.random(in: -2...2, using: &rng) }
                let g: [Double] = (0..<3).map { _ in Double.random(in: -2...2, using: &rng) }
                let gg: [Double] = (0..<a).map { j in (0..<3).reduce(0.0) { (s: Double, k: Int) in s + w.g[j * 3 + k] * g[k] } }
                let bd: [Double] = (0..<a).map { j in (0..<a).reduce(0.0) { (s: Double, k: Int) in s + Double(w.bt[j * a + k]) * d[k] } }
                for i in 0..<m {
                    let y = (0..<a).reduce(0.0) { (s: Double, k: Int) in s + Double(w.at[i * a + k]) * gg[k] * bd[k] }
                    let expected = (0..<3).reduce(0.0) { (s: Double, k: Int) in s + d[i + k] * g[k] }
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
        // DeepLabV3 ResNet-50: layer 4 (dilation 4 on 64x64: 16 phases of 16x16) and layer 3 (dilation 2).
        XCTAssertTrue(FastExecutor.phaseWinograd(rows: 16, cols: 16, batch: 16, channels: 512, outChannels: 512)! == (4, 4))
        XCTAssertTrue(FastExecutor.phaseWinograd(rows: 32, cols: 32, batch: 4, channels: 256, outChannels: 256)! == (4, 4))
        XCTAssertTrue(FastExecutor.phaseWinograd(rows: 20, cols: 18, batch: 4, channels: 96, outChannels: 128)! == (4, 3))
        // Its ASPP: dilation 12's 6x6 phases gain, dilation 24's 2x3 ones (128 of 2048 channels) do not:
        // transforming the weights costs more than the taps save. Nothing to gain on 2x2 or 1-wide
        // sub-images; few channels and a small batch leave the transforms dominant.
        XCTAssertTrue(FastExecutor.phaseWinograd(rows: 6, cols: 6, batch: 16, channels: 2048, outChannels: 256)! == (3, 3))
        XCTAssertNil(FastExecutor.phaseWinograd(rows: 2, cols: 3, batch: 128, channels: 2048, outChannels: 256))
        XCTAssertNil(FastExecutor.phaseWinograd(rows: 2, cols: 2, batch: 256, channels: 2048, outChannels: 256))
        XCTAssertNil(FastExecutor.phaseWinograd(rows: 1, cols: 6, batch: 64, channels: 2048, outChannels: 256))
        XCTAssertNil(FastExecutor.phaseWinograd(rows: 16, cols: 16, batch: 1, channels: 64, outChannels: 64))
        // DeepLabV3 MobileNetV3 on two threads: the ASPP's dilation-12 3x3 phases (960 -> 256) and the head's
        // 3x3 convolution on 32x32 gain only with their transformed weights kept (24.6 and 9.4 MB).
        XCTAssertNil(FastExecutor.phaseWinograd(rows: 3, cols: 3, batch: 64, channels: 960, outChannels: 256, threads: 2))
        XCTAssertTrue(FastExecutor.phaseWinograd(rows: 3, cols: 3, batch: 64, channels: 960, outChannels: 256, threads: 2, keptWeights: true)! == (3, 3))
        XCTAssertEqual(FastExecutor.keptWeightBytes((3, 3), channels: 960, outChannels: 256), 24_576_000)
        XCTAssertNil(FastExecutor.phaseWinograd(rows: 32, cols: 32, batch: 1, channels: 256, outChannels: 256, threads: 2))
        XCTAssertTrue(FastExecutor.phaseWinograd(rows: 32, cols: 32, batch: 1, channels: 256, outChannels: 256, threads: 2, keptWeights: true)! == (4, 4))
        XCTAssertLessThanOrEqual(FastExecutor.keptWeightBytes((3, 3), channels: 960, outChannels: 256) + FastExecutor.keptWeightBytes((4, 4), channels: 256, outChannels: 256),
                                 FastExecutor.keptWinogradBudget)
        // Kept weights do not make 2x2 sub-images worth it.
        XCTAssertNil(FastExecutor.phaseWinograd(rows: 2, cols: 2, batch: 16, channels: 960, outChannels: 256, threads: 2, keptWeights: true))
    }

    static let cases = ["op_conv3x3_dilation2_phase_winograd", "op_conv3x3_phase_winograd", "op_conv3x3_dilation3_phase_winograd"]

    func testPhaseWinogradMatchesOnnxruntimeWhereOneDNNHasNoWinograd() throws {
        let entries = try Fixtures.manifest("ops_manifest.json")
        for name in Self.cases {
            let entry = try XCTUnwrap(entries.first { $0.name == name }, name)
            for (winograd, threads) in [(true, 1), (true, 2), (false, 2)] {
                let labels = try fastProfileMatchingFixture(entry, threads: threads, winograd: winograd)
                // The rule charges the transforms' memory traffic per thread: these fixtures take
                // Winograd on one thread only, even with their weights kept (the two-thread kernel is
                // checked below against the taps, and on `op_conv3x3_kept_winograd`).
                let expect = winograd && !FastExecutor.winogradAvailable && threads == 1
                XCTAssertEqual(labels.contains { $0.hasPrefix("Conv (phase Winograd)") }, expect, "\(name) winograd \(winograd) threads \(threads): \(labels)")
                XCTAssertFalse(labels.contains { $0.hasPrefix("Conv (phase Winograd, kept weights)") }, "\(name): \(labels)")
                XCTAssertFalse(expect && labels.contains { $0.hasPrefix("Conv (phase taps)") }, "\(name): \(labels)")
                if expect && name == "op_conv3x3_dilation2_phase_winograd" { XCTAssertTrue(labels.contains("Conv (phase Winograd)+act"), "the Relu is fused: \(labels)") }
            }
        }
    }

    /// A plain 3x3 convolution, 128 channels on 40x40 (100 tiles of 4x4): on one thread Winograd with its
    /// weights transformed on every run; on two threads (the transforms' traffic counted twice) only with
    /// them made once at compile time and kept (`keptWinogradBudget`, 2.4 MB here); without Winograd
    /// oneDNN's direct kernel. All against onnxruntime.
    func testTransformedWeightsAreKeptWhereThatMakesWinogradPay() throws {
        let name = "op_conv3x3_kept_winograd"
        let entry = try XCTUnwrap(try Fixtures.manifest("ops_manifest.json").first { $0.name == name })
        XCTAssertTrue(FastExecutor.phaseWinograd(rows: 40, cols: 40, batch: 1, channels: 128, outChannels: 128, threads: 1)! == (4, 4))
        XCTAssertNil(FastExecutor.phaseWinograd(rows: 40, cols: 40, batch: 1, channels: 128, outChannels: 128, threads: 2))
        XCTAssertTrue(FastExecutor.phaseWinograd(rows: 40, cols: 40, batch: 1, channels: 128, outChannels: 128, threads: 2, keptWeights: true)! == (4, 4))
        for (winograd, threads, expected) in [(true, 1, "Conv (phase Winograd)+act"), (true, 2, "Conv (phase Winograd, kept weights)+act"), (false, 2, "Conv+act")] {
            let labels = try fastProfileMatchingFixture(entry, threads: threads, winograd: winograd)
            if FastExecutor.winogradAvailable {  // AVX-512: oneDNN's own kernels, Winograd or direct
                XCTAssertFalse(labels.contains { $0.hasPrefix("Conv (phase") }, "\(labels)")
            } else {
                XCTAssertTrue(labels.contains(expected), "winograd \(winograd) threads \(threads): \(labels)")
                XCTAssertFalse(labels.contains { $0.hasPrefix("Conv (phase taps)") }, "\(labels)")
            }
        }
    }

    /// The dynamic tail's 3x3 convolutions (FastTailWinograd.swift) on 32 selected samples of 14x14,
    /// 128 channels: Winograd on one thread where oneDNN has none (with Relu and LeakyRelu fused, and
    /// the second convolution reading the first's position-major output as it is), oneDNN's direct
    /// kernel otherwise; both against onnxruntime.
    func testTailConvolutionsRunAsWinogradWhereOneDNNHasNone() throws {
        let name = "op_tail_conv_winograd"
        let entry = try XCTUnwrap(try Fixtures.manifest("detection_ops_manifest.json").first { $0.name == name })
        for (winograd, threads) in [(true, 1), (false, 1), (true, 2)] {
            let labels = try fastProfileMatchingFixture(entry, threads: threads, winograd: winograd)
            let expect = winograd && !FastExecutor.winogradAvailable && threads == 1
            XCTAssertEqual(labels.filter { $0.hasPrefix("Conv (Winograd)+act (dynamic)") }.count, expect ? 1 : 0, "winograd \(winograd) threads \(threads): \(labels)")
            XCTAssertEqual(labels.contains("Conv+act (dynamic)"), !expect, "\(labels)")
        }
    }

    /// The Winograd kernel against the per-tap kernel (itself checked against onnxruntime in
    /// DilatedPhaseConvolutionTests) on random data: two threads, partial tiles, mixed tile sizes,
    /// bias and LeakyRelu, a scratch budget that splits the lines into chunks, and one so small that
    /// every row of points is its own group.
    func testWinogradKernelEqualsTheTapsOnTwoThreadsAndInRowGroups() {
        var rng = SplitMix(seed: 12)
        // groups, chunks: the expected row groups and line chunks (batch 40, 9 x 7 in tiles of 4 x 3: 360 lines; a budget of
        // 30 points' weights plus 300 lines fits all rows and 300 lines, so chunks of 300 and 60).
        let cases: [(shape: PhaseTapGemm.Shape, c: Int, oc: Int, mr: Int, mc: Int, threads: Int, budget: Int, groups: Int, chunks: Int)] = [
            (.init(batch: 3, rows: 9, cols: 7), 20, 12, 4, 3, 2, 48 << 20, 1, 1), (.init(batch: 2, rows: 5, cols: 6), 17, 9, 2, 4, 1, 1, 4, 1),
            (.init(batch: 1, rows: 13, cols: 11), 32, 24, 4, 4, 2, 1, 6, 1),
            (.init(batch: 40, rows: 9, cols: 7), 20, 12, 4, 3, 2, (30 * 20 * 12 + 300 * 30 * 32) * 4, 1, 2),
            (.init(batch: 40, rows: 9, cols: 7), 20, 12, 4, 3, 1, 1, 6, 2),
        ]
        for t in cases {
            let positions = t.shape.batch * t.shape.rows * t.shape.cols
            var src = (0..<positions * t.c).map { _ in Float.random(in: -1...1, using: &rng) }
            var w9 = (0..<9 * t.c * t.oc).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
            let bias = (0..<t.oc).map { _ in Float.random(in: -1...1, using: &rng) }
            var viaTaps = [Float](repeating: 0, count: positions * t.oc), viaWinograd = [Float](repeating: .nan, count: positions * t.oc)
            let taps = PhaseTapGemm(shape: t.shape, channels: t.c, outChannels: t.oc, bias: bias, reluSlope: 0.1)
            let kernel = PhaseWinogradGemm(shape: t.shape, channels: t.c, outChannels: t.oc, rowsAxis: WinogradAxis(m: t.mr), colsAxis: WinogradAxis(m: t.mc),
                                           bias: bias, reluSlope: 0.1, threads: t.threads, scratchBudget: t.budget)
            XCTAssertEqual(kernel.rowGroups.count, t.groups, "\(t)")
            XCTAssertEqual((kernel.tiles * t.shape.batch + kernel.chunkLines - 1) / kernel.chunkLines, t.chunks, "\(t)")
            let sizes = kernel.scratchFloats
            var v = [Float](repeating: 0, count: sizes.input), m = [Float](repeating: 0, count: sizes.products), u = [Float](repeating: 0, count: sizes.weights)
            src.withUnsafeMutableBytes { s in w9.withUnsafeMutableBytes { w in
                viaTaps.withUnsafeMutableBytes { taps.run([s.baseAddress!, w.baseAddress!, $0.baseAddress!]) }
                viaWinograd.withUnsafeMutableBytes { d in v.withUnsafeMutableBytes { vp in m.withUnsafeMutableBytes { mp in u.withUnsafeMutableBytes { up in
                    kernel.run([s.baseAddress!, w.baseAddress!, d.baseAddress!, vp.baseAddress!, mp.baseAddress!, up.baseAddress!])
                } } } }
            } }
            // The same with the transformed weights of every point made beforehand (`keptWeights`: no weights scratch).
            let keeping = PhaseWinogradGemm(shape: t.shape, channels: t.c, outChannels: t.oc, rowsAxis: WinogradAxis(m: t.mr), colsAxis: WinogradAxis(m: t.mc),
                                            bias: bias, reluSlope: 0.1, threads: t.threads, scratchBudget: t.budget, keptWeights: true)
            XCTAssertEqual(keeping.scratchFloats.weights, 0)
            var kept = [Float](repeating: .nan, count: keeping.points * t.c * t.oc), viaKept = [Float](repeating: .nan, count: positions * t.oc)
            var v2 = [Float](repeating: 0, count: keeping.scratchFloats.input), m2 = [Float](repeating: 0, count: keeping.scratchFloats.products)
            w9.withUnsafeBufferPointer { w in kept.withUnsafeMutableBufferPointer { keeping.transformedWeights(taps: w.baseAddress!, into: $0.baseAddress!) } }
            XCTAssertFalse(kept.contains { $0.isNaN }, "every point's weights made: \(t)")
            src.withUnsafeMutableBytes { s in kept.withUnsafeMutableBytes { u in viaKept.withUnsafeMutableBytes { d in
                v2.withUnsafeMutableBytes { vp in m2.withUnsafeMutableBytes { mp in keeping.run([s.baseAddress!, u.baseAddress!, d.baseAddress!, vp.baseAddress!, mp.baseAddress!]) } }
            } } }
            let scale = viaTaps.map(abs).max()!
            for (name, got) in [("weights per run", viaWinograd), ("kept weights", viaKept)] {
                let worst = zip(viaTaps, got).map { abs($0 - $1) }.max()!
                XCTAssertLessThanOrEqual(worst / scale, 1e-5, "\(name): \(t)")
                XCTAssertFalse(got.contains { $0.isNaN }, "every output written (\(name)): \(t)")
            }
        }
    }
}
