/// What the planner knows about a value: its shape, element type and, when it is a compile-time
/// constant (initializer, Constant, folded shape computation), its contents.
struct ValueDesc {
    var shape: [Int]
    var type: ElementType
    var constant: Tensor?
    /// The shape is known only during the run (`DynamicShapes.swift`); `shape` is then a bound or empty.
    var dynamic = false
}

/// Output shapes and types of every supported operator from its inputs' shapes (and constant
/// contents where ONNX passes parameters as inputs: Reshape, Slice, Pad, Expand, Resize...).
enum ShapeInference {
    static let supported: Set<String> = [
        "Conv", "ConvTranspose", "InstanceNormalization", "BatchNormalization", "GroupNormalization",
        "Relu", "LeakyRelu", "PRelu", "Elu", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Erf", "Gelu", "Clip",
        "Exp", "Log", "Abs", "Neg", "Reciprocal", "Floor", "Ceil", "Sqrt", "Softplus", "HardSigmoid",
        "HardSwish", "Sign", "Round", "Sin", "Cos",
        "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Resize", "Upsample",
        "Concat", "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "ReduceMean", "ReduceSum", "ReduceMax",
        "ReduceMin", "ReduceL1", "ReduceL2", "ReduceSumSquare",
        "MatMul", "Gemm", "Einsum", "LayerNormalization", "Split", "Where", "Equal", "Less", "Greater", "LessOrEqual",
        "GreaterOrEqual", "Not", "And", "Or", "Xor", "Mod", "Tile", "GatherElements", "GatherND", "ScatterND", "CumSum",
        "Reshape", "Transpose", "Flatten", "Squeeze", "Unsqueeze", "Slice", "Pad", "Expand",
        "Identity", "Dropout", "ArgMax", "Constant", "ConstantOfShape", "Shape", "Gather", "Cast", "Range",
        "TopK", "NonZero", "NonMaxSuppression", "RoiAlign", "ScatterElements", "ReduceProd", "If", "Loop",
    ]

    /// Input `i` if present (ONNX marks omitted optional inputs with "").
    static func input(_ ins: [ValueDesc?], _ i: Int) -> ValueDesc? { i < ins.count ? ins[i] : nil }

    static func required(_ ins: [ValueDesc?], _ i: Int, _ node: Node) throws -> ValueDesc {
        guard let v = input(ins, i) else { throw node.invalid("missing input \(i)") }
        return v
    }

    /// Constant input `i` as int64s; nil when omitted. Throws when present but computed at run time.
    static func constInts(_ ins: [ValueDesc?], _ i: Int, _ node: Node) throws -> [Int64]? {
        guard let v = input(ins, i) else { return nil }
        guard let c = v.constant else {
            throw EngineError.unsupported("\(node.opType) node '\(node.name)' has a run-time computed input \(i) (\(node.inputs[i])); only constant or shape-derived values are supported there")
        }
        return c.intValues
    }

    static func constFloats(_ ins: [ValueDesc?], _ i: Int, _ node: Node) throws -> [Float]? {
        guard let v = input(ins, i) else { return nil }
        guard let c = v.constant else {
            throw EngineError.unsupported("\(node.opType) node '\(node.name)' has a run-time computed input \(i); only constants are supported there")
        }
        return c.floatValues
    }

    /// Axes for Squeeze/Unsqueeze/Reduce*: from attribute (older opsets) or input 1 (newer).
    static func axesParam(_ node: Node, _ ins: [ValueDesc?]) throws -> [Int]? {
        if let a = try node.ints("axes") { return a }
        return try constInts(ins, 1, node)?.map { Int(clamping: $0) }
    }

