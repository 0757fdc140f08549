import Foundation

/// Reference normalisations, softmax, reductions and ArgMax. Statistics are accumulated in Double.
enum RefNormalization {
    /// y = scale * (x - mean) / sqrt(var + eps) + bias with biased variance over each (n, c) plane.
    static func instanceNorm(_ node: Node, x: Tensor, scale: Tensor, bias: Tensor) throws -> Tensor {
        let eps = Double(try node.float("epsilon", 1e-5))
        let n = x.shape[0], c = x.shape[1], plane = x.count / max(n * c, 1)
        guard scale.count == c, bias.count == c else { throw node.invalid("scale/bias must have \(c) values") }
        var out = x.floats
        for i in 0..<(n * c) {
            let ch = i % c
            try normalizePlane(&out, range: (i * plane)..<((i + 1) * plane), eps: eps, scale: scale.floats[ch], bias: bias.floats[ch], node)
        }
        return Tensor(shape: x.shape, floats: out)
    }

    static func normalizePlane(_ v: inout [Float], range: Range<Int>, eps: Double, scale: Float, bias: Float, _ node: Node) throws {
        guard !range.isEmpty else { return }
        var sum = 0.0
        for i in range { sum += Double(v[i]) }
        let mean = sum / Double(range.count)
        var sq = 0.0
        for i in range { let d = Double(v[i]) - mean; sq += d * d }
        let inv = 1 / (sq / Double(range.count) + eps).squareRoot()
        for i in range { v[i] = Float((Double(v[i]) - mean) * inv) * scale + bias }
    }

    /// GroupNormalization (opset 18 per-group or opset 21 per-channel scale and bias).
    static func groupNorm(_ node: Node, x: Tensor, scale: Tensor, bias: Tensor) throws -> Tensor {
        let eps = Double(try node.float("epsilon", 1e-5))
        let groups = try node.int("num_groups", 1)
        let n = x.shape[0], c = x.shape[1]
        guard groups >= 1, c % groups == 0 else { throw node.invalid("\(c) channels do not split into \(groups) groups") }
        let perChannel = scale.count == c
        guard perChannel || scale.count == groups, bias.count == scale.count else { throw node.invalid("scale/bias size \(scale.count)") }
        let plane = x.count / max(n * c, 1), cg = c / groups
        var out = x.floats
        for b in 0..<n { for g in 0..<groups {
            let start = (b * c + g * cg) * plane
            try normalizePlane(&out, range: start..<(start + cg * plane), eps: eps, scale: 1, bias: 0, node)
            for k in 0..<cg {
                let ch = g * cg + k
                let s = perChannel ? scale.floats[ch] : scale.floats[g], sh = perChannel ? bias.floats[ch] : bias.floats[g]
                for i in 0..<plane { out[start + k * plane + i] = out[start + k * plane + i] * s + sh }
            }
        } }
        return Tensor(shape: x.shape, floats: out)
    }

    static func batchNorm(_ node: Node, x: Tensor, _ p: [Tensor]) throws -> Tensor {
        guard try node.int("training_mode", 0) == 0 else { throw EngineError.unsupported("BatchNormalization training_mode (node '\(node.name)')") }
        let eps = try node.float("epsilon", 1e-5)
        let c = x.shape.count > 1 ? x.shape[1] : 1
        guard p.count == 4, p.allSatisfy({ $0.count == c }) else { throw node.invalid("scale, bias, mean and var must have \(c) values") }
        let plane = x.shape.count > 2 ? Tensor.elementCount(Array(x.shape[2...])) : 1
        var out = x.floats
        for i in 0..<out.count {
            let ch = (i / plane) % c
            let inv = 1 / sqrtf(p[3].floats[ch] + eps)
            out[i] = (out[i] - p[2].floats[ch]) * inv * p[0].floats[ch] + p[1].floats[ch]
        }
        return Tensor(shape: x.shape, floats: out)
    }

    /// Softmax / LogSoftmax: opset >= 13 over one axis (default -1); earlier opsets over the
    /// flattened trailing dims from `axis` (default 1).
    static func softmax(_ node: Node, x: Tensor, opset: Int) throws -> Tensor {
        let rank = x.shape.count
        let a = try OpParams.axis(try node.int("axis", opset >= 13 ? -1 : 1), rank: rank, node)
        let outer: Int, len: Int, inner: Int
        if opset >= 13 {
            outer = Tensor.elementCount(Array(x.shape[..<a])); len = x.shape[a]; inner = Tensor.elementCount(Array(x.shape[(a + 1)...]))
        } else {
            outer = Tensor.elementCount(Array(x.shape[..<a])); len = Tensor.elementCount(Array(x.shape[a...])); inner = 1
        }
        let isLog = node.opType == "LogSoftmax"
        var out = x.floats
        for o in 0..<outer { for i in 0..<inner {
            let base = o * len * inner + i
            var m = -Float.infinity
            for k in 0..<len { m = max(m, out[base + k * inner]) }
            var s = 0.0
            for k in 0..<len { s += Double(expf(out[base + k * inner] - m)) }
            for k in 0..<len {
                let v = out[base + k * inner] - m
                out[base + k * inner] = isLog ? v - Float(log(s)) : Float(Double(expf(v)) / s)
            }
        } }
        return Tensor(shape: x.shape, floats: out)
    }

