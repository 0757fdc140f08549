import CDNNL

/// Fast-backend compilation of element-wise, pooling, concat, resampling, softmax, aliasing and
/// reference-fallback steps.
extension FastExecutor {
    func compileEltwise(_ node: Node, index: Int) throws -> Bool {
        guard let e = try eltwise(node), let l = locs[node.inputs[0]] else { return false }
        var md = refs[l.ref].md
        var d = dnnl_eltwise_desc_t()
        try DNNL.check(dnnl_eltwise_forward_desc_init(&d, dnnl_forward_inference, e.alg, &md, e.alpha, e.beta), "eltwise descriptor")
        guard let pd = DNNL.primitiveDesc(d) else { return false }
        defer { dnnl_primitive_desc_destroy(pd) }
        let out = node.outputs[0]
        let dstRef: Int
        if canOverwrite(node.inputs[0], at: index) {
            retain(l.ref); locs[out] = Loc(ref: l.ref, shape: l.shape, type: .float32); dstRef = l.ref
        } else {
            dstRef = try newValue(out, md: md, shape: l.shape)
        }
        steps.append(.primitive(try DNNL.primitive(pd), [(DNNL_ARG_SRC, l.ref), (DNNL_ARG_DST, dstRef)], label: node.opType))
        return true
    }

    func compileBinary(_ node: Node, index: Int, temps: inout [Int]) throws -> Bool {
        guard node.inputs.count == 2 else { return false }
        let out = node.outputs[0], outShape = shape(out)
        if node.opType == "Pow" {
            guard let e = constant(node, 1), e.count == 1, let l = locs[node.inputs[0]], l.shape == outShape else { return false }
            var md = refs[l.ref].md, d = dnnl_eltwise_desc_t()
            try DNNL.check(dnnl_eltwise_forward_desc_init(&d, dnnl_forward_inference, dnnl_eltwise_pow, &md, 1, e.floatValues[0]), "pow descriptor")
            guard let pd = DNNL.primitiveDesc(d) else { return false }
            defer { dnnl_primitive_desc_destroy(pd) }
            let dst = try newValue(out, md: md, shape: outShape)
            steps.append(.primitive(try DNNL.primitive(pd), [(DNNL_ARG_SRC, l.ref), (DNNL_ARG_DST, dst)], label: "Pow"))
            return true
        }
        let algs: [String: dnnl_alg_kind_t] = ["Add": dnnl_binary_add, "Sub": dnnl_binary_sub, "Mul": dnnl_binary_mul,
                                               "Div": dnnl_binary_div, "Max": dnnl_binary_max, "Min": dnnl_binary_min]
        var a = node.inputs[0], b = node.inputs[1]
        // src0 must be a run-time value with the full output shape; swap commutative operands.
        if locs[a]?.shape != outShape, ["Add", "Mul", "Max", "Min"].contains(node.opType) { swap(&a, &b) }
        guard let la = locs[a], la.shape == outShape else { return false }
        var md0 = refs[la.ref].md
        let bShape = shape(b)
        guard bShape.count <= outShape.count else { return false }
        let padded = [Int](repeating: 1, count: outShape.count - bShape.count) + bShape
        var md1: dnnl_memory_desc_t, ref1: Int
        if let c = plan.values[b]?.constant {
            md1 = try DNNL.plain(padded); ref1 = try constantRef(c, md: md1, logicalShape: padded)
        } else if padded == outShape {
            md1 = md0; ref1 = try ensure(b, md: md0, temps: &temps)
        } else {
            guard padded == bShape else { return false }
            md1 = try DNNL.plain(padded); ref1 = try ensure(b, md: md1, temps: &temps)
        }
        var dmd = md0
        var d = dnnl_binary_desc_t()
        try DNNL.check(dnnl_binary_desc_init(&d, algs[node.opType]!, &md0, &md1, &dmd), "binary descriptor")
        guard let pd = DNNL.primitiveDesc(d) else { return false }
        defer { dnnl_primitive_desc_destroy(pd) }
        let dst: Int
        if canOverwrite(a, at: index) && a != b {
            retain(la.ref); locs[out] = Loc(ref: la.ref, shape: outShape, type: .float32); dst = la.ref
        } else {
            dst = try newValue(out, md: dmd, shape: outShape)
        }
        steps.append(.primitive(try DNNL.primitive(pd), [(DNNL_ARG_SRC_0, la.ref), (DNNL_ARG_SRC_1, ref1), (DNNL_ARG_DST, dst)], label: node.opType))
        return true
    }

