import CDNNL

/// The exact GELU as torch.onnx exports `nn.GELU` before opset 20:
/// `Mul(Mul(x, Add(Erf(Div(x, sqrt 2)), 1)), 0.5)`, or with the two products the other way round,
/// `Mul(x, Mul(0.5, Add(Erf(Div(x, sqrt 2)), 1)))` (the torch.export-based exporter, e.g. SwinUNETR),
/// recognised and run as one oneDNN `gelu_erf` eltwise (the reference backend runs the five
/// operators as written).
extension FastExecutor {
    /// The indices of the Erf, Add, Mul, Mul steps following the Div at `index`, when the five
    /// form the exported GELU and no intermediate value is read elsewhere or is a graph output.
    func geluChain(from index: Int) -> [Int]? {
        let div = plan.steps[index]
        guard div.inputs.count == 2, let c = plan.values[div.inputs[1]]?.constant, c.count == 1,
              abs(c.floatValues[0] - 1.4142135) < 1e-4 else { return nil }
        let x = div.inputs[0]
        func only(_ value: String, _ op: String) -> (Int, Node)? {
            guard let cs = consumers[value], cs.count == 1, !plan.outputNames.contains(value) else { return nil }
            let n = plan.steps[cs[0]]
            return n.opType == op && n.outputs.count == 1 ? (cs[0], n) : nil
        }
        func isConstant(_ name: String, _ v: Float) -> Bool {
            guard let t = plan.values[name]?.constant, t.count == 1 else { return false }
            return abs(t.floatValues[0] - v) < 1e-6
        }
        guard let (ie, erf) = only(div.outputs[0], "Erf"), let (ia, add) = only(erf.outputs[0], "Add"),
              add.inputs.contains(where: { isConstant($0, 1) }),
              let (im, first) = only(add.outputs[0], "Mul"), first.inputs.count == 2,
              let (ih, second) = only(first.outputs[0], "Mul"), second.inputs.count == 2 else { return nil }
        // The factors other than the chain's own value: x and 0.5, in either order.
        let a = first.inputs[0] == add.outputs[0] ? first.inputs[1] : first.inputs[0]
        let b = second.inputs[0] == first.outputs[0] ? second.inputs[1] : second.inputs[0]
        guard (a == x && isConstant(b, 0.5)) || (isConstant(a, 0.5) && b == x) else { return nil }
        return [ie, ia, im, ih]
    }

    func compileGeluChain(_ node: Node, index: Int) throws -> Bool {
        guard let chain = geluChain(from: index), let l = locs[node.inputs[0]] else { return false }
        var md = refs[l.ref].md
        var d = dnnl_eltwise_desc_t()
        try DNNL.check(dnnl_eltwise_forward_desc_init(&d, dnnl_forward_inference, dnnl_eltwise_gelu_erf, &md, 0, 0), "gelu descriptor")
        guard let pd = DNNL.primitiveDesc(d) else { return false }
        defer { dnnl_primitive_desc_destroy(pd) }
        let out = node.outputs[0]
        let dst = try newValue(out, md: md, shape: l.shape)
        steps.append(.primitive(try DNNL.primitive(pd), [(DNNL_ARG_SRC, l.ref), (DNNL_ARG_DST, dst)], label: "Gelu"))
        for i in chain { fusedInto[i] = out }
        return true
    }
}
