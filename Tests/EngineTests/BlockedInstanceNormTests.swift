import XCTest
@testable import Engine
import TestSupport

/// `BlockedInstanceNorm` on both block widths (16 channels with AVX-512, 8 with AVX2), whatever the
/// CPU running the test: each channel normalised with its own mean and variance (computed here in
/// Double), padded channels left at zero, the fused ReLU or LeakyReLU applied, into another buffer or
/// in place (the apply pass is `ss_block_affine` in CKernels since session 20).
final class BlockedInstanceNormTests: XCTestCase {
    func testBothBlockWidthsNormaliseEachChannel() {
        let channels = 12, spatial = 5000
        for block in [8, 16] {
            for (slope, inPlace) in [(nil, false), (0, false), (0.01, false), (0.01, true), (nil, true)] as [(Float?, Bool)] {
                let blocks = (channels + block - 1) / block
                // Channel ch holds ch * 10 + noise: a mean large against the spread.
                var generator = SplitMix(seed: UInt64(block * 10 + channels))
                var x = [Float](repeating: 0, count: blocks * spatial * block)
                for ch in 0..<channels { for i in 0..<spatial { x[(ch / block * spatial + i) * block + ch % block] = Float(ch * 10) + Float.random(in: -1...1, using: &generator) } }
                let scale = (0..<channels).map { Float($0 + 1) / 4 }, bias = (0..<channels).map { Float($0) - 5 }
                var y = [Float](repeating: .nan, count: x.count)
                let kernel = BlockedInstanceNorm(samples: 1, block: block, channelBlocks: blocks, spatial: spatial, channels: channels,
                                                 epsilon: 1e-5, scale: scale, bias: bias, slope: slope, threads: 2)
                let source = x
                if inPlace {
                    y = x
                    y.withUnsafeMutableBytes { kernel.run(src: $0.baseAddress!, dst: $0.baseAddress!) }
                } else {
                    x.withUnsafeMutableBytes { xp in y.withUnsafeMutableBytes { yp in kernel.run(src: xp.baseAddress!, dst: yp.baseAddress!) } }
                }
                XCTAssertEqual(x, source, "the source is only read")
                for lane in 0..<(blocks * block) {
                    let at = { (i: Int) in (lane / block * spatial + i) * block + lane % block }
                    guard lane < channels else {
                        XCTAssertTrue((0..<spatial).allSatisfy { y[at($0)] == 0 }, "padded channel \(lane), block \(block)")
                        continue
                    }
                    let values = (0..<spatial).map { Double(x[at($0)]) }
                    let mean = values.reduce(0, +) / Double(spatial)
                    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(spatial)
                    var worst = 0.0
                    for i in 0..<spatial {
                        var expected = (values[i] - mean) / (variance + 1e-5).squareRoot() * Double(scale[lane]) + Double(bias[lane])
                        if let slope, expected < 0 { expected *= Double(slope) }
                        worst = max(worst, abs(Double(y[at(i)]) - expected))
                    }
                    XCTAssertLessThan(worst, 1e-4, "channel \(lane), block \(block), slope \(String(describing: slope)), in place \(inPlace)")
                }
            }
        }
    }
}