    static func infer(_ node: Node, _ ins: [ValueDesc?], opset: Int) throws -> [(shape: [Int], type: ElementType)] {
        let x = input(ins, 0)
        func same() throws -> [([Int], ElementType)] { let v = try required(ins, 0, node); return [(v.shape, v.type)] }
        // A switch on strings compares the cases in order: the small operators a detection tail runs
        // hundreds of times per image come first.
        switch node.opType {
        case "Gather":
            let v = try required(ins, 0, node), idx = try required(ins, 1, node)
            let a = try OpParams.axis(try node.int("axis", 0), rank: v.shape.count, node)
            return [(Array(v.shape[..<a]) + idx.shape + Array(v.shape[(a + 1)...]), v.type)]
        case "Unsqueeze":
            let v = try required(ins, 0, node)
            guard let axes = try axesParam(node, ins) else { throw node.invalid("missing axes") }
            let rank = v.shape.count + axes.count
            let norm = try Set(axes.map { try OpParams.axis($0, rank: rank, node) })
            guard norm.count == axes.count else { throw node.invalid("repeated axes \(axes)") }
            var out: [Int] = [], it = v.shape.makeIterator()
            for i in 0..<rank { out.append(norm.contains(i) ? 1 : it.next()!) }
            return [(out, v.type)]
        case "Shape":
            let v = try required(ins, 0, node)
            let (s, e) = try shapeRange(node, rank: v.shape.count)
            return [([e - s], .int64)]
        case "Concat":
            let all = ins.compactMap { $0 }
            guard let first = all.first else { throw node.invalid("no inputs") }
            let a = try OpParams.axis(try node.int("axis", 0), rank: first.shape.count, node)
            var out = first.shape; out[a] = 0
            for v in all {
                guard v.shape.count == first.shape.count, (0..<v.shape.count).allSatisfy({ $0 == a || v.shape[$0] == first.shape[$0] }) else {
                    throw node.invalid("inputs \(all.map(\.shape)) differ outside axis \(a)")
                }
                out[a] += v.shape[a]
            }
            return [(out, first.type)]
        case "Cast":
            let v = try required(ins, 0, node)
            return [(v.shape, try castTarget(node))]
        case "Squeeze":
            let v = try required(ins, 0, node)
            if let axes = try axesParam(node, ins) {
                let norm = try Set(axes.map { try OpParams.axis($0, rank: v.shape.count, node) })
                for a in norm where v.shape[a] != 1 { throw node.invalid("cannot squeeze axis \(a) of size \(v.shape[a])") }
                return [(v.shape.enumerated().filter { !norm.contains($0.offset) }.map(\.element), v.type)]
            }
            return [(v.shape.filter { $0 != 1 }, v.type)]
        case "Reshape":
            let v = try required(ins, 0, node)
            guard let t = try constInts(ins, 1, node) else { throw node.invalid("missing shape input") }
            return [(try OpParams.reshape(node, from: v.shape, to: t, allowZero: try node.int("allowzero", 0) != 0), v.type)]
        case "PRelu", "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean":
            let all = ins.compactMap { $0 }
            guard !all.isEmpty else { throw node.invalid("no inputs") }
            return [(try OpParams.broadcast(all.map(\.shape), node), all[0].type)]
        case "Slice":
            let v = try required(ins, 0, node)
            let p = try sliceParams(node, v.shape, ins, opset: opset)
            return [(p.count, v.type)]
        case "Expand":
            let v = try required(ins, 0, node)
            guard let s = try constInts(ins, 1, node) else { throw node.invalid("missing shape") }
            guard s.allSatisfy({ $0 >= 0 && $0 <= 1 << 31 }) else { throw node.invalid("bad shape \(s)") }
            return [(try OpParams.broadcast([v.shape, s.map { Int($0) }], node), v.type)]
        case "ConstantOfShape":
            guard let s = try constInts(ins, 0, node), s.allSatisfy({ $0 >= 0 && $0 <= 1 << 31 }) else { throw node.invalid("bad shape") }
            var type = ElementType.float32
            if case .tensor(let t)? = node.attributes["value"] { type = t.elementType }
            return [(s.map { Int($0) }, type)]
        case "Transpose":
            let v = try required(ins, 0, node)
            let perm = try node.ints("perm") ?? Array((0..<v.shape.count).reversed())
            guard perm.sorted() == Array(0..<v.shape.count) else { throw node.invalid("perm \(perm) is not a permutation of rank \(v.shape.count)") }
            return [(perm.map { v.shape[$0] }, v.type)]
        case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceProd":
            let v = try required(ins, 0, node)
            let (outShape, _) = try reduceAxes(node, v.shape, ins)
            return [(outShape, v.type)]
        case "Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh", "Erf", "Gelu", "Clip", "Exp", "Log", "Abs", "Neg",
             "Reciprocal", "Floor", "Ceil", "Sqrt", "Softplus", "HardSigmoid", "Identity", "HardSwish", "Sign", "Round", "Sin", "Cos",
             "InstanceNormalization", "BatchNormalization", "GroupNormalization", "Softmax", "LogSoftmax":
            return try same()
        case "Dropout":
            let v = try required(ins, 0, node)
            return node.outputs.count > 1 ? [(v.shape, v.type), (v.shape, .int64)] : [(v.shape, v.type)]
        case "Conv":
            let v = try required(ins, 0, node), w = try required(ins, 1, node)
            guard v.shape.count >= 3, w.shape.count == v.shape.count else { throw node.invalid("input \(v.shape) and weight \(w.shape) ranks differ or lack spatial dims") }
            let group = try node.int("group", 1)
            guard group >= 1, v.shape[1] % group == 0, w.shape[0] % group == 0, v.shape[1] / group == w.shape[1] else {
                throw node.invalid("channels \(v.shape[1]) do not match weight \(w.shape) with group \(group)")
            }
            if let b = input(ins, 2), b.shape != [w.shape[0]] { throw node.invalid("bias \(b.shape) does not match \(w.shape[0]) output channels") }
            let win = try OpParams.window(node, inSpatial: Array(v.shape[2...]), kernel: try node.ints("kernel_shape") ?? Array(w.shape[2...]))
            return [([v.shape[0], w.shape[0]] + win.outSpatial, .float32)]
        case "ConvTranspose":
            let v = try required(ins, 0, node), w = try required(ins, 1, node)
            let group = try node.int("group", 1)
            guard v.shape.count >= 3, w.shape.count == v.shape.count, group >= 1, w.shape[0] == v.shape[1], v.shape[1] % group == 0 else {
                throw node.invalid("input \(v.shape) does not match weight \(w.shape) with group \(group)")
            }
            if let b = input(ins, 2), b.shape != [w.shape[1] * group] { throw node.invalid("bias \(b.shape) does not match output channels") }
            let (win, _) = try OpParams.transposeWindow(node, inSpatial: Array(v.shape[2...]), kernel: try node.ints("kernel_shape") ?? Array(w.shape[2...]))
            return [([v.shape[0], w.shape[1] * group] + win.outSpatial, .float32)]
        case "MaxPool", "AveragePool":
            let v = try required(ins, 0, node)
            guard let k = try node.ints("kernel_shape"), v.shape.count == k.count + 2 else { throw node.invalid("kernel_shape missing or not matching input \(v.shape)") }
            if node.outputs.count > 1 && !node.outputs[1].isEmpty { throw EngineError.unsupported("MaxPool Indices output (node '\(node.name)')") }
            let win = try OpParams.window(node, inSpatial: Array(v.shape[2...]), kernel: k, ceilMode: try node.int("ceil_mode", 0) != 0)
            return [(Array(v.shape[0..<2]) + win.outSpatial, .float32)]
        case "GlobalAveragePool", "GlobalMaxPool":
            let v = try required(ins, 0, node)
            guard v.shape.count >= 3 else { throw node.invalid("needs spatial dims") }
            return [(Array(v.shape[0..<2]) + [Int](repeating: 1, count: v.shape.count - 2), .float32)]
        case "Resize", "Upsample":
            let v = try required(ins, 0, node)
            let spec = try resizeSpec(node, ins, opset: opset)
            return [(spec.outShape, v.type)]
        case "ArgMax":
            let v = try required(ins, 0, node)
            let a = try OpParams.axis(try node.int("axis", 0), rank: v.shape.count, node)
            var s = v.shape
            if try node.int("keepdims", 1) != 0 { s[a] = 1 } else { s.remove(at: a) }
            return [(s, .int64)]
        case "Flatten":
            let v = try required(ins, 0, node)
            var a = try node.int("axis", 1); if a < 0 { a += v.shape.count }
            guard a >= 0, a <= v.shape.count else { throw node.invalid("axis out of range") }
            return [([Tensor.elementCount(Array(v.shape[..<a])), Tensor.elementCount(Array(v.shape[a...]))], v.type)]
        case "Pad":
            let v = try required(ins, 0, node)
            let pads = try padAmounts(node, v.shape, ins, opset: opset)
            let out = (0..<v.shape.count).map { v.shape[$0] + pads[$0] + pads[$0 + v.shape.count] }
            guard out.allSatisfy({ $0 >= 0 }) else { throw node.invalid("pads \(pads) make a negative size") }
            return [(out, v.type)]
        case "Constant":
            let t = try constantValue(node)
            return [(t.shape, t.elementType)]
        case "Range":
            guard let s = try constFloats(ins, 0, node)?.first, let l = try constFloats(ins, 1, node)?.first,
                  let d = try constFloats(ins, 2, node)?.first, d != 0 else { throw node.invalid("needs scalar start, limit, delta") }
            let count = ((l - s) / d).rounded(.up)
            guard count.isFinite, count <= Float(1 << 31) else { throw node.invalid("absurd Range length") }
            let n = max(0, Int(count))
            return [([n], x?.type ?? .float32)]
        default:
            return try inferAlgebra(node, ins, opset: opset)
        }
    }

