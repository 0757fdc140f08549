/// Per-channel mean and variance of each sample, for InstanceNormalization on a plain (`ncdhw`)
/// or channels-last (`ndhwc`) value; oneDNN batch normalisation then applies them as global
/// statistics. oneDNN 2.6's own statistics (`bnorm_jit`) underestimate the variance over a
/// 96^3 volume by about 4e-4 (relative), which moved a full-size SwinUNETR's output 2.1e-4 away
/// from onnxruntime (docs/ENGINE.md). As in `BlockedInstanceNorm`: sums of x - K and (x - K)^2,
/// K the channel's first value, in Float over chunks of `chunk` positions, combined in Double.
/// Operands: source, then `samples x channels` Floats each for the means and the variances.
struct InstanceStatistics: FastKernel {
    let samples: Int
    let channels: Int
    let spatial: Int
    /// Channels innermost (`ndhwc`), else each channel's positions contiguous (`ncdhw`).
    let channelsLast: Bool
    let threads: Int
    let chunk = 4096

    func run(_ pointers: [UnsafeMutableRawPointer]) {
        let x = UnsafePointer(pointers[0].assumingMemoryBound(to: Float.self))
        let chunks = (spatial + chunk - 1) / chunk, c = channels
        var sums = [Double](repeating: 0, count: samples * chunks * c), squares = sums
        sums.withUnsafeMutableBufferPointer { sp in
            squares.withUnsafeMutableBufferPointer { qp in
                parallelItems(samples * chunks, threads: threads) { item in
                    let n = item / chunks, range = (item % chunks) * chunk..<min(spatial, (item % chunks + 1) * chunk)
                    let out = item * c
                    if channelsLast { shiftedSumsChannelsLast(x + n * c * spatial, range, sp.baseAddress! + out, qp.baseAddress! + out) }
                    else { shiftedSumsPlanar(x + n * c * spatial, range, sp.baseAddress! + out, qp.baseAddress! + out) }
                }
            }
        }
        let means = pointers[1].assumingMemoryBound(to: Float.self), variances = pointers[2].assumingMemoryBound(to: Float.self)
        let count = Double(spatial)
        for n in 0..<samples {
            for ch in 0..<c {
                var s = 0.0, q = 0.0
                for k in 0..<chunks { s += sums[(n * chunks + k) * c + ch]; q += squares[(n * chunks + k) * c + ch] }
                let shifted = s / count
                let shift = Double(x[n * c * spatial + (channelsLast ? ch : ch * spatial)])
                means[n * c + ch] = Float(shifted + shift)
                variances[n * c + ch] = Float(max(0, q / count - shifted * shifted))
            }
        }
    }

    /// Shifted sums of positions `range` of one sample in `ndhwc` (a row of `channels` per position).
    private func shiftedSumsChannelsLast(_ x: UnsafePointer<Float>, _ range: Range<Int>, _ s: UnsafeMutablePointer<Double>, _ q: UnsafeMutablePointer<Double>) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * channels) { acc in
            acc.initialize(repeating: 0)
            let a = acc.baseAddress!, b = a + channels
            for p in range {
                let row = x + p * channels
                for ch in 0..<channels { let v = row[ch] - x[ch]; a[ch] += v; b[ch] += v * v }
            }
            for ch in 0..<channels { s[ch] = Double(a[ch]); q[ch] = Double(b[ch]) }
        }
    }

    /// Shifted sums of positions `range` of one sample in `ncdhw` (each channel's positions contiguous).
    private func shiftedSumsPlanar(_ x: UnsafePointer<Float>, _ range: Range<Int>, _ s: UnsafeMutablePointer<Double>, _ q: UnsafeMutablePointer<Double>) {
        for ch in 0..<channels {
            let plane = x + ch * spatial, k = plane[0]
            var a: Float = 0, b: Float = 0
            for p in range { let v = plane[p] - k; a += v; b += v * v }
            s[ch] = Double(a); q[ch] = Double(b)
        }
    }
}
