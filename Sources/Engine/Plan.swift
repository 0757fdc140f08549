/// A model specialised to concrete input shapes: every value's shape and type is known, and nodes
/// whose inputs are all constants (initializers, Constant, Shape of known shapes and everything
/// computed from them) are folded into constants. What remains are the run-time `steps`.
struct Plan {
    var values: [String: ValueDesc]
    var steps: [Node]
    var inputNames: [String]
    var outputNames: [String]
    var opset: Int
    /// Multiply-adds x 2 of Conv and ConvTranspose nodes (the dominant cost of U-Nets).
    var flops: Double
    /// For each value, the index of the last step reading it (graph outputs: Int.max).
    var lastUse: [String: Int]

    /// Elements above which an intermediate tensor is treated as absurd.
    static let maxElements = 1 << 34

    init(model: ONNXModel, inputShapes: [String: [Int]]) throws {
        let g = model.graph
        opset = model.opset
        values = [:]
        lastUse = [:]
        flops = 0
        for (k, t) in g.initializers { values[k] = ValueDesc(shape: t.shape, type: t.elementType, constant: t) }
        for i in g.inputs {
            guard let s = inputShapes[i.name] else { throw EngineError.invalidInput("model input '\(i.name)' was not given") }
            if let dims = i.dims {
                guard dims.count == s.count else { throw EngineError.invalidInput("input '\(i.name)' has shape \(s), model expects rank \(dims.count) (\(dims.map(\.description).joined(separator: "x")))") }
                for (d, e) in zip(dims, s) { if case .fixed(let f) = d, f > 0, f != e { throw EngineError.invalidInput("input '\(i.name)' has shape \(s), model expects \(dims.map(\.description).joined(separator: "x"))") } }
            }
            guard s.allSatisfy({ $0 >= 1 && $0 <= 1 << 24 }), Tensor.elementCount(s) <= 1 << 33 else { throw EngineError.invalidInput("absurd shape \(s) for input '\(i.name)'") }
            let type: ElementType = (i.dataType == 7 || i.dataType == 6) ? .int64 : .float32
            values[i.name] = ValueDesc(shape: s, type: type, constant: nil)
        }
        for name in inputShapes.keys where !g.inputs.contains(where: { $0.name == name }) {
            throw EngineError.invalidInput("'\(name)' is not an input of the model (inputs: \(g.inputs.map(\.name).joined(separator: ", ")))")
        }
        inputNames = g.inputs.map(\.name)
        outputNames = g.outputs.map(\.name)
        steps = []
        for node in g.nodes {
            let ins: [ValueDesc?] = node.inputs.map { $0.isEmpty ? nil : values[$0] }
            let outs = try ShapeInference.inferPlanned(node, ins, opset: opset)
            for o in outs where (Tensor.checkedElementCount(o.shape) ?? Int.max) > Plan.maxElements {
                throw node.invalid("absurd output shape \(o.shape)")
            }
            // Dynamic outputs (data-dependent sizes, If/Loop) are decided by the run, never folded.
            let allConstant = ins.allSatisfy { $0 == nil || $0!.constant != nil } && !outs.contains { $0.dynamic }
            var folded: [Tensor]? = nil
            if node.opType == "Shape", let v = ins.first ?? nil, !v.dynamic {
                let (s, e) = try ShapeInference.shapeRange(node, rank: v.shape.count)
                folded = [Tensor(shape: [e - s], ints: v.shape[s..<e].map { Int64($0) })]
            } else if allConstant {
                for o in outs { try Plan.requireFoldable(node, shape: o.shape) }
                folded = try Reference.run(node, node.inputs.map { $0.isEmpty ? nil : values[$0]?.constant }, opset: opset)
            }
            for (i, name) in node.outputs.enumerated() where !name.isEmpty && i < outs.count {
                values[name] = ValueDesc(shape: outs[i].shape, type: outs[i].type, constant: folded?[i], dynamic: outs[i].dynamic)
            }
            if folded == nil {
                steps.append(node)
                flops += try Plan.flops(node, ins, outs.map(\.shape))
            }
        }
        lastUse = ValueSlots.lastReaders(steps, outputs: outputNames)
    }

    static func flops(_ node: Node, _ ins: [ValueDesc?], _ outs: [[Int]]) throws -> Double {
        guard ins.count > 1, let w = ins[1] else { return 0 }
        switch node.opType {
        case "Conv":
            // Every output element: Cin/group x kernel multiply-adds.
            return 2 * Double(Tensor.elementCount(outs[0])) * Double(Tensor.elementCount(Array(w.shape[1...])))
        case "ConvTranspose":
            // Every input element scatters into Cout/group x kernel outputs.
            return 2 * Double(Tensor.elementCount(ins[0]!.shape)) * Double(Tensor.elementCount(Array(w.shape[1...])))
        default: return 0
        }
    }
}