    func compilePool(_ node: Node, temps: inout [Int]) throws -> Bool {
        guard let l = locs[node.inputs[0]], l.shape.count >= 3 else { return false }
        let out = node.outputs[0], outShape = shape(out)
        let spatial = Array(l.shape[2...])
        var strides = [Int](repeating: 1, count: spatial.count), kernel = spatial, dil = strides
        var pl = [Int](repeating: 0, count: spatial.count), pr = pl
        var alg = dnnl_pooling_max
        if node.opType == "GlobalAveragePool" { alg = dnnl_pooling_avg_exclude_padding }
        if node.opType == "MaxPool" || node.opType == "AveragePool" {
            let k = try node.ints("kernel_shape") ?? []
            let ceil = try node.int("ceil_mode", 0) != 0
            let win = try OpParams.window(node, inSpatial: spatial, kernel: k, ceilMode: ceil)
            let include = try node.int("count_include_pad", 0) != 0
            if node.opType == "AveragePool" {
                if include && ceil { return false }
                alg = include ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding
            }
            strides = win.strides; kernel = win.kernel; dil = win.dilations; pl = win.padsBegin
            // oneDNN wants the right padding that exactly produces the output size.
            pr = (0..<spatial.count).map { (win.outSpatial[$0] - 1) * win.strides[$0] + (win.kernel[$0] - 1) * win.dilations[$0] + 1 - spatial[$0] - win.padsBegin[$0] }
            if include && pr != win.padsEnd { return false }
        }
        var src = refs[l.ref].md, dst = try DNNL.any(outShape)
        var d = dnnl_pooling_v2_desc_t()
        try DNNL.check(dnnl_pooling_v2_forward_desc_init(&d, dnnl_forward_inference, alg, &src, &dst, strides.map { dnnl_dim_t($0) }, kernel.map { dnnl_dim_t($0) },
                                                         dil.map { dnnl_dim_t($0 - 1) }, pl.map { dnnl_dim_t($0) }, pr.map { dnnl_dim_t($0) }), "pooling descriptor")
        guard let pd = DNNL.primitiveDesc(d) else { return false }
        defer { dnnl_primitive_desc_destroy(pd) }
        let dref = try newValue(out, md: DNNL.query(pd, dnnl_query_dst_md), shape: outShape)
        var args: [(Int32, Int)] = [(DNNL_ARG_SRC, l.ref), (DNNL_ARG_DST, dref)]
        let ws = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, DNNL_ARG_WORKSPACE)!.pointee
        if DNNL.size(ws) > 0 { args.append((DNNL_ARG_WORKSPACE, pinnedRef(ws, bytes: DNNL.size(ws)) { _ in })) }
        steps.append(.primitive(try DNNL.primitive(pd), args, label: node.opType))
        return true
    }

    func compileConcat(_ node: Node, temps: inout [Int]) throws -> Bool {
        let out = node.outputs[0], outShape = shape(out)
        let a = try OpParams.axis(try node.int("axis", 0), rank: outShape.count, node)
        var mds: [dnnl_memory_desc_t] = [], srcRefs: [Int] = []
        for name in node.inputs where !name.isEmpty {
            if let l = locs[name] { mds.append(refs[l.ref].md); srcRefs.append(l.ref) }
            else if let c = plan.values[name]?.constant, c.elementType == .float32 {
                let md = try DNNL.plain(c.shape); mds.append(md); srcRefs.append(try constantRef(c, md: md))
            } else { return false }
        }
        var dst = try DNNL.any(outShape)
        var pd: dnnl_primitive_desc_t?
        guard dnnl_concat_primitive_desc_create(&pd, &dst, Int32(mds.count), Int32(a), mds, nil, DNNL.engine) == dnnl_success, let pd else { return false }
        defer { dnnl_primitive_desc_destroy(pd) }
        let dref = try newValue(out, md: DNNL.query(pd, dnnl_query_dst_md), shape: outShape)
        var args: [(Int32, Int)] = [(DNNL_ARG_DST, dref)]
        for (i, r) in srcRefs.enumerated() { args.append((DNNL_ARG_MULTIPLE_SRC + Int32(i), r)) }
        steps.append(.primitive(try DNNL.primitive(pd), args, label: "Concat"))
        return true
    }

    /// oneDNN resampling uses half-pixel centres: exact for ONNX linear with half_pixel (and
    /// pytorch_half_pixel when every output size > 1), and for nearest with integer factors.
    func compileResize(_ node: Node, temps: inout [Int]) throws -> Bool {
        guard let l = locs[node.inputs[0]], l.shape.count >= 3 else { return false }
        let spec = try ShapeInference.resizeSpec(node, node.inputs.map { $0.isEmpty ? nil : plan.values[$0] }, opset: plan.opset)
        guard spec.outShape[0] == l.shape[0], spec.outShape[1] == l.shape[1] else { return false }
        let factors = (2..<l.shape.count).map { Float(spec.outShape[$0]) / Float(l.shape[$0]) }
        guard zip(factors, spec.scales[2...]).allSatisfy({ abs($0 - $1) < 1e-6 * max(1, $1) }) else { return false }
        let alg: dnnl_alg_kind_t
        if spec.mode == "linear" {
            guard spec.coordinateMode == "half_pixel" || (spec.coordinateMode == "pytorch_half_pixel" && spec.outShape.allSatisfy { $0 > 1 }) else { return false }
            alg = dnnl_resampling_linear
        } else {
            guard factors.allSatisfy({ $0 >= 1 && $0 == $0.rounded() }),
                  (spec.coordinateMode == "asymmetric" && spec.nearestMode == "floor") || (spec.coordinateMode == "half_pixel" && spec.nearestMode == "round_prefer_floor") else { return false }
            alg = dnnl_resampling_nearest
        }
        var src = refs[l.ref].md, dst = try DNNL.any(spec.outShape)
        var d = dnnl_resampling_desc_t()
        try DNNL.check(dnnl_resampling_forward_desc_init(&d, dnnl_forward_inference, alg, factors, &src, &dst), "resampling descriptor")
        guard let pd = DNNL.primitiveDesc(d) else { return false }
        defer { dnnl_primitive_desc_destroy(pd) }
        let dref = try newValue(node.outputs[0], md: DNNL.query(pd, dnnl_query_dst_md), shape: spec.outShape)
        steps.append(.primitive(try DNNL.primitive(pd), [(DNNL_ARG_SRC, l.ref), (DNNL_ARG_DST, dref)], label: "Resize"))
        return true
    }

    func compileSoftmax(_ node: Node, temps: inout [Int]) throws -> Bool {
        guard let l = locs[node.inputs[0]] else { return false }
        let rank = l.shape.count
        let axis = try OpParams.axis(try node.int("axis", plan.opset >= 13 ? -1 : 1), rank: rank, node)
        guard plan.opset >= 13 || axis == rank - 1 else { return false }
        var md = try DNNL.plain(l.shape), dmd = md
        var d = dnnl_softmax_v2_desc_t()
        try DNNL.check(dnnl_softmax_v2_forward_desc_init(&d, dnnl_forward_inference, node.opType == "Softmax" ? dnnl_softmax_accurate : dnnl_softmax_log, &md, &dmd, Int32(axis)), "softmax descriptor")
        guard let pd = DNNL.primitiveDesc(d) else { return false }
        defer { dnnl_primitive_desc_destroy(pd) }
        let src = try ensure(node.inputs[0], md: md, temps: &temps)
        let dst = try newValue(node.outputs[0], md: dmd, shape: l.shape)
        steps.append(.primitive(try DNNL.primitive(pd), [(DNNL_ARG_SRC, src), (DNNL_ARG_DST, dst)], label: node.opType))
        return true
    }

    /// Shape-only operators on plain data share the input's buffer.
    func compileAlias(_ node: Node, temps: inout [Int]) throws -> Bool {
        guard node.outputs.count == 1 || node.outputs.dropFirst().allSatisfy({ $0.isEmpty }), let l = locs[node.inputs[0]] else { return false }
        let outShape = shape(node.outputs[0])
        var ref = l.ref
        if !DNNL.isPlain(refs[l.ref].md, shape: l.shape) {
            // Reorder into a plain value that the alias then owns.
            let plainMD = try DNNL.plain(l.shape)
            ref = addRef(plainMD, buffer: newBuffer(DNNL.size(plainMD)))
            steps.append(.primitive(try DNNL.reorder(from: refs[l.ref].md, to: plainMD), [(DNNL_ARG_FROM, l.ref), (DNNL_ARG_TO, ref)], label: "Reorder"))
            let aliasRef = addRef(try DNNL.plain(outShape), buffer: refs[ref].buffer)
            locs[node.outputs[0]] = Loc(ref: aliasRef, shape: outShape, type: .float32)
            return true
        }
        retain(ref)
        locs[node.outputs[0]] = Loc(ref: addRef(try DNNL.plain(outShape), buffer: refs[ref].buffer, offset: refs[ref].offset), shape: outShape, type: l.type)
        return true
    }

    /// Runs the node with the reference kernel on plain copies of its run-time inputs.
    func compileFallback(_ node: Node, temps: inout [Int]) throws {
        var operands: [Operand?] = []
        for name in node.inputs {
            if name.isEmpty { operands.append(nil); continue }
            if let c = plan.values[name]?.constant { operands.append(.constant(c)); continue }
            guard let l = locs[name] else { throw EngineError.malformedModel("value '\(name)' is not available for node '\(node.name)'") }
            if l.type == .int64 { operands.append(.value(l)); continue }
            let ref = try ensure(name, md: try DNNL.plain(l.shape), temps: &temps)
            operands.append(.value(Loc(ref: ref, shape: l.shape, type: l.type)))
        }
        var outs: [Loc] = []
        for name in node.outputs {
            guard !name.isEmpty, let d = plan.values[name] else { outs.append(Loc(ref: -1, shape: [], type: .float32)); continue }
            let ref = try newValue(name, md: try DNNL.plain(d.shape), shape: d.shape, type: d.type)
            outs.append(Loc(ref: ref, shape: d.shape, type: d.type))
        }
        steps.append(.fallback(node, operands, outs))
    }
}
