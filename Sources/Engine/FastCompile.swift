import CDNNL
import Foundation
import Logging

/// Fast-backend compilation: the per-operator dispatch (each `compile*` emits oneDNN steps or
/// returns false, and the node then runs as a reference fallback on plain data), and the helpers
/// for fused activations (oneDNN eltwise post-ops).
extension FastExecutor {
    func compile(_ node: Node, index: Int, temps: inout [Int]) throws {
        let runtimeInputs = node.inputs.filter { !$0.isEmpty && locs[$0] != nil }
        let floatOnly = runtimeInputs.allSatisfy { locs[$0]!.type == .float32 }
        var done = false
        if floatOnly && !runtimeInputs.isEmpty && node.opType == "Div" { done = try compileGeluChain(node, index: index) }
        if floatOnly && !runtimeInputs.isEmpty && !done {
            switch node.opType {
            case "Conv": done = try compileConv(node, index: index, temps: &temps)
            case "ConvTranspose": done = try compileDeconv(node, index: index, temps: &temps)
            case "InstanceNormalization", "BatchNormalization": done = try compileNorm(node, index: index, temps: &temps)
            case "Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh", "Gelu", "Clip", "Sqrt", "Exp", "Abs", "Log", "Neg", "Softplus", "HardSwish":
                done = try compileEltwise(node, index: index)
            case "MatMul": done = try compileMatMul(node, temps: &temps)
            case "Gemm": done = try compileGemm(node, temps: &temps)
            case "Einsum": done = try compileEinsum(node, temps: &temps)
            case "LayerNormalization": done = try compileLayerNorm(node, index: index, temps: &temps)
            case "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceL1", "ReduceL2", "ReduceSumSquare": done = try compileReduce(node, temps: &temps)
            case "Transpose": done = try compileTranspose(node)
            case "Slice": done = try compileSlice(node, temps: &temps)
            case "Gather": done = try compileGather(node, index: index, temps: &temps)
            case "Add", "Sub", "Mul", "Div", "Max", "Min", "Pow": done = try compileBinary(node, index: index, temps: &temps)
            case "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool": done = try compilePool(node, temps: &temps)
            case "Concat": done = try compileConcatInPlace(node, index: index) || compileConcat(node, temps: &temps)
            case "Resize", "Upsample": done = try compileResize(node, temps: &temps)
            case "Softmax", "LogSoftmax": done = try compileSoftmax(node, temps: &temps)
            case "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout":
                done = try compileAlias(node, temps: &temps)
            default: break
            }
        }
        if !done { try compileFallback(node, temps: &temps) }
    }

    func shape(_ name: String) -> [Int] { plan.values[name]!.shape }

    func constant(_ node: Node, _ i: Int) -> Tensor? {
        guard i < node.inputs.count, !node.inputs[i].isEmpty else { return nil }
        return plan.values[node.inputs[i]]?.constant
    }

    /// The single step consuming `value`, when it is a fusable activation and `value` is not an output.
    func fusableActivation(after value: String) -> (index: Int, alg: dnnl_alg_kind_t, alpha: Float, beta: Float)? {
        guard let c = consumers[value], c.count == 1, !plan.outputNames.contains(value) else { return nil }
        let next = plan.steps[c[0]]
        guard next.inputs.first == value, next.outputs.count == 1, let e = try? eltwise(next) else { return nil }
        return (c[0], e.alg, e.alpha, e.beta)
    }

    func eltwise(_ node: Node) throws -> (alg: dnnl_alg_kind_t, alpha: Float, beta: Float)? {
        switch node.opType {
        case "Relu": return (dnnl_eltwise_relu, 0, 0)
        case "LeakyRelu": return (dnnl_eltwise_relu, try node.float("alpha", 0.01), 0)
        case "Elu": return (dnnl_eltwise_elu, try node.float("alpha", 1), 0)
        case "Sigmoid": return (dnnl_eltwise_logistic, 0, 0)
        case "Tanh": return (dnnl_eltwise_tanh, 0, 0)
        case "Sqrt": return (dnnl_eltwise_sqrt, 0, 0)
        case "Exp": return (dnnl_eltwise_exp, 0, 0)
        case "Abs": return (dnnl_eltwise_abs, 0, 0)
        case "Log": return (dnnl_eltwise_log, 0, 0)
        case "Neg": return (dnnl_eltwise_linear, -1, 0)
        case "Softplus": return (dnnl_eltwise_soft_relu, 0, 0)
        case "HardSwish": return (dnnl_eltwise_hardswish, 0, 0)
        case "Gelu": return try node.string("approximate", "none") == "tanh" ? (dnnl_eltwise_gelu_tanh, 0, 0) : (dnnl_eltwise_gelu_erf, 0, 0)
        case "Clip":
            var lo = try node.float("min", -.greatestFiniteMagnitude), hi = try node.float("max", .greatestFiniteMagnitude)
            if node.inputs.count > 1, !node.inputs[1].isEmpty { guard let c = plan.values[node.inputs[1]]?.constant else { return nil }; lo = c.floatValues.first ?? lo }
            if node.inputs.count > 2, !node.inputs[2].isEmpty { guard let c = plan.values[node.inputs[2]]?.constant else { return nil }; hi = c.floatValues.first ?? hi }
            return (dnnl_eltwise_clip_v2, lo, hi)
        default: return nil
        }
    }

    func postOpsAttr(_ act: (index: Int, alg: dnnl_alg_kind_t, alpha: Float, beta: Float)?, sum: Bool = false) throws -> dnnl_primitive_attr_t? {
        try Self.postOps(act.map { ($0.alg, $0.alpha, $0.beta) }, sum: sum)
    }

    /// A primitive attribute with a sum post-op (accumulate into the destination) and/or an eltwise
    /// post-op; nil when neither is asked for. Shared with the dynamic tail (`FastTailPrimitive`).
    static func postOps(_ act: (alg: dnnl_alg_kind_t, alpha: Float, beta: Float)?, sum: Bool = false) throws -> dnnl_primitive_attr_t? {
        guard act != nil || sum else { return nil }
        var attr: dnnl_primitive_attr_t?, ops: dnnl_post_ops_t?
        try DNNL.check(dnnl_primitive_attr_create(&attr), "attr")
        try DNNL.check(dnnl_post_ops_create(&ops), "post ops")
        defer { dnnl_post_ops_destroy(ops) }
        if sum { try DNNL.check(dnnl_post_ops_append_sum(ops, 1), "sum post-op") }
        if let a = act { try DNNL.check(dnnl_post_ops_append_eltwise(ops, 1, a.alg, a.alpha, a.beta), "eltwise post-op") }
        try DNNL.check(dnnl_primitive_attr_set_post_ops(attr, ops), "set post ops")
        return attr
    }
}