    static func resizeSpec(_ node: Node, _ ins: [ValueDesc?], opset: Int) throws -> OpParams.ResizeSpec {
        let v = try required(ins, 0, node)
        if node.opType == "Upsample" || opset < 11 {
            let scales = try node.floatList("scales") ?? constFloats(ins, 1, node)
            return try OpParams.resize(node, inShape: v.shape, scales: scales, sizes: nil, opset: opset)
        }
        let scales = try constFloats(ins, 2, node)
        let sizes = try constInts(ins, 3, node)?.map { Int(clamping: $0) }
        return try OpParams.resize(node, inShape: v.shape, scales: scales, sizes: sizes, opset: opset)
    }

    static func reduceAxes(_ node: Node, _ shape: [Int], _ ins: [ValueDesc?]) throws -> ([Int], Set<Int>) {
        let keep = try node.int("keepdims", 1) != 0
        var axes = try axesParam(node, ins) ?? []
        if axes.isEmpty {
            if try node.int("noop_with_empty_axes", 0) != 0 { return (shape, []) }
            axes = Array(0..<shape.count)
        }
        let set = try Set(axes.map { try OpParams.axis($0, rank: shape.count, node) })
        var out: [Int] = []
        for (i, d) in shape.enumerated() { if set.contains(i) { if keep { out.append(1) } } else { out.append(d) } }
        return (out, set)
    }