    /// ReduceMean/Sum/Max/Min/L1/L2/SumSquare over `axes`, accumulated in Double.
    static func reduce(_ node: Node, x: Tensor, axes: Set<Int>, outShape: [Int]) -> Tensor {
        let rank = x.shape.count
        let keptShape = (0..<rank).map { axes.contains($0) ? 1 : x.shape[$0] }
        let outStrides = Tensor.strides(keptShape)
        let inStrides = Tensor.strides(x.shape)
        let nOut = Tensor.elementCount(keptShape)
        let op = node.opType
        let start: Double = op == "ReduceMax" ? -.infinity : op == "ReduceMin" ? .infinity : op == "ReduceProd" ? 1 : 0
        let combine: (Double, Double) -> Double
        switch op {
        case "ReduceMax": combine = { max($0, $1) }
        case "ReduceMin": combine = { min($0, $1) }
        case "ReduceL1": combine = { $0 + abs($1) }
        case "ReduceL2", "ReduceSumSquare": combine = { $0 + $1 * $1 }
        case "ReduceProd": combine = { $0 * $1 }
        default: combine = { $0 + $1 }
        }
        var acc = [Double](repeating: start, count: nOut)
        let vals = x.floatValues
        // The kept dimensions, looked up once (not a set lookup per element and dimension).
        let kept = (0..<rank).filter { !axes.contains($0) }.map { (inStride: inStrides[$0], size: x.shape[$0], outStride: outStrides[$0]) }
        for i in 0..<x.count {
            var o = 0
            for d in kept { o += ((i / d.inStride) % d.size) * d.outStride }
            acc[o] = combine(acc[o], Double(vals[i]))
        }
        let count = Double(x.count / max(nOut, 1))
        let out = acc.map { op == "ReduceMean" ? Float($0 / count) : op == "ReduceL2" ? Float($0.squareRoot()) : Float($0) }
        if x.elementType == .int64 && ["ReduceMax", "ReduceMin", "ReduceSum", "ReduceProd"].contains(op) {
            return Tensor(shape: outShape, ints: out.map { Int64($0) })
        }
        return Tensor(shape: outShape, floats: out)
    }

    /// LayerNormalization (opset 17) over the dims from `axis` on: Y, and optionally Mean and
    /// InvStdDev (shape of X with the normalised dims set to 1).
    static func layerNorm(_ node: Node, x: Tensor, scale: Tensor, bias: Tensor?) throws -> [Tensor] {
        let axis = try OpParams.axis(try node.int("axis", -1), rank: x.rank, node)
        let eps = Double(try node.float("epsilon", 1e-5))
        let normShape = Array(x.shape[axis...]), len = Tensor.elementCount(normShape), rows = x.count / max(len, 1)
        let sOff = RefElementwise.broadcastOffsets(scale.shape, to: normShape)
        let bOff = bias.map { RefElementwise.broadcastOffsets($0.shape, to: normShape) }
        let sv = scale.floatValues, bv = bias?.floatValues ?? []
        var out = x.floats, means = [Float](repeating: 0, count: rows), invs = means
        for r in 0..<rows {
            let base = r * len
            var sum = 0.0
            for i in 0..<len { sum += Double(out[base + i]) }
            let mean = sum / Double(len)
            var sq = 0.0
            for i in 0..<len { let d = Double(out[base + i]) - mean; sq += d * d }
            let inv = 1 / (sq / Double(len) + eps).squareRoot()
            means[r] = Float(mean); invs[r] = Float(inv)
            for i in 0..<len {
                var y = Float((Double(out[base + i]) - mean) * inv) * sv[sOff[i]]
                if let b = bOff { y += bv[b[i]] }
                out[base + i] = y
            }
        }
        let statShape = Array(x.shape[..<axis]) + [Int](repeating: 1, count: x.rank - axis)
        return [Tensor(shape: x.shape, floats: out), Tensor(shape: statShape, floats: means), Tensor(shape: statShape, floats: invs)]
    }

    static func argMax(_ node: Node, x: Tensor, outShape: [Int]) throws -> Tensor {
        let a = try OpParams.axis(try node.int("axis", 0), rank: x.shape.count, node)
        let last = try node.int("select_last_index", 0) != 0
        let outer = Tensor.elementCount(Array(x.shape[..<a])), len = x.shape[a], inner = Tensor.elementCount(Array(x.shape[(a + 1)...]))
        let v = x.floatValues
        var out = [Int64](repeating: 0, count: outer * inner)
        for o in 0..<outer { for i in 0..<inner {
            var best = -Float.infinity, bi = 0
            for k in 0..<len {
                let e = v[(o * len + k) * inner + i]
                if k == 0 || e > best || (last && e == best) { best = e; bi = k }
            }
            out[o * inner + i] = Int64(bi)
        } }
        return Tensor(shape: outShape, ints: out)
    }
}
