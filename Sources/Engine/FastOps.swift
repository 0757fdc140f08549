import CDNNL
import Foundation

/// Per-operator compilation for the fast backend. Each `compile*` either emits oneDNN steps or
/// returns false, in which case the node runs as a reference fallback on plain data.
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

    // MARK: convolution

    func compileConv(_ node: Node, index: Int, temps: inout [Int]) throws -> Bool {
        guard let w = constant(node, 1), locs[node.inputs[0]] != nil else { return false }
        let bias = constant(node, 2)
        if node.inputs.count > 2, !node.inputs[2].isEmpty, bias == nil { return false }
        let x = shape(node.inputs[0]), out = shape(node.outputs[0])
        let group = try node.int("group", 1)
        let win = try OpParams.window(node, inSpatial: Array(x[2...]), kernel: try node.ints("kernel_shape") ?? Array(w.shape[2...]))
        let wShape = group == 1 ? w.shape : [group, w.shape[0] / group] + Array(w.shape[1...])
        let descriptor = { (srcMD: dnnl_memory_desc_t) throws -> dnnl_convolution_desc_t in
            var src = srcMD, wmd = try DNNL.any(wShape), dst = try DNNL.any(out)
            var bmd = try bias.map { try DNNL.plain([$0.count]) } ?? dnnl_memory_desc_t()
            var d = dnnl_convolution_desc_t()
            let status = withUnsafePointer(to: &bmd) { bp in
                dnnl_dilated_convolution_forward_desc_init(&d, dnnl_forward_inference, dnnl_convolution_direct, &src, &wmd, bias == nil ? nil : bp, &dst,
                                                           win.strides.map { dnnl_dim_t($0) }, win.dilations.map { dnnl_dim_t($0 - 1) },
                                                           win.padsBegin.map { dnnl_dim_t($0) }, win.padsEnd.map { dnnl_dim_t($0) })
            }
            try DNNL.check(status, "convolution descriptor")
            return d
        }
        return try finishConvLike(node, index: index, descriptor: descriptor, weights: w, weightsShape: wShape, weightsSource: nil, bias: bias, temps: &temps)
    }

    func compileDeconv(_ node: Node, index: Int, temps: inout [Int]) throws -> Bool {
        guard let w = constant(node, 1), locs[node.inputs[0]] != nil else { return false }
        let bias = constant(node, 2)
        if node.inputs.count > 2, !node.inputs[2].isEmpty, bias == nil { return false }
        let x = shape(node.inputs[0]), out = shape(node.outputs[0])
        let group = try node.int("group", 1)
        let (win, outPad) = try OpParams.transposeWindow(node, inSpatial: Array(x[2...]), kernel: try node.ints("kernel_shape") ?? Array(w.shape[2...]))
        let padR = zip(win.padsEnd, outPad).map { $0 - $1 }
        guard padR.allSatisfy({ $0 >= 0 }) else { return false }
        let sp = x.count - 2
        // ONNX weights are [Cin, Cout/g, k...]; oneDNN's logical order is [(g,) Cout/g, Cin/g, k...].
        let wShape = group == 1 ? [w.shape[1], w.shape[0]] + Array(w.shape[2...]) : [group, w.shape[1], w.shape[0] / group] + Array(w.shape[2...])
        let srcTag: dnnl_format_tag_t = group == 1 ? [dnnl_bac, dnnl_bacd, dnnl_bacde][sp - 1] : [dnnl_acbd, dnnl_acbde, dnnl_acbdef][sp - 1]
        let wSource = try DNNL.md(wShape, srcTag)
        let descriptor = { (srcMD: dnnl_memory_desc_t) throws -> dnnl_deconvolution_desc_t in
            var src = srcMD, wmd = try DNNL.any(wShape), dst = try DNNL.any(out)
            var bmd = try bias.map { try DNNL.plain([$0.count]) } ?? dnnl_memory_desc_t()
            var d = dnnl_deconvolution_desc_t()
            let status = withUnsafePointer(to: &bmd) { bp in
                dnnl_dilated_deconvolution_forward_desc_init(&d, dnnl_forward_inference, dnnl_deconvolution_direct, &src, &wmd, bias == nil ? nil : bp, &dst,
                                                             win.strides.map { dnnl_dim_t($0) }, win.dilations.map { dnnl_dim_t($0 - 1) },
                                                             win.padsBegin.map { dnnl_dim_t($0) }, padR.map { dnnl_dim_t($0) })
            }
            try DNNL.check(status, "deconvolution descriptor")
            return d
        }
        return try finishConvLike(node, index: index, descriptor: descriptor, weights: w, weightsShape: wShape, weightsSource: wSource, bias: bias, temps: &temps)
    }

    /// Creates the primitive descriptor, preferring (1) the input's current blocked layout, so no
    /// reorder is needed, unless oneDNN then only offers a reference implementation, else (2) the
    /// layout oneDNN picks; with the activation post-op when the implementation accepts it.
    func finishConvLike<D>(_ node: Node, index: Int, descriptor: (dnnl_memory_desc_t) throws -> D, weights: Tensor, weightsShape: [Int], weightsSource: dnnl_memory_desc_t?, bias: Tensor?, temps: inout [Int]) throws -> Bool {
        let out = node.outputs[0]
        // Prefer oneDNN's channel-blocked layout (nCdhw16c / nChw16c) throughout: convolutions,
        // normalisation, pooling and concat then all run on one layout with no reorders between
        // them (measured slightly faster than the brgemm channels-last kernels oneDNN 2.6 picks
        // for `any`, and it keeps concat on oneDNN's fast path). `any` is the fallback.
        let xShape = shape(node.inputs[0])
        var candidates = [try DNNL.any(xShape)]
        if (3...5).contains(xShape.count) {
            candidates.insert(try DNNL.md(xShape, [dnnl_aBc16b, dnnl_aBcd16b, dnnl_aBcde16b][xShape.count - 3]), at: 0)
        }
        if try finishWithResidualSum(node, index: index, candidates: candidates, descriptor: descriptor, weights: weights, weightsShape: weightsShape,
                                     weightsSource: weightsSource, bias: bias, temps: &temps) { return true }
        var act = fusableActivation(after: out)
        var chosen: (pd: dnnl_primitive_desc_t, fused: Bool)? = nil
        for (i, srcMD) in candidates.enumerated() {
            let desc = try descriptor(srcMD)
            var p: dnnl_primitive_desc_t? = nil
            if let attr = try postOpsAttr(act) { p = DNNL.primitiveDesc(desc, attr: attr); dnnl_primitive_attr_destroy(attr) }
            let fused = p != nil
            if p == nil { p = DNNL.primitiveDesc(desc) }
            guard let q = p else { continue }
            if i < candidates.count - 1 && DNNL.implementation(q).hasPrefix("ref") { dnnl_primitive_desc_destroy(q); continue }
            chosen = (q, fused); break
        }
        guard let c = chosen else { return false }
        let pd = c.pd
        if !c.fused { act = nil }
        defer { dnnl_primitive_desc_destroy(pd) }
        let srcRef = try ensure(node.inputs[0], md: DNNL.query(pd, dnnl_query_src_md), temps: &temps)
        let wRef = try constantRef(weights, md: DNNL.query(pd, dnnl_query_weights_md), logicalShape: weightsShape, sourceMD: weightsSource)
        let dstMD = DNNL.query(pd, dnnl_query_dst_md)
        let dstRef = try placedValue(out, md: dstMD) ?? newValue(out, md: dstMD, shape: shape(out))
        var args: [(Int32, Int)] = [(DNNL_ARG_SRC, srcRef), (DNNL_ARG_WEIGHTS, wRef), (DNNL_ARG_DST, dstRef)]
        if let b = bias { args.append((DNNL_ARG_BIAS, try constantRef(b, md: DNNL.plain([b.count])))) }
        steps.append(.primitive(try DNNL.primitive(pd), args, label: node.opType + (act != nil ? "+act" : "")))
        if let a = act { fusedInto[a.index] = out }
        return true
    }

    /// Residual fusion: when the convolution's only reader is `Add(out, other)`, `other` is not read
    /// between the two, dies at the Add, owns its buffer and is in the convolution's output layout,
    /// the convolution accumulates into `other`'s buffer (sum post-op), with the Add's following
    /// activation fused after it. Returns false (nothing emitted) when any condition fails.
    func finishWithResidualSum<D>(_ node: Node, index: Int, candidates: [dnnl_memory_desc_t], descriptor: (dnnl_memory_desc_t) throws -> D, weights: Tensor,
                                  weightsShape: [Int], weightsSource: dnnl_memory_desc_t?, bias: Tensor?, temps: inout [Int]) throws -> Bool {
        let out = node.outputs[0]
        guard let c = consumers[out], c.count == 1, !plan.outputNames.contains(out) else { return false }
        let addIndex = c[0], add = plan.steps[addIndex]
        guard add.opType == "Add", add.inputs.count == 2, add.inputs[0] != add.inputs[1], node.inputs[0] != add.inputs.first(where: { $0 != out }),
              let other = add.inputs.first(where: { $0 != out }), let lo = locs[other], lo.shape == shape(out), lo.type == .float32,
              canOverwrite(other, at: addIndex), (consumers[other] ?? []).allSatisfy({ $0 < index || $0 == addIndex }) else { return false }
        let otherMD = refs[lo.ref].md
        let act = fusableActivation(after: add.outputs[0])
        for srcMD in candidates {
            let desc = try descriptor(srcMD)
            guard let attr = try postOpsAttr(act, sum: true) else { return false }
            let p = DNNL.primitiveDesc(desc, attr: attr)
            dnnl_primitive_attr_destroy(attr)
            guard let pd = p else { continue }
            defer { dnnl_primitive_desc_destroy(pd) }
            guard !DNNL.implementation(pd).hasPrefix("ref"), DNNL.equal(DNNL.query(pd, dnnl_query_dst_md), otherMD) else { continue }
            let srcRef = try ensure(node.inputs[0], md: DNNL.query(pd, dnnl_query_src_md), temps: &temps)
            let wRef = try constantRef(weights, md: DNNL.query(pd, dnnl_query_weights_md), logicalShape: weightsShape, sourceMD: weightsSource)
            retain(lo.ref)
            locs[out] = Loc(ref: lo.ref, shape: lo.shape, type: .float32)
            var args: [(Int32, Int)] = [(DNNL_ARG_SRC, srcRef), (DNNL_ARG_WEIGHTS, wRef), (DNNL_ARG_DST, lo.ref)]
            if let b = bias { args.append((DNNL_ARG_BIAS, try constantRef(b, md: DNNL.plain([b.count])))) }
            steps.append(.primitive(try DNNL.primitive(pd), args, label: node.opType + "+sum" + (act != nil ? "+act" : "")))
            fusedInto[addIndex] = out
            if let a = act { fusedInto[a.index] = add.outputs[0] }
            return true
        }
        return false
    }

    // MARK: normalisation

    /// InstanceNormalization as oneDNN batch normalisation over one sample at a time (statistics
    /// per channel over the spatial dims are exactly instance statistics when N = 1), in the
    /// producer's layout. BatchNormalization uses the given statistics over the whole batch.
    func compileNorm(_ node: Node, index: Int, temps: inout [Int]) throws -> Bool {
        let name = node.inputs[0], out = node.outputs[0]
        guard let l = locs[name], l.shape.count >= 3 else { return false }
        let isInstance = node.opType == "InstanceNormalization"
        guard let scale = constant(node, 1), let shift = constant(node, 2) else { return false }
        let n = l.shape[0], c = l.shape[1]
        let md = refs[l.ref].md
        var sample = md
        if isInstance && n > 1 {
            guard md.format_kind == dnnl_blocked else { return false }
            sample.dims.0 = 1; sample.padded_dims.0 = 1
            guard DNNL.size(sample) * n == DNNL.size(md), Int(md.format_desc.blocking.strides.0) * 4 == DNNL.size(sample) else { return false }
        }
        let eps = try node.float("epsilon", 1e-5)
        if isInstance, (3...5).contains(l.shape.count), DNNL.equal(md, try DNNL.md(l.shape, [dnnl_aBc16b, dnnl_aBcd16b, dnnl_aBcde16b][l.shape.count - 3])) {
            return try compileBlockedInstanceNorm(node, index: index, loc: l, scale: scale, shift: shift, epsilon: eps)
        }
        var flags = dnnl_use_scale.rawValue | dnnl_use_shift.rawValue
        var mean: Tensor? = nil, variance: Tensor? = nil
        if !isInstance {
            guard try node.int("training_mode", 0) == 0, let m = constant(node, 3), let v = constant(node, 4) else { return false }
            mean = m; variance = v; flags |= dnnl_use_global_stats.rawValue
        }
        var d = dnnl_batch_normalization_desc_t()
        var descMD = isInstance ? sample : md
        try DNNL.check(dnnl_batch_normalization_forward_desc_init(&d, dnnl_forward_inference, &descMD, eps, UInt32(flags)), "normalization descriptor")
        var act = fusableActivation(after: out)
        var pd: dnnl_primitive_desc_t? = nil
        if let attr = try postOpsAttr(act) { pd = DNNL.primitiveDesc(d, attr: attr); dnnl_primitive_attr_destroy(attr) }
        if pd == nil { act = nil; pd = DNNL.primitiveDesc(d) }
        guard let pd else { return false }
        defer { dnnl_primitive_desc_destroy(pd) }
        let dstRef: Int
        if canOverwrite(name, at: index) && act == nil {
            retain(l.ref); locs[out] = Loc(ref: l.ref, shape: l.shape, type: .float32); dstRef = l.ref
        } else {
            dstRef = try newValue(out, md: md, shape: l.shape)
        }
        let cmd = try DNNL.plain([c])
        var extra: [(Int32, Int)] = [(DNNL_ARG_SCALE, try constantRef(scale, md: cmd)), (DNNL_ARG_SHIFT, try constantRef(shift, md: cmd))]
        if let m = mean, let v = variance {
            extra += [(DNNL_ARG_MEAN, try constantRef(m, md: cmd)), (DNNL_ARG_VARIANCE, try constantRef(v, md: cmd))]
        } else {
            // Inference without global statistics: oneDNN still wants buffers for the computed ones.
            for arg in [DNNL_ARG_MEAN, DNNL_ARG_VARIANCE] {
                let q = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg)!.pointee
                if DNNL.size(q) > 0 { extra.append((arg, pinnedRef(q, bytes: DNNL.size(q)) { _ in })) }
            }
        }
        let prim = try DNNL.primitive(pd)
        let label = node.opType + (act != nil ? "+act" : "")
        if isInstance && n > 1 {
            let bytes = DNNL.size(sample)
            for s in 0..<n {
                let srcS = addRef(sample, buffer: refs[l.ref].buffer, offset: refs[l.ref].offset + s * bytes)
                let dstS = addRef(sample, buffer: refs[dstRef].buffer, offset: refs[dstRef].offset + s * bytes)
                steps.append(.primitive(prim, [(DNNL_ARG_SRC, srcS), (DNNL_ARG_DST, dstS)] + extra, label: label))
            }
        } else {
            steps.append(.primitive(prim, [(DNNL_ARG_SRC, l.ref), (DNNL_ARG_DST, dstRef)] + extra, label: label))
        }
        if let a = act { fusedInto[a.index] = out }
        return true
    }

    /// InstanceNormalization on the channel-blocked layout with the engine's own kernel, with a
    /// following ReLU/LeakyReLU fused.
    func compileBlockedInstanceNorm(_ node: Node, index: Int, loc l: Loc, scale: Tensor, shift: Tensor, epsilon: Float) throws -> Bool {
        let out = node.outputs[0]
        var slope: Float? = nil
        var act = fusableActivation(after: out)
        if let a = act, a.alg == dnnl_eltwise_relu { slope = a.alpha } else { act = nil }
        let c = l.shape[1]
        guard scale.count == c, shift.count == c else { throw node.invalid("scale/bias must have \(c) values") }
        let kernel = BlockedInstanceNorm(samples: l.shape[0], channelBlocks: (c + 15) / 16, spatial: Tensor.elementCount(Array(l.shape[2...])),
                                         channels: c, epsilon: Double(epsilon), scale: scale.floatValues, bias: shift.floatValues,
                                         slope: slope, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let dstRef: Int
        if canOverwrite(node.inputs[0], at: index) {
            retain(l.ref); locs[out] = Loc(ref: l.ref, shape: l.shape, type: .float32); dstRef = l.ref
        } else {
            dstRef = try newValue(out, md: refs[l.ref].md, shape: l.shape)
        }
        steps.append(.instanceNorm(kernel, src: l.ref, dst: dstRef, label: "InstanceNormalization" + (act != nil ? "+act" : "")))
        if let a = act { fusedInto[a.index] = out }
        return true
    }
}
