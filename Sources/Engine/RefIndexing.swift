/// Reference indexing and selection operators: Where, comparisons and logic (booleans are int64
/// 0/1), Mod, Split, Tile, GatherElements, ScatterND, CumSum.
enum RefIndexing {
    static let comparisons: Set<String> = ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"]
    static let logic: Set<String> = ["And", "Or", "Xor"]

    /// Equal/Less/Greater/LessOrEqual/GreaterOrEqual, And/Or/Xor and Mod with NumPy broadcasting.
    static func binary(_ node: Node, _ a: Tensor, _ b: Tensor, outShape: [Int]) throws -> Tensor {
        let oa = RefElementwise.broadcastOffsets(a.shape, to: outShape), ob = RefElementwise.broadcastOffsets(b.shape, to: outShape)
        let n = oa.count
        if node.opType == "Mod" { return try mod(node, a, b, oa, ob, outShape: outShape) }
        if logic.contains(node.opType) {
            let x = a.intValues, y = b.intValues
            let f: (Bool, Bool) -> Bool = node.opType == "And" ? { $0 && $1 } : node.opType == "Or" ? { $0 || $1 } : { $0 != $1 }
            return Tensor(shape: outShape, ints: (0..<n).map { f(x[oa[$0]] != 0, y[ob[$0]] != 0) ? 1 : 0 })
        }
        let cmp: (Int) -> Bool
        if a.elementType == .int64 && b.elementType == .int64 {
            let x = a.ints, y = b.ints
            cmp = try compare(node, { x[oa[$0]] }, { y[ob[$0]] })
        } else {
            let x = a.floatValues, y = b.floatValues
            cmp = try compare(node, { x[oa[$0]] }, { y[ob[$0]] })
        }
        return Tensor(shape: outShape, ints: (0..<n).map { cmp($0) ? 1 : 0 })
    }

    static func compare<T: Comparable>(_ node: Node, _ x: @escaping (Int) -> T, _ y: @escaping (Int) -> T) throws -> (Int) -> Bool {
        switch node.opType {
        case "Equal": return { x($0) == y($0) }
        case "Less": return { x($0) < y($0) }
        case "Greater": return { x($0) > y($0) }
        case "LessOrEqual": return { x($0) <= y($0) }
        case "GreaterOrEqual": return { x($0) >= y($0) }
        default: throw EngineError.unsupportedOperator(op: node.opType, node: node.name, opset: 0)
        }
    }

    /// Mod: fmod = 1 is C fmod (sign of the dividend); fmod = 0 (integers only) takes the divisor's sign.
    static func mod(_ node: Node, _ a: Tensor, _ b: Tensor, _ oa: [Int], _ ob: [Int], outShape: [Int]) throws -> Tensor {
        let fmod = try node.int("fmod", 0) != 0
        if a.elementType == .int64 && b.elementType == .int64 {
            let x = a.ints, y = b.ints
            return Tensor(shape: outShape, ints: try (0..<oa.count).map { i in
                let p = x[oa[i]], q = y[ob[i]]
                guard q != 0 else { throw node.invalid("integer modulo by zero") }
                let r = p % q
                return fmod || r == 0 || (r < 0) == (q < 0) ? r : r + q
            })
        }
        guard fmod else { throw node.invalid("Mod on floats needs fmod = 1") }
        let x = a.floatValues, y = b.floatValues
        return Tensor(shape: outShape, floats: (0..<oa.count).map { x[oa[$0]].truncatingRemainder(dividingBy: y[ob[$0]]) })
    }

    static func not(_ x: Tensor) -> Tensor { Tensor(shape: x.shape, ints: x.intValues.map { $0 == 0 ? 1 : 0 }) }

    /// Where(condition, X, Y) with broadcasting; the result has X's element type.
    static func whereOp(_ cond: Tensor, _ x: Tensor, _ y: Tensor, outShape: [Int]) -> Tensor {
        let oc = RefElementwise.broadcastOffsets(cond.shape, to: outShape)
        let ox = RefElementwise.broadcastOffsets(x.shape, to: outShape), oy = RefElementwise.broadcastOffsets(y.shape, to: outShape)
        let c = cond.elementType == .int64 ? cond.ints.map { $0 != 0 } : cond.floats.map { $0 != 0 }
        if x.elementType == .int64 {
            let xv = x.ints, yv = y.intValues
            return Tensor(shape: outShape, ints: (0..<oc.count).map { c[oc[$0]] ? xv[ox[$0]] : yv[oy[$0]] })
        }
        let xv = x.floats, yv = y.floatValues
        return Tensor(shape: outShape, floats: (0..<oc.count).map { c[oc[$0]] ? xv[ox[$0]] : yv[oy[$0]] })
    }