    static func sliceParams(_ node: Node, _ shape: [Int], _ ins: [ValueDesc?], opset: Int) throws -> (start: [Int], step: [Int], count: [Int]) {
        if opset < 10 {
            guard let s = try node.ints("starts"), let e = try node.ints("ends") else { throw node.invalid("missing starts/ends") }
            return try OpParams.slice(node, shape: shape, starts: s.map(Int64.init), ends: e.map(Int64.init), axes: try node.ints("axes")?.map(Int64.init), steps: nil)
        }
        guard let s = try constInts(ins, 1, node), let e = try constInts(ins, 2, node) else { throw node.invalid("missing starts/ends") }
        return try OpParams.slice(node, shape: shape, starts: s, ends: e, axes: try constInts(ins, 3, node), steps: try constInts(ins, 4, node))
    }

    /// Pads as [begin per axis..., end per axis...] over all axes.
    static func padAmounts(_ node: Node, _ shape: [Int], _ ins: [ValueDesc?], opset: Int) throws -> [Int] {
        let rank = shape.count
        let raw: [Int]
        if opset < 11 { raw = try node.ints("pads") ?? [] } else { raw = (try constInts(ins, 1, node) ?? []).map { Int(clamping: $0) } }
        guard raw.allSatisfy({ abs($0) <= 1 << 24 }) else { throw node.invalid("absurd pads \(raw)") }
        if let axes = try constInts(ins, 3, node) {
            guard raw.count == 2 * axes.count else { throw node.invalid("pads \(raw) do not match axes \(axes)") }
            var full = [Int](repeating: 0, count: 2 * rank)
            for (i, a) in axes.enumerated() {
                let ax = try OpParams.axis(Int(clamping: a), rank: rank, node)
                full[ax] = raw[i]; full[ax + rank] = raw[i + axes.count]
            }
            return full
        }
        guard raw.count == 2 * rank else { throw node.invalid("pads \(raw) do not match rank \(rank)") }
        return raw
    }

    static func shapeRange(_ node: Node, rank: Int) throws -> (Int, Int) {
        func clamp(_ v: Int) -> Int { min(max(v < 0 ? v + rank : v, 0), rank) }
        let s = clamp(try node.int("start", 0))
        let e = node.attributes["end"] == nil ? rank : clamp(try node.int("end", rank))
        return (s, max(s, e))
    }

    static func castTarget(_ node: Node) throws -> ElementType {
        let to = try node.int("to", 1)
        switch to {
        case 1, 10, 11, 16: return .float32
        case 2, 3, 4, 5, 6, 7, 9, 12, 13: return .int64
        default: throw EngineError.unsupported("Cast to data type \(to) (node '\(node.name)')")
        }
    }

    static func constantValue(_ node: Node) throws -> Tensor {
        for (k, a) in node.attributes {
            switch (k, a) {
            case ("value", .tensor(let t)): return t
            case ("value_float", .float(let f)): return Tensor(shape: [], floats: [f])
            case ("value_floats", .floats(let f)): return Tensor(shape: [f.count], floats: f)
            case ("value_int", .int(let i)): return Tensor(shape: [], ints: [i])
            case ("value_ints", .ints(let i)): return Tensor(shape: [i.count], ints: i)
            default: continue
            }
        }
        throw EngineError.unsupported("Constant node '\(node.name)' without a numeric value")
    }
}
