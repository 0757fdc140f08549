/// InstanceNormalization (+ optional ReLU/LeakyReLU) on oneDNN's channel-blocked layout
/// (`nC[d]hw16c`: for each sample, blocks of 16 channels, each block spatial-major with the 16
/// channels innermost). Two memory passes: statistics (sums of x - K and (x - K)^2 with K the
/// block's first value, so a large mean does not cancel the variance; Float partial sums per chunk,
/// combined in Double), then y = x * a + b with the activation, written in place or to `dst`.
/// Padded channels (C not a multiple of 16) get a = b = 0 and stay zero.
struct BlockedInstanceNorm {
    let samples: Int
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
        let blocks = samples * channelBlocks
        let chunk = 4096
        let chunksPerBlock = (spatial + chunk - 1) / chunk
        let x = src.assumingMemoryBound(to: SIMD16<Float>.self)
        let y = dst.assumingMemoryBound(to: SIMD16<Float>.self)
        // Pass 1: per (block, chunk) shifted sums.
        var sums = [SIMD16<Double>](repeating: .zero, count: blocks * chunksPerBlock)
        var squares = sums
        sums.withUnsafeMutableBufferPointer { sp in
            squares.withUnsafeMutableBufferPointer { qp in
                parallelItems(blocks * chunksPerBlock, threads: threads) { item in
                    let b = item / chunksPerBlock, c = item % chunksPerBlock
                    let base = b * spatial
                    let shift = x[base]
                    var s = SIMD16<Float>.zero, q = SIMD16<Float>.zero
                    for i in (base + c * chunk)..<(base + min(spatial, (c + 1) * chunk)) {
                        let v = x[i] - shift
                        s += v; q += v * v
                    }
                    sp[item] = SIMD16<Double>(s); qp[item] = SIMD16<Double>(q)
                }
            }
        }
        // Per block: a = scale / sqrt(var + eps), b = bias - mean * a.
        var aCoef = [SIMD16<Float>](repeating: .zero, count: blocks), bCoef = aCoef
        for b in 0..<blocks {
            var s = SIMD16<Double>.zero, q = SIMD16<Double>.zero
            for c in 0..<chunksPerBlock { s += sums[b * chunksPerBlock + c]; q += squares[b * chunksPerBlock + c] }
            let shift = SIMD16<Double>(x[b * spatial])
            let n = Double(spatial)
            let meanShifted = s / n
            let variance = (q / n - meanShifted * meanShifted).replacing(with: 0, where: q / n - meanShifted * meanShifted .< 0)
            let mean = meanShifted + shift
            let cb = b % channelBlocks
            for lane in 0..<16 {
                let ch = cb * 16 + lane
                guard ch < channels else { continue }
                let a = Double(scale[ch]) / (variance[lane] + epsilon).squareRoot()
                aCoef[b][lane] = Float(a)
                bCoef[b][lane] = Float(Double(bias[ch]) - mean[lane] * a)
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
                    if let slope {
                        for i in range { let v = x[i] * a + sh; y[i] = v.replacing(with: v * slope, where: v .< 0) }
                    } else {
                        for i in range { y[i] = x[i] * a + sh }
                    }
                }
            }
        }
    }
}