    /// Part sizes of a Split along `axis`: the `split` input/attribute, `num_outputs` (opset 18,
    /// the last part may be smaller) or equal parts, one per output.
    static func splitSizes(_ node: Node, dim: Int, given: [Int]?) throws -> [Int] {
        if let s = given {
            guard s.count == node.outputs.count, s.allSatisfy({ $0 >= 0 }), s.reduce(0, +) == dim else {
                throw node.invalid("split \(s) does not divide size \(dim) into \(node.outputs.count) outputs")
            }
            return s
        }
        let parts = try node.int("num_outputs", node.outputs.count)
        guard parts == node.outputs.count, parts >= 1 else { throw node.invalid("num_outputs \(parts) does not match \(node.outputs.count) outputs") }
        let chunk = (dim + parts - 1) / parts
        if node.attributes["num_outputs"] == nil && dim % parts != 0 { throw node.invalid("size \(dim) does not split evenly into \(parts)") }
        return (0..<parts).map { max(0, min(chunk, dim - $0 * chunk)) }
    }

    static func split(_ x: Tensor, axis: Int, sizes: [Int]) -> [Tensor] {
        var start = 0
        return sizes.map { n in
            var out = x.shape; out[axis] = n
            let begin = (0..<x.rank).map { $0 == axis ? start : 0 }
            start += n
            return RefTensorOps.slice(x, start: begin, step: [Int](repeating: 1, count: x.rank), outShape: out)
        }
    }

    static func tile(_ x: Tensor, outShape: [Int]) -> Tensor {
        let s = Tensor.strides(x.shape)
        var offs: [Int] = []; offs.reserveCapacity(Tensor.elementCount(outShape))
        RefTensorOps.forEachIndex(outShape) { idx in
            var o = 0
            for d in 0..<idx.count { o += (idx[d] % x.shape[d]) * s[d] }
            offs.append(o)
        }
        return RefTensorOps.pick(x, offs, shape: outShape)
    }

    static func gatherElements(_ node: Node, _ x: Tensor, _ indices: Tensor) throws -> Tensor {
        let axis = try OpParams.axis(try node.int("axis", 0), rank: x.rank, node)
        guard indices.rank == x.rank else { throw node.invalid("indices rank \(indices.rank) differs from data rank \(x.rank)") }
        let s = Tensor.strides(x.shape), idx = indices.intValues, len = x.shape[axis]
        var offs: [Int] = [], k = 0, bad: Int64? = nil
        offs.reserveCapacity(indices.count)
        RefTensorOps.forEachIndex(indices.shape) { at in
            var i = idx[k]; k += 1
            if i < 0 { i += Int64(len) }
            if i < 0 || i >= Int64(len) { bad = idx[k - 1]; offs.append(0); return }
            var o = 0
            for d in 0..<at.count { o += (d == axis ? Int(i) : at[d]) * s[d] }
            offs.append(o)
        }
        if let b = bad { throw node.invalid("index \(b) out of range for axis size \(len)") }
        return RefTensorOps.pick(x, offs, shape: indices.shape)
    }

    /// GatherND (opset 11-13): for each index tuple (the last axis of `indices`, k entries) the slice
    /// `data[tuple...]`, within each of the first `batch_dims` axes shared by data and indices.
    /// Output shape: data.shape[..<b] + indices.shape[b..<q-1] + data.shape[(b+k)...].
    static func gatherND(_ node: Node, _ data: Tensor, _ indices: Tensor) throws -> Tensor {
        let b = try node.int("batch_dims", 0)
        let shape = try gatherNDShape(node, data: data.shape, indices: indices.shape)
        let k = indices.shape.last!
        let batches = Tensor.elementCount(Array(data.shape.prefix(b)))
        let tuples = Tensor.elementCount(Array(indices.shape[b..<(indices.rank - 1)]))
        let slab = Tensor.elementCount(Array(data.shape[(b + k)...]))
        let batchStride = Tensor.elementCount(Array(data.shape[b...]))
        let s = Tensor.strides(data.shape), idx = indices.intValues
        var offs: [Int] = []
        offs.reserveCapacity(batches * tuples * slab)
        for n in 0..<batches {
            for j in 0..<tuples {
                var base = n * batchStride
                for d in 0..<k {
                    let dim = data.shape[b + d]
                    var i = idx[(n * tuples + j) * k + d]
                    if i < 0 { i += Int64(dim) }
                    guard i >= 0, i < Int64(dim) else {
                        throw node.invalid("index \(idx[(n * tuples + j) * k + d]) out of range for dim \(dim)")
                    }
                    base += Int(i) * s[b + d]
                }
                for e in 0..<slab { offs.append(base + e) }
            }
        }
        return RefTensorOps.pick(data, offs, shape: shape)
    }

