import CKernels
/// InstanceNormalization (+ optional ReLU/LeakyReLU) on oneDNN's channel-blocked layout
/// (`nC[d]hw16c` with AVX-512, `nC[d]hw8c` with AVX2: for each sample, blocks of `block` channels,
/// each block spatial-major with its channels innermost; `DNNL.channelBlock`). Two memory passes:
/// statistics (sums of x - K and (x - K)^2 with K the block's first value, so a large mean does not
/// cancel the variance; Float partial sums per chunk, combined in Double), then y = x * a + b with
/// the activation, written in place or to `dst`. Padded channels (C not a multiple of the block)
/// get a = b = 0 and stay zero.
struct BlockedInstanceNorm {
    let samples: Int
    /// Channels per block: 16 or 8.
    let block: Int
    let channelBlocks: Int
    let spatial: Int
    let channels: Int
    let epsilon: Double
    let scale: [Float]
    let bias: [Float]
    /// Negative slope of the fused activation: 0 for ReLU, nil for none.
    let slope: Float?
    let threads: Int

    func run(src: UnsafeMutableRawPointer, dst: UnsafeMutableRawPointer) {
        if block == 16 { run(SIMD16<Float>.self, src: src, dst: dst) } else { run(SIMD8<Float>.self, src: src, dst: dst) }
    }

    /// The kernel with one `V` per spatial position of a block (`V.scalarCount == block`).
    private func run<V: SIMD>(_: V.Type, src: UnsafeMutableRawPointer, dst: UnsafeMutableRawPointer) where V.Scalar == Float {
        let lanes = V.scalarCount
        let blocks = samples * channelBlocks
        let chunk = 4096
        let chunksPerBlock = (spatial + chunk - 1) / chunk
        let x = src.assumingMemoryBound(to: V.self)
        let y = dst.assumingMemoryBound(to: V.self)
        // Pass 1: per (block, chunk) shifted sums, lane by lane.
        var sums = [Double](repeating: 0, count: blocks * chunksPerBlock * lanes)
        var squares = sums
        sums.withUnsafeMutableBufferPointer { sp in
            squares.withUnsafeMutableBufferPointer { qp in
                parallelItems(blocks * chunksPerBlock, threads: threads) { item in
                    let b = item / chunksPerBlock, c = item % chunksPerBlock
                    let base = b * spatial
                    let shift = x[base]
                    var s = V(), q = V()
                    for i in (base + c * chunk)..<(base + min(spatial, (c + 1) * chunk)) {
                        let v = x[i] - shift
                        s += v; q += v * v
                    }
                    for lane in 0..<lanes { sp[item * lanes + lane] = Double(s[lane]); qp[item * lanes + lane] = Double(q[lane]) }
                }
            }
        }
        // Per block: a = scale / sqrt(var + eps), b = bias - mean * a.
        var aCoef = [V](repeating: V(), count: blocks), bCoef = aCoef
        let n = Double(spatial)
        for b in 0..<blocks {
            let cb = b % channelBlocks
            for lane in 0..<lanes {
                let ch = cb * lanes + lane
                guard ch < channels else { continue }
                var s = 0.0, q = 0.0
                for c in 0..<chunksPerBlock { s += sums[(b * chunksPerBlock + c) * lanes + lane]; q += squares[(b * chunksPerBlock + c) * lanes + lane] }
                let meanShifted = s / n
                let variance = max(q / n - meanShifted * meanShifted, 0)
                let mean = meanShifted + Double(x[b * spatial][lane])
                let a = Double(scale[ch]) / (variance + epsilon).squareRoot()
                aCoef[b][lane] = Float(a)
                bCoef[b][lane] = Float(Double(bias[ch]) - mean * a)
            }
        }
        // Pass 2: normalise and activate.
        let slope = self.slope
        aCoef.withUnsafeBufferPointer { ap in
            bCoef.withUnsafeBufferPointer { bp in
                parallelItems(blocks * chunksPerBlock, threads: threads) { item in
                    let b = item / chunksPerBlock, c = item % chunksPerBlock
                    let a = ap[b], sh = bp[b]
                    let base = b * spatial
                    let range = (base + c * chunk)..<(base + min(spatial, (c + 1) * chunk))
                    // In C (CKernels): the generic SIMD select compiled to a per-lane loop, 0.3 s of UNETR's 2.4.
                    withUnsafeBytes(of: a) { ab in withUnsafeBytes(of: sh) { bb in
                        ss_block_affine(UnsafeRawPointer(x + range.lowerBound).assumingMemoryBound(to: Float.self),
                                        UnsafeMutableRawPointer(y + range.lowerBound).assumingMemoryBound(to: Float.self),
                                        range.count, Int32(lanes), ab.baseAddress!.assumingMemoryBound(to: Float.self),
                                        bb.baseAddress!.assumingMemoryBound(to: Float.self), slope == nil ? 0 : 1, slope ?? 0)
                    } }
                }
            }
        }
    }
}
