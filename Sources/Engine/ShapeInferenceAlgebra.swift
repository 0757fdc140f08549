/// Output shapes of the linear-algebra, layer-normalisation, logic and indexing operators
/// (MatMul, Gemm, Einsum, LayerNormalization, Split, Where, comparisons, Tile, GatherElements...).
extension ShapeInference {
    static func inferAlgebra(_ node: Node, _ ins: [ValueDesc?], opset: Int) throws -> [(shape: [Int], type: ElementType)] {
        switch node.opType {
        case "MatMul":
            let a = try required(ins, 0, node), b = try required(ins, 1, node)
            return [(try RefLinearAlgebra.matMulShape(node, a.shape, b.shape).out, .float32)]
        case "Gemm":
            let a = try required(ins, 0, node), b = try required(ins, 1, node)
            let out = try RefLinearAlgebra.gemmShape(node, a.shape, b.shape)
            if let c = input(ins, 2) {
                guard try OpParams.broadcast([c.shape, out], node) == out else { throw node.invalid("C \(c.shape) does not broadcast to \(out)") }
            }
            return [(out, .float32)]
        case "Einsum":
            let all = ins.compactMap { $0 }
            let spec = try RefLinearAlgebra.einsumSpec(node, shapes: all.map(\.shape))
            return [(spec.output.map { spec.sizes[$0]! }, .float32)]
        case "LayerNormalization":
            let v = try required(ins, 0, node), s = try required(ins, 1, node)
            let axis = try OpParams.axis(try node.int("axis", -1), rank: v.shape.count, node)
            let norm = Array(v.shape[axis...])
            for p in [s, input(ins, 2)].compactMap({ $0 }) where p.shape.count > norm.count || (try? OpParams.broadcast([p.shape, norm], node)) != norm {
                throw node.invalid("scale/bias \(p.shape) does not broadcast to the normalised shape \(norm)")
            }
            let stat = Array(v.shape[..<axis]) + [Int](repeating: 1, count: v.shape.count - axis)
            return [(v.shape, .float32), (stat, .float32), (stat, .float32)]
        case "Split":
            let v = try required(ins, 0, node)
            let a = try OpParams.axis(try node.int("axis", 0), rank: v.shape.count, node)
            let given = try node.ints("split") ?? constInts(ins, 1, node)?.map { Int(clamping: $0) }
            return try RefIndexing.splitSizes(node, dim: v.shape[a], given: given).map { n in
                var s = v.shape; s[a] = n; return (s, v.type)
            }
        case "Where":
            let c = try required(ins, 0, node), x = try required(ins, 1, node), y = try required(ins, 2, node)
            return [(try OpParams.broadcast([c.shape, x.shape, y.shape], node), x.type)]
        case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor":
            let a = try required(ins, 0, node), b = try required(ins, 1, node)
            return [(try OpParams.broadcast([a.shape, b.shape], node), .int64)]
        case "Mod":
            let a = try required(ins, 0, node), b = try required(ins, 1, node)
            return [(try OpParams.broadcast([a.shape, b.shape], node), a.type == .int64 && b.type == .int64 ? .int64 : .float32)]
        case "Not":
            return [(try required(ins, 0, node).shape, .int64)]
        case "Tile":
            let v = try required(ins, 0, node)
            guard let r = try constInts(ins, 1, node), r.count == v.shape.count, r.allSatisfy({ $0 >= 0 && $0 <= 1 << 24 }) else {
                throw node.invalid("repeats must be one non-negative count per dim of \(v.shape)")
            }
            return [(zip(v.shape, r).map { $0 * Int($1) }, v.type)]
        case "GatherElements":
            let v = try required(ins, 0, node), idx = try required(ins, 1, node)
            guard idx.shape.count == v.shape.count else { throw node.invalid("indices rank differs from data rank") }
            return [(idx.shape, v.type)]
        case "GatherND":
            let v = try required(ins, 0, node), idx = try required(ins, 1, node)
            return [(try RefIndexing.gatherNDShape(node, data: v.shape, indices: idx.shape), v.type)]
        case "ScatterND":
            let v = try required(ins, 0, node)
            return [(v.shape, v.type)]
        case "CumSum":
            let v = try required(ins, 0, node)
            guard let a = try constInts(ins, 1, node), a.count == 1 else { throw node.invalid("axis must be a constant scalar") }
            _ = try OpParams.axis(Int(clamping: a[0]), rank: v.shape.count, node)
            return [(v.shape, v.type)]
        default:
            throw EngineError.unsupportedOperator(op: node.opType, node: node.name, opset: opset)
        }
    }
}