    /// GatherND's output shape; refuses indices that do not fit data (`batch_dims` prefix, tuple length).
    static func gatherNDShape(_ node: Node, data: [Int], indices: [Int]) throws -> [Int] {
        let b = try node.int("batch_dims", 0)
        guard b >= 0, b < indices.count, b < data.count, Array(indices.prefix(b)) == Array(data.prefix(b)),
              let k = indices.last, k >= 1, b + k <= data.count else {
            throw node.invalid("indices \(indices) (batch_dims \(b)) do not index data \(data)")
        }
        return Array(data.prefix(b)) + Array(indices[b..<(indices.count - 1)]) + Array(data[(b + k)...])
    }

    /// ScatterND with reduction none/add/mul: updates replace (or combine with) slices of data.
    static func scatterND(_ node: Node, _ data: Tensor, _ indices: Tensor, _ updates: Tensor) throws -> Tensor {
        let reduction = try node.string("reduction", "none")
        guard ["none", "add", "mul"].contains(reduction) else { throw EngineError.unsupported("ScatterND reduction '\(reduction)' (node '\(node.name)')") }
        guard let k = indices.shape.last, k <= data.rank else { throw node.invalid("indices \(indices.shape) do not index data \(data.shape)") }
        let lead = Array(indices.shape.dropLast())
        guard updates.shape == lead + Array(data.shape[k...]) else { throw node.invalid("updates \(updates.shape) do not match indices \(indices.shape) and data \(data.shape)") }
        let s = Tensor.strides(data.shape), slab = Tensor.elementCount(Array(data.shape[k...]))
        let idx = indices.intValues
        var out = data.elementType == .float32 ? data : RefTensorOps.cast(data, to: .float32)
        let up = updates.floatValues
        for j in 0..<Tensor.elementCount(lead) {
            var base = 0
            for d in 0..<k {
                var i = idx[j * k + d]
                if i < 0 { i += Int64(data.shape[d]) }
                guard i >= 0, i < Int64(data.shape[d]) else { throw node.invalid("index \(idx[j * k + d]) out of range for dim \(data.shape[d])") }
                base += Int(i) * s[d]
            }
            for e in 0..<slab {
                let u = up[j * slab + e]
                switch reduction {
                case "add": out.floats[base + e] += u
                case "mul": out.floats[base + e] *= u
                default: out.floats[base + e] = u
                }
            }
        }
        return data.elementType == .int64 ? RefTensorOps.cast(out, to: .int64) : out
    }

    static func cumSum(_ node: Node, _ x: Tensor, axis rawAxis: Int) throws -> Tensor {
        let axis = try OpParams.axis(rawAxis, rank: x.rank, node)
        let exclusive = try node.int("exclusive", 0) != 0, reverse = try node.int("reverse", 0) != 0
        let outer = Tensor.elementCount(Array(x.shape[..<axis])), len = x.shape[axis], inner = Tensor.elementCount(Array(x.shape[(axis + 1)...]))
        let isInt = x.elementType == .int64
        let v = x.floatValues, vi = x.ints
        var out = [Double](repeating: 0, count: x.count)
        for o in 0..<outer { for i in 0..<inner {
            var acc = 0.0
            for step in 0..<len {
                let kk = reverse ? len - 1 - step : step
                let at = (o * len + kk) * inner + i
                let e = isInt ? Double(vi[at]) : Double(v[at])
                if exclusive { out[at] = acc; acc += e } else { acc += e; out[at] = acc }
            }
        } }
        return isInt ? Tensor(shape: x.shape, ints: out.map { Int64($0) }) : Tensor(shape: x.shape, floats: out.map { Float($0) })
    }
}
