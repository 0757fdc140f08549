import XCTest
@testable import Engine

/// 3x3 convolutions the fast backend runs as Winograd (FastDilatedWinograd.swift; plain, dilation 2
/// after a channels-last 1x1 convolution with batch 2, dilation 3) against onnxruntime
/// (Scripts/engine/make_op_fixtures.py): with Winograd on they must run as Winograd and match; with
/// it off (`winograd: false`, `model bench --no-winograd`) the direct convolution runs and matches.
/// oneDNN 2.6 has `wino_4x3` on AVX-512 CPUs only: elsewhere (AVX2, e.g. AMD Zen 3) "Winograd on"
/// must fall back to the direct convolution, with the activation still fused, and match as well.
final class WinogradConvolutionTests: XCTestCase {
    static let names = ["op_conv3x3_winograd", "op_conv3x3_dilation2_winograd", "op_conv3x3_dilation3_winograd"]

    func testWinogradConvolutionsMatchOnnxruntimeAndTheSwitchTurnsThemOff() throws {
        let entries = try Fixtures.manifest("ops_manifest.json")
        for name in Self.names {
            let entry = try XCTUnwrap(entries.first { $0.name == name }, name)
            for winograd in [true, false] {
                let labels = try fastProfileMatchingFixture(entry, threads: 2, winograd: winograd)
                let expectWinograd = winograd && FastExecutor.winogradAvailable
                XCTAssertEqual(labels.contains { $0.hasPrefix("Conv (winograd)") }, expectWinograd, "\(name) winograd \(winograd): \(labels)")
                XCTAssertEqual(labels.contains { $0.hasPrefix("Reorder (space-to-batch)") }, expectWinograd, "\(name) winograd \(winograd): \(labels)")
                if name != "op_conv3x3_dilation3_winograd" {
                    XCTAssertTrue(labels.contains(expectWinograd ? "Conv (winograd)+act" : "Conv+act"), "\(name): the Relu is fused: \(labels)")
                }
            }
        }
    }

    /// oneDNN 2.6's `wino_4x3` needs AVX-512 (avx512_core): on a CPU without it (this project's AMD
    /// EPYC Zen 3 machine: AVX2 only) the probe must say no, or the rule would try a primitive that
    /// is not there; with avx512_core (the Intel Xeon) it says yes.
    func testWinogradProbeFollowsTheCPU() throws {
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n").first { $0.hasPrefix("flags") }
        let f = try XCTUnwrap(flags, "no flags line in /proc/cpuinfo").split(separator: " ").map(String.init)
        if !f.contains("avx512f") {
            XCTAssertFalse(FastExecutor.winogradAvailable, "no AVX-512, yet oneDNN offered wino_4x3")
        } else if ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(f.contains) {
            XCTAssertTrue(FastExecutor.winogradAvailable, "avx512_core, yet oneDNN offered no wino_4x3")
        }
    }
}
