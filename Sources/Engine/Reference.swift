/// The reference backend's operator dispatch: plain loops, every supported operator.
enum Reference {
    static func desc(_ t: Tensor?) -> ValueDesc? { t.map { ValueDesc(shape: $0.shape, type: $0.elementType, constant: $0) } }

    /// Runs one node on concrete inputs ("" inputs are nil). Returns one tensor per node output.
    /// `threads`: workers for the few kernels that split their work (the fast backend's dynamic tail).
    static func run(_ node: Node, _ ins: [Tensor?], opset: Int, threads: Int = 1) throws -> [Tensor] {
        if let outs = try RefDetection.run(node, ins, opset: opset, threads: threads) { return outs }  // data-dependent output shapes
        let descs = ins.map(desc)
        let outs = try ShapeInference.infer(node, descs, opset: opset)
        let shape = outs[0].shape
        func x() throws -> Tensor { guard let t = ins.first ?? nil else { throw node.invalid("missing input 0") }; return t }
        func req(_ i: Int) throws -> Tensor { guard i < ins.count, let t = ins[i] else { throw node.invalid("missing input \(i)") }; return t }
        func floats(_ t: Tensor) -> Tensor { t.elementType == .float32 ? t : RefTensorOps.cast(t, to: .float32) }
        // A switch on strings compares the cases in order: the small operators a detection tail runs
        // hundreds of times per image come first.
        switch node.opType {
        case "Gather":
            let t = try x()
            return [try RefTensorOps.gather(node, t, indices: try req(1), axis: try OpParams.axis(try node.int("axis", 0), rank: t.rank, node), outShape: shape)]
        case "Reshape", "Flatten", "Squeeze", "Unsqueeze":
            return [try x().reshaped(shape)]
        case "Shape":
            let t = try x()
            let (s, e) = try ShapeInference.shapeRange(node, rank: t.rank)
            return [Tensor(shape: [e - s], ints: t.shape[s..<e].map { Int64($0) })]
        case "Concat":
            let all = ins.compactMap { $0 }
            let a = try OpParams.axis(try node.int("axis", 0), rank: shape.count, node)
            let same = all.allSatisfy { $0.elementType == all[0].elementType }
            return [RefTensorOps.concat(same ? all : all.map(floats), axis: a, outShape: shape)]
        case "Cast":
            return [RefTensorOps.cast(try x(), to: outs[0].type)]
        case "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "PRelu":
            return [try RefElementwise.binary(node, ins.compactMap { $0 }, outShape: shape)]
        case "Slice":
            let p = try ShapeInference.sliceParams(node, try x().shape, descs, opset: opset)
            return [RefTensorOps.slice(try x(), start: p.start, step: p.step, outShape: shape)]
        case "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Mod":
            return [try RefIndexing.binary(node, try x(), try req(1), outShape: shape)]
        case "Expand":
            return [RefTensorOps.expand(try x(), outShape: shape)]
        case "ConstantOfShape":
            var value = Tensor(shape: [1], floats: [0])
            if case .tensor(let t)? = node.attributes["value"], t.count == 1 { value = t }
            return [RefTensorOps.expand(value.reshaped([]), outShape: shape)]
        case "Split":
            let t = try x()
            let a = try OpParams.axis(try node.int("axis", 0), rank: t.rank, node)
            return RefIndexing.split(t, axis: a, sizes: outs.map { $0.shape[a] })
        case "Transpose":
            let t = try x()
            return [RefTensorOps.transpose(t, perm: try node.ints("perm") ?? Array((0..<t.rank).reversed()), outShape: shape)]
        case "Where":
            return [RefIndexing.whereOp(try x(), try req(1), try req(2), outShape: shape)]
        case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceProd":
            let (_, axes) = try ShapeInference.reduceAxes(node, try x().shape, descs)
            return [RefNormalization.reduce(node, x: try x(), axes: axes, outShape: shape)]
        case "Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh", "Erf", "Gelu", "Clip", "Exp", "Log", "Abs", "Neg",
             "Reciprocal", "Floor", "Ceil", "Sqrt", "Softplus", "HardSigmoid", "Identity", "HardSwish", "Sign", "Round", "Sin", "Cos":
            return [try RefElementwise.unary(node, ins, x: try x(), threads: threads)]
        case "Dropout":
            let t = try x()
            return node.outputs.count > 1 ? [t, Tensor(shape: t.shape, ints: [Int64](repeating: 1, count: t.count))] : [t]
        case "Mean":
            var asSum = node; asSum.opType = "Sum"
            let sum = try RefElementwise.binary(asSum, ins.compactMap { $0 }, outShape: shape)
            let n = Float(ins.compactMap { $0 }.count)
            return [Tensor(shape: shape, floats: sum.floatValues.map { $0 / n })]
        case "Conv":
            return [try RefConv.conv(node, x: floats(try x()), w: floats(try req(1)), bias: ins.count > 2 ? ins[2].map(floats) : nil, outShape: shape)]
        case "ConvTranspose":
            return [try RefConv.convTranspose(node, x: floats(try x()), w: floats(try req(1)), bias: ins.count > 2 ? ins[2].map(floats) : nil, outShape: shape)]
        case "MaxPool", "AveragePool":
            return [try RefConv.pool(node, x: floats(try x()), outShape: shape)]
        case "GlobalAveragePool", "GlobalMaxPool":
            return [RefConv.globalPool(floats(try x()), isMax: node.opType == "GlobalMaxPool", outShape: shape)]
        case "InstanceNormalization":
            return [try RefNormalization.instanceNorm(node, x: floats(try x()), scale: floats(try req(1)), bias: floats(try req(2)))]
        case "GroupNormalization":
            return [try RefNormalization.groupNorm(node, x: floats(try x()), scale: floats(try req(1)), bias: floats(try req(2)))]
        case "BatchNormalization":
            return [try RefNormalization.batchNorm(node, x: floats(try x()), try (1...4).map { floats(try req($0)) })]
        case "Softmax", "LogSoftmax":
            return [try RefNormalization.softmax(node, x: floats(try x()), opset: opset)]
        case "ArgMax":
            return [try RefNormalization.argMax(node, x: try x(), outShape: shape)]
        case "Pad":
            let pads = try ShapeInference.padAmounts(node, try x().shape, descs, opset: opset)
            var value = try node.float("value", 0)
            if ins.count > 2, let v = ins[2] { value = v.floatValues.first ?? 0 }
            return [try RefTensorOps.pad(node, try x(), pads: pads, value: value, outShape: shape)]
        case "Constant":
            return [try ShapeInference.constantValue(node)]
        case "Range":
            let s = try x(), d = try req(2)
            if s.elementType == .int64 {
                return [Tensor(shape: shape, ints: (0..<shape[0]).map { s.ints[0] + Int64($0) * d.intValues[0] })]
            }
            return [Tensor(shape: shape, floats: (0..<shape[0]).map { s.floats[0] + Float($0) * d.floatValues[0] })]
        case "Resize", "Upsample":
            let spec = try ShapeInference.resizeSpec(node, descs, opset: opset)
            return [RefTensorOps.resize(try x(), spec: spec)]
        case "MatMul":
            return [try RefLinearAlgebra.matMul(node, floats(try x()), floats(try req(1)))]
        case "Gemm":
            return [try RefLinearAlgebra.gemm(node, floats(try x()), floats(try req(1)), ins.count > 2 ? ins[2].map(floats) : nil, outShape: shape)]
        case "Einsum":
            return [try RefLinearAlgebra.einsum(node, ins.compactMap { $0 }.map(floats))]
        case "LayerNormalization":
            let all = try RefNormalization.layerNorm(node, x: floats(try x()), scale: floats(try req(1)), bias: ins.count > 2 ? ins[2].map(floats) : nil)
            return Array(all.prefix(node.outputs.count))
        case "Not":
            return [RefIndexing.not(try x())]
        case "Tile":
            return [RefIndexing.tile(try x(), outShape: shape)]
        case "GatherElements":
            return [try RefIndexing.gatherElements(node, try x(), try req(1))]
        case "GatherND":
            return [try RefIndexing.gatherND(node, try x(), try req(1))]
        case "ScatterND":
            return [try RefIndexing.scatterND(node, try x(), try req(1), try req(2))]
        case "CumSum":
            return [try RefIndexing.cumSum(node, try x(), axis: Int(clamping: try req(1).intValues[0]))]
        default:
            throw EngineError.unsupportedOperator(op: node.opType, node: node.name, opset: opset)
        }
    }
}
