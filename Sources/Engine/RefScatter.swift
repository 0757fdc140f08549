extension RefDetection {
    /// ScatterElements (opsets 11-18): a copy of `data` where, for every element of `indices`,
    /// the element at the same position with its `axis` coordinate replaced by the index receives
    /// the matching element of `updates` (reduction none, or add/mul/max/min from opset 16/18).
    /// torchvision's MultiScaleRoIAlign exports its per-level result assembly this way.
    static func scatterElements(_ node: Node, data: Tensor, indices: Tensor, updates: Tensor) throws -> Tensor {
        guard indices.shape == updates.shape, indices.rank == data.rank else {
            throw node.invalid("indices \(indices.shape) and updates \(updates.shape) must have one shape of the rank of data \(data.shape)")
        }
        let axis = try OpParams.axis(try node.int("axis", 0), rank: data.rank, node)
        let reduction = try node.string("reduction", "none")
        guard ["none", "add", "mul", "max", "min"].contains(reduction) else { throw node.invalid("reduction '\(reduction)' is not supported") }
        for d in 0..<data.rank where d != axis && indices.shape[d] > data.shape[d] {
            throw node.invalid("indices \(indices.shape) exceed data \(data.shape) on axis \(d)")
        }
        let dStrides = Tensor.strides(data.shape), iStrides = Tensor.strides(indices.shape)
        var out = data.floatValues
        let idx = indices.intValues, upd = updates.floatValues, n = Int64(data.shape[axis])
        for i in 0..<indices.count {
            var target = 0, rest = i
            for d in 0..<data.rank {
                var c = rest / iStrides[d]; rest %= iStrides[d]
                if d == axis {
                    var k = idx[i]; if k < 0 { k += n }
                    guard k >= 0, k < n else { throw node.invalid("index \(idx[i]) outside 0..<\(n) on axis \(axis)") }
                    c = Int(k)
                }
                target += c * dStrides[d]
            }
            switch reduction {
            case "add": out[target] += upd[i]
            case "mul": out[target] *= upd[i]
            case "max": out[target] = max(out[target], upd[i])
            case "min": out[target] = min(out[target], upd[i])
            default: out[target] = upd[i]
            }
        }
        return data.elementType == .int64 ? Tensor(shape: data.shape, ints: out.map { Int64($0) }) : Tensor(shape: data.shape, floats: out)
    }
}
