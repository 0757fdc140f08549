extension RefDetection {
    /// ScatterElements (opsets 11-18): a copy of `data` where, for every element of `indices`,
    /// the element at the same position with its `axis` coordinate replaced by the index receives
    /// the matching element of `updates` (reduction none, or add/mul/max/min from opset 16/18).
    /// torchvision's MultiScaleRoIAlign exports its per-level result assembly this way.
    static func scatterElements(_ node: Node, data: Tensor, indices: Tensor, updates: Tensor) throws -> Tensor {
        var out = data
        try scatterElements(node, into: &out, indices: indices, updates: updates)
        return out
    }

    /// ScatterElements into `data` itself: no copy when its storage is not shared (the fast backend's
    /// tail hands over a value that dies here; Mask R-CNN scatters four times into [1000, 256, 7, 7]).
    static func scatterElements(_ node: Node, into data: inout Tensor, indices: Tensor, updates: Tensor) throws {
        guard indices.shape == updates.shape, indices.rank == data.rank else {
            throw node.invalid("indices \(indices.shape) and updates \(updates.shape) must have one shape of the rank of data \(data.shape)")
        }
        let axis = try OpParams.axis(try node.int("axis", 0), rank: data.rank, node)
        let reduction = try node.string("reduction", "none")
        guard ["none", "add", "mul", "max", "min"].contains(reduction) else { throw node.invalid("reduction '\(reduction)' is not supported") }
        for d in 0..<data.rank where d != axis && indices.shape[d] > data.shape[d] {
            throw node.invalid("indices \(indices.shape) exceed data \(data.shape) on axis \(d)")
        }
        var out: [Float]
        if data.elementType == .float32 { out = data.floats; data.floats = [] } else { out = data.floatValues }
        let idx = indices.intValues, upd = updates.floatValues, n = data.shape[axis]
        // The reduction as a small integer: compared per element, a String would dominate the kernel.
        let op = ["none", "add", "mul", "max", "min"].firstIndex(of: reduction)!
        let outer = Tensor.elementCount(Array(indices.shape[..<axis])), inner = Tensor.elementCount(Array(indices.shape[(axis + 1)...]))
        let sameExtent = (0..<data.rank).allSatisfy({ $0 == axis || indices.shape[$0] == data.shape[$0] })
        let dStrides = Tensor.strides(data.shape), iStrides = Tensor.strides(indices.shape)
        try out.withUnsafeMutableBufferPointer { out in try idx.withUnsafeBufferPointer { idx in try upd.withUnsafeBufferPointer { upd in
            func index(_ i: Int) throws -> Int {
                let k = idx[i] < 0 ? idx[i] + Int64(n) : idx[i]
                guard k >= 0, k < Int64(n) else { throw node.invalid("index \(idx[i]) outside 0..<\(n) on axis \(axis)") }
                return Int(k)
            }
            @inline(__always) func apply(_ target: Int, _ u: Float) {
                switch op {
                case 1: out[target] += u
                case 2: out[target] *= u
                case 3: out[target] = max(out[target], u)
                case 4: out[target] = min(out[target], u)
                default: out[target] = u
                }
            }
            if sameExtent {
                // Same extent on every other axis: element (o, a, j) of indices goes to (o, index, j) of data.
                let m = indices.shape[axis]
                for o in 0..<outer { for a in 0..<m {
                    let row = (o * m + a) * inner
                    // A row whose indices are all one value (torchvision expands a RoI index over
                    // [256, 7, 7]) is one copy when nothing is reduced.
                    if op == 0, inner > 0, (1..<inner).allSatisfy({ idx[row + $0] == idx[row] }) {
                        (out.baseAddress! + (o * n + (try index(row))) * inner).update(from: upd.baseAddress! + row, count: inner)
                        continue
                    }
                    for j in 0..<inner { apply((o * n + (try index(row + j))) * inner + j, upd[row + j]) }
                } }
            } else {
                for i in 0..<idx.count {
                    var target = 0, rest = i
                    for d in 0..<data.rank {
                        var c = rest / iStrides[d]; rest %= iStrides[d]
                        if d == axis { c = try index(i) }
                        target += c * dStrides[d]
                    }
                    apply(target, upd[i])
                }
            }
        } } }
        data = data.elementType == .int64 ? Tensor(shape: data.shape, ints: out.map { Int64($0) }) : Tensor(shape: data.shape, floats: out)
    }

    /// ScatterElements on axis 0 (reduction none) whose indices are `rows` ([n, 1, ...]) expanded
    /// to `shape`: row k of `updates` replaces row rows[k] of `data`, in order (a later duplicate
    /// wins, as element by element). Anything else takes the general kernel on the expanded indices.
    static func scatterRows(_ node: Node, into data: inout Tensor, rows: Tensor, shape: [Int], updates: Tensor) throws {
        guard data.elementType == .float32, updates.elementType == .float32, shape == updates.shape, shape.count == data.rank,
              shape.dropFirst().elementsEqual(data.shape.dropFirst()) else {
            try scatterElements(node, into: &data, indices: RefTensorOps.expand(rows, outShape: shape), updates: updates)
            return
        }
        let n = data.shape[0], inner = Tensor.elementCount(Array(shape.dropFirst())), idx = rows.intValues
        var out = data.floats
        data.floats = []
        try out.withUnsafeMutableBufferPointer { out in try updates.floats.withUnsafeBufferPointer { upd in
            for (k, i) in idx.enumerated() {
                let r = i < 0 ? i + Int64(n) : i
                guard r >= 0, r < Int64(n) else { throw node.invalid("index \(i) outside 0..<\(n) on axis 0") }
                (out.baseAddress! + Int(r) * inner).update(from: upd.baseAddress! + k * inner, count: inner)
            }
        } }
        data = Tensor(shape: data.shape, floats: out)
    }
}
