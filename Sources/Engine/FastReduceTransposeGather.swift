import CDNNL

/// Fast-backend reductions (oneDNN reduction), Transpose (a reorder into a permuted view) and Gather.
extension FastExecutor {
    func compileReduce(_ node: Node, temps: inout [Int]) throws -> Bool {
        guard let l = locs[node.inputs[0]] else { return false }
        let (outShape, axes) = try ShapeInference.reduceAxes(node, l.shape, node.inputs.map { $0.isEmpty ? nil : plan.values[$0] })
        guard !axes.isEmpty else { return false }
        let algs: [String: (dnnl_alg_kind_t, Float)] = [
            "ReduceMean": (dnnl_reduction_mean, 0), "ReduceSum": (dnnl_reduction_sum, 0), "ReduceMax": (dnnl_reduction_max, 0),
            "ReduceMin": (dnnl_reduction_min, 0), "ReduceL1": (dnnl_reduction_norm_lp_sum, 1), "ReduceL2": (dnnl_reduction_norm_lp_sum, 2),
            "ReduceSumSquare": (dnnl_reduction_norm_lp_power_p_sum, 2)]
        guard let (alg, p) = algs[node.opType] else { return false }
        let kept = (0..<l.shape.count).map { axes.contains($0) ? 1 : l.shape[$0] }
        var src = refs[l.ref].md, dst = try DNNL.plain(kept)
        var d = dnnl_reduction_desc_t()
        try DNNL.check(dnnl_reduction_desc_init(&d, alg, &src, &dst, p, 0), "reduction descriptor")
        guard let pd = DNNL.primitiveDesc(d) else { return false }
        defer { dnnl_primitive_desc_destroy(pd) }
        let outRef = try newValue(node.outputs[0], md: try DNNL.plain(outShape), shape: outShape)
        let dref = addRef(dst, buffer: refs[outRef].buffer)
        steps.append(.primitive(try DNNL.primitive(pd), [(DNNL_ARG_SRC, l.ref), (DNNL_ARG_DST, dref)], label: node.opType))
        return true
    }

    /// Transpose as one reorder from the input (any layout) into the output's plain buffer seen
    /// through permuted strides.
    func compileTranspose(_ node: Node) throws -> Bool {
        guard let l = locs[node.inputs[0]], l.shape.count >= 1 else { return false }
        let perm = try node.ints("perm") ?? Array((0..<l.shape.count).reversed())
        let outShape = shape(node.outputs[0])
        let os = Tensor.strides(outShape)
        var strides = [Int](repeating: 0, count: perm.count)
        for (j, p) in perm.enumerated() { strides[p] = os[j] }
        let outRef = try newValue(node.outputs[0], md: try DNNL.plain(outShape), shape: outShape)
        let view = addRef(try DNNL.strided(l.shape, strides), buffer: refs[outRef].buffer)
        steps.append(.primitive(try DNNL.reorder(from: refs[l.ref].md, to: refs[view].md), [(DNNL_ARG_FROM, l.ref), (DNNL_ARG_TO, view)], label: "Transpose"))
        return true
    }

    /// Gather of one constant index (PyTorch's `t[i]`, e.g. q/k/v out of the stacked projection):
    /// a strided view of the plain input; aliased when the picked slab is contiguous, else copied
    /// by a reorder.
    func compileGather(_ node: Node, index: Int, temps: inout [Int]) throws -> Bool {
        guard let l = locs[node.inputs[0]], let c = constant(node, 1), c.count == 1, c.shape.count == 0 else { return false }
        let axis = try OpParams.axis(try node.int("axis", 0), rank: l.shape.count, node)
        var i = Int(c.intValues[0]); if i < 0 { i += l.shape[axis] }
        guard i >= 0, i < l.shape[axis] else { throw node.invalid("index \(c.intValues[0]) out of range for axis size \(l.shape[axis])") }
        let src = try ensure(node.inputs[0], md: try DNNL.plain(l.shape), temps: &temps)
        let st = Tensor.strides(l.shape)
        var viewShape = l.shape, viewStrides = st
        viewShape.remove(at: axis); viewStrides.remove(at: axis)
        let outShape = shape(node.outputs[0])
        let offset = refs[src].offset + i * st[axis] * 4
        if l.shape[..<axis].allSatisfy({ $0 == 1 }) {
            retain(src)
            locs[node.outputs[0]] = Loc(ref: addRef(try DNNL.plain(outShape), buffer: refs[src].buffer, offset: offset), shape: outShape, type: .float32)
            return true
        }
        let view = addRef(try DNNL.strided(viewShape.isEmpty ? [1] : viewShape, viewShape.isEmpty ? [1] : viewStrides), buffer: refs[src].buffer, offset: offset)
        let out = try newValue(node.outputs[0], md: try DNNL.plain(outShape), shape: outShape)
        let outView = addRef(try DNNL.plain(viewShape.isEmpty ? [1] : viewShape), buffer: refs[out].buffer)
        steps.append(.primitive(try DNNL.reorder(from: refs[view].md, to: refs[outView].md), [(DNNL_ARG_FROM, view), (DNNL_ARG_TO, outView)], label: "Gather"))
        return true
    }
}
