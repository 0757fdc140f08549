import CDNNL
import Foundation

/// The dynamic tail's plain 3x3 convolutions as the engine's Winograd (`PhaseWinogradGemm`,
/// FastPhaseWinograd.swift), where oneDNN has none (AVX2: oneDNN 2.6 offers Winograd only with
/// AVX-512). These are Mask R-CNN v2's RoI heads: four 256 -> 256 convolutions on 1,000 proposals
/// of 7x7 (box head) and four on up to 100 detections of 14x14 (mask head), most of that model's
/// time. A map of N samples is one phase class pair of N sub-images (dilation 1), laid out
/// position-major, [H][W][N][C]: consecutive convolutions hand that layout on without a reorder.
///
/// Rule: group 1, 3x3, stride 1, dilation 1, padding 1, at least `winogradMinChannels` input and
/// output channels, Winograd on (`InferenceSession(winograd:)`), oneDNN without Winograd, and
/// `phaseWinograd` choosing Winograd for the run's sample count (decided per input shape, as the
/// tail's primitives are). A Relu / LeakyRelu after it runs in the kernel; another activation
/// runs after it as a reference step.
extension FastTailPrimitive {
    /// The Winograd form of this convolution on input `x` (output `out`) where the rule holds, else nil.
    func winogradConv(_ x: [Int], _ out: [Int]) throws -> Compiled? {
        guard kind == .conv, winograd.enabled, !FastExecutor.winogradAvailable,
              try FastExecutor.phaseDilation(node, x: x, out: out, weights: weights) == 1,
              x[1] >= FastExecutor.winogradMinChannels, out[1] >= FastExecutor.winogradMinChannels,
              let (mr, mc) = FastExecutor.phaseWinograd(rows: x[2], cols: x[3], batch: x[0], channels: x[1], outChannels: out[1],
                                                        threads: winograd.threads) else { return nil }
        let (c, oc) = (x[1], out[1])
        let relu = activation?.alg == dnnl_eltwise_relu
        let kernel = PhaseWinogradGemm(shape: .init(batch: x[0], rows: x[2], cols: x[3]), channels: c, outChannels: oc,
                                       rowsAxis: WinogradAxis(m: mr), colsAxis: WinogradAxis(m: mc), bias: bias?.floatValues,
                                       reluSlope: relu ? activation!.alpha : nil, threads: winograd.threads)
        if tapWeights == nil {
            let p = DNNL.allocate(9 * c * oc * 4)
            PhaseTapGemm.tapMatrices(weights.floats, channels: c, outChannels: oc, into: p.bindMemory(to: Float.self, capacity: 9 * c * oc))
            tapWeights = p
        }
        log.debug("Winograd (dynamic tail)", metadata: ["node": "\(node.name)", "input": "\(x)", "tile": "\(mr)x\(mc)"])
        return Compiled(primitive: nil, src: try Self.positionMajor(x), dst: try Self.positionMajor(out), weights: try DNNL.plain([9, c, oc]),
                        packed: tapWeights!, outShape: out, fused: relu, winograd: kernel)
    }

    /// [N, C, H, W] laid out as [H][W][N][C].
    static func positionMajor(_ s: [Int]) throws -> dnnl_memory_desc_t {
        try DNNL.strided(s, [s[1], 1, s[3] * s[0] * s[1], s[0] * s[1]])
    }

    /// Runs the kernel with the shared scratch.
    func runWinograd(_ k: PhaseWinogradGemm, src: UnsafeMutableRawPointer, taps: UnsafeMutableRawPointer, dst: UnsafeMutableRawPointer) {
        let f = k.scratchFloats, s = winograd.scratch
        k.run([src, taps, dst, s.input.reserve(f.input * 4), s.products.reserve(f.products * 4), s.weights.reserve(f.weights * 4)])
    }
}

/// The Winograd kernels' scratch in the dynamic tail: transformed input, products and transformed
/// weights, grown to the largest run's need (`PhaseWinogradGemm.scratchBudget` bounds it).
final class WinogradScratch {
    let input = GrowableBuffer(bound: 0), products = GrowableBuffer(bound: 0), weights = GrowableBuffer(bound: 0)
}
