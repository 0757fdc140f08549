/// Shapes known only during the run (issue 17). NonZero and NonMaxSuppression output as many rows
/// as the data selects, and TopK as many as a K computed at run time; in a detection model everything
/// after the first of them (box decoding, RoI heads, mask pasting) depends on that count.
///
/// Planning: such an output is marked `dynamic` in its `ValueDesc`, with an upper bound as its shape
/// (NonZero: every element; NonMaxSuppression: batches x classes x min(boxes, max_output); TopK: the
/// whole axis). Every value computed from a dynamic value is dynamic too, including the contents of
/// `Shape` of it, which is therefore never folded into a constant. Dynamic values keep the shape
/// inference finds from the bounds when it succeeds (used only for the memory estimate), else an
/// empty placeholder. The reference executor needs nothing more: it infers every step's shapes from
/// the concrete tensors at run time. The fast backend runs the steps with dynamic outputs as its
/// tail (`FastTail.swift`), after the static oneDNN plan.
extension ShapeInference {
    typealias Planned = (shape: [Int], type: ElementType, dynamic: Bool)

    /// Output shapes at planning time, marking data-dependent outputs and their descendants dynamic.
    static func inferPlanned(_ node: Node, _ ins: [ValueDesc?], opset: Int) throws -> [Planned] {
        let anyDynamic = ins.contains { $0?.dynamic == true }
        if ControlFlow.operators.contains(node.opType) {
            // The branch taken or the iteration count (and so the shapes) is decided by the run.
            return node.outputs.map { _ in ([Int](), ElementType.float32, true) }
        }
        if RefDetection.operators.contains(node.opType) {
            let present = ins.compactMap { $0 }
            if !anyDynamic, present.allSatisfy({ $0.constant != nil }), present.count == ins.count {
                // Constant inputs: the kernel runs now (and Plan folds it), so the shapes are exact.
                let outs = try RefDetection.run(node, ins.map { $0?.constant }, opset: opset) ?? []
                return outs.map { ($0.shape, $0.elementType, false) }
            }
            return try detectionBounds(node, ins, opset: opset, anyDynamic: anyDynamic)
        }
        do {
            return try infer(node, ins, opset: opset).map { ($0.shape, $0.type, anyDynamic) }
        } catch where anyDynamic {
            // Bounds are not exact shapes (a Reshape of a bound may not divide, a shape input is
            // computed at run time): the run decides.
            return node.outputs.map { _ in ([Int](), ElementType.float32, true) }
        }
    }

    /// Upper-bound (or, for TopK with a constant K on static input, exact) output shapes of the
    /// detection operators.
    static func detectionBounds(_ node: Node, _ ins: [ValueDesc?], opset: Int, anyDynamic: Bool) throws -> [Planned] {
        let x = try required(ins, 0, node)
        switch node.opType {
        case "NonZero":
            return [([x.shape.count, Tensor.elementCount(x.shape)], .int64, true)]
        case "NonMaxSuppression":
            let s = try required(ins, 1, node)
            guard x.shape.count == 3, s.shape.count == 3 else { return [([0, 3], .int64, true)] }
            var perClass = x.shape[1]
            if let m = input(ins, 2)?.constant?.intValues.first { perClass = min(perClass, Int(clamping: max(0, m))) }
            return [([x.shape[0] * s.shape[1] * perClass, 3], .int64, true)]
        case "TopK":
            guard opset >= 10 else { throw EngineError.unsupported("TopK before opset 10 (K as attribute, node '\(node.name)')") }
            let axis = try OpParams.axis(try node.int("axis", -1), rank: x.shape.count, node)
            var shape = x.shape
            let k = input(ins, 1)?.constant?.intValues.first
            if let k, !anyDynamic {
                guard k >= 0, k <= Int64(x.shape[axis]) else { throw node.invalid("K \(k) outside 0...\(x.shape[axis])") }
                shape[axis] = Int(k)
                return [(shape, x.type, false), (shape, .int64, false)]
            }
            return [(shape, x.type, true), (shape, .int64, true)]
        case "ScatterElements":
            return [(x.shape, x.type, anyDynamic)]
        case "RoiAlign":
            let r = try required(ins, 1, node)
            let c = x.shape.count == 4 ? x.shape[1] : 0, rois = r.shape.first ?? 0
            return [([rois, c, try node.int("output_height", 1), try node.int("output_width", 1)], .float32, anyDynamic)]
        default:
            throw EngineError.unsupportedOperator(op: node.opType, node: node.name, opset: opset)
        }
    }
}

extension Plan {
    /// The first step whose output shape is known only during the run, if any.
    var firstDynamicStep: Node? {
        steps.first { $0.outputs.contains { values[$0]?.dynamic == true } }
    }
}
