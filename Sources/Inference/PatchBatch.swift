/// Patches gathered for one network call, with test-time mirroring.
struct PatchBatch {
    let options: SlidingWindowOptions
    let channels: Int
    private(set) var origins: [[Int]] = []
    private var data: [Float] = []

    init(options: SlidingWindowOptions, channels: Int) {
        self.options = options
        self.channels = channels
    }

    var count: Int { origins.count }
    var patchVoxels: Int { options.patch.reduce(1, *) }

    /// Copies the patch at `origin` out of `array` (all channels).
    mutating func append(origin: [Int], from array: ChannelArray) {
        let p = options.patch
        let s = array.shape
        for c in 0..<channels {
            for y0 in 0..<p[0] {
                for y1 in 0..<p[1] {
                    let src = ((c * s[0] + origin[0] + y0) * s[1] + origin[1] + y1) * s[2] + origin[2]
                    data.append(contentsOf: array.values[src..<(src + p[2])])
                }
            }
        }
        origins.append(origin)
    }

    /// Runs the network on the gathered patches (and their mirrored copies) and adds the Gaussian-
    /// weighted scores into the per-slice accumulators.
    mutating func flush(network: PatchNetwork, weights: [Float], shape: [Int], into accumulators: inout [Int: SliceAccumulator]) throws {
        guard !origins.isEmpty else { return }
        let k = options.classes
        let n = origins.count
        var scores = try predict(network: network, input: data, batch: n)
        let flips = mirrorCombinations(options.mirrorAxes)
        if flips.count > 1 {
            for flip in flips.dropFirst() {
                let flippedInput = mirrored(data, channels: channels, batch: n, axes: flip)
                let out = try predict(network: network, input: flippedInput, batch: n)
                let back = mirrored(out, channels: k, batch: n, axes: flip)
                for i in scores.indices { scores[i] += back[i] }
            }
            let scale = 1 / Float(flips.count)
            for i in scores.indices { scores[i] *= scale }
        }
        let p = options.patch
        let plane = shape[1] * shape[2]
        for (b, origin) in origins.enumerated() {
            for y0 in 0..<p[0] {
                let x0 = origin[0] + y0
                var acc = accumulators.removeValue(forKey: x0) ?? SliceAccumulator(classes: k, plane: plane)
                for y1 in 0..<p[1] {
                    let row = (origin[1] + y1) * shape[2] + origin[2]
                    let wRow = (y0 * p[1] + y1) * p[2]
                    for y2 in 0..<p[2] {
                        let w = weights[wRow + y2]
                        acc.weight[row + y2] += w
                        for c in 0..<k {
                            let src = ((b * k + c) * p[0] + y0) * p[1] * p[2] + (y1 * p[2] + y2)
                            acc.scores[c * plane + row + y2] += scores[src] * w
                        }
                    }
                }
                accumulators[x0] = acc
            }
        }
        origins.removeAll(keepingCapacity: true)
        data.removeAll(keepingCapacity: true)
    }

    private func predict(network: PatchNetwork, input: [Float], batch: Int) throws -> [Float] {
        let p = options.patch
        let shape = options.is2D ? [batch, channels, p[1], p[2]] : [batch, channels, p[0], p[1], p[2]]
        let out = try network.predict(input, shape: shape)
        let expected = batch * options.classes * patchVoxels
        guard out.count == expected else {
            throw InferenceError.networkOutput("network returned \(out.count) values for \(batch) patches; expected \(expected) (\(options.classes) classes x \(p))")
        }
        return out
    }

    /// Every subset of `axes` (the empty subset first): the mirrorings nnU-Net's TTA averages.
    private func mirrorCombinations(_ axes: [Int]) -> [[Int]] {
        var result: [[Int]] = [[]]
        for a in axes { result += result.map { $0 + [a] } }
        return result
    }

    /// Flips patches `[batch, ch, p0, p1, p2]` along the given spatial axes (0...2).
    private func mirrored(_ values: [Float], channels ch: Int, batch: Int, axes: [Int]) -> [Float] {
        let p = options.patch
        var out = values
        let per = patchVoxels
        for b in 0..<batch {
            for c in 0..<ch {
                let base = (b * ch + c) * per
                for y0 in 0..<p[0] {
                    for y1 in 0..<p[1] {
                        for y2 in 0..<p[2] {
                            let s0 = axes.contains(0) ? p[0] - 1 - y0 : y0
                            let s1 = axes.contains(1) ? p[1] - 1 - y1 : y1
                            let s2 = axes.contains(2) ? p[2] - 1 - y2 : y2
                            out[base + (y0 * p[1] + y1) * p[2] + y2] = values[base + (s0 * p[1] + s1) * p[2] + s2]
                        }
                    }
                }
            }
        }
        return out
    }
}
