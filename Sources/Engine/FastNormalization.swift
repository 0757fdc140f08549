import CDNNL
import Foundation
import Logging

/// Fast-backend InstanceNormalization, BatchNormalization (oneDNN batch normalisation, or the
/// engine's blocked kernel) and LayerNormalization (oneDNN layer normalisation).
extension FastExecutor {
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
        if isInstance, let blocked = try DNNL.blocked(l.shape), DNNL.equal(md, blocked) {
            return try compileBlockedInstanceNorm(node, index: index, loc: l, scale: scale, shift: shift, epsilon: eps)
        }
        var flags = dnnl_use_scale.rawValue | dnnl_use_shift.rawValue
        var mean: Tensor? = nil, variance: Tensor? = nil
        let statistics = isInstance ? instanceStatistics(md, shape: l.shape) : nil
        if statistics != nil { flags |= dnnl_use_global_stats.rawValue }
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
        var perSample: [[(Int32, Int)]] = Array(repeating: [], count: isInstance ? n : 1)
        if let m = mean, let v = variance {
            extra += [(DNNL_ARG_MEAN, try constantRef(m, md: cmd)), (DNNL_ARG_VARIANCE, try constantRef(v, md: cmd))]
        } else if let statistics {
            // The engine's statistics of every sample, computed just before; each sample's step reads its own row.
            let bytes = n * c * 4
            let means = pinnedRef(try DNNL.plain([n * c]), bytes: bytes) { _ in }, variances = pinnedRef(try DNNL.plain([n * c]), bytes: bytes) { _ in }
            steps.append(.kernel(statistics, [l.ref, means, variances], label: "InstanceNormalization statistics"))
            for s in 0..<perSample.count {
                perSample[s] = [(DNNL_ARG_MEAN, addRef(cmd, buffer: refs[means].buffer, offset: s * c * 4)),
                                (DNNL_ARG_VARIANCE, addRef(cmd, buffer: refs[variances].buffer, offset: s * c * 4))]
            }
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
                steps.append(.primitive(prim, [(DNNL_ARG_SRC, srcS), (DNNL_ARG_DST, dstS)] + extra + perSample[s], label: label))
            }
        } else {
            steps.append(.primitive(prim, [(DNNL_ARG_SRC, l.ref), (DNNL_ARG_DST, dstRef)] + extra + perSample[0], label: label))
        }
        if let a = act { fusedInto[a.index] = out }
        return true
    }

    /// The engine's statistics kernel for an InstanceNormalization input in plain or channels-last
    /// layout (see `InstanceStatistics` for why oneDNN's are not used); nil for other layouts.
    func instanceStatistics(_ md: dnnl_memory_desc_t, shape: [Int]) -> InstanceStatistics? {
        guard (3...5).contains(shape.count) else { return nil }
        let plain: [dnnl_format_tag_t] = [dnnl_abc, dnnl_abcd, dnnl_abcde], last: [dnnl_format_tag_t] = [dnnl_acb, dnnl_acdb, dnnl_acdeb]
        let rank = shape.count - 3
        let channelsLast: Bool
        if let p = try? DNNL.md(shape, plain[rank]), DNNL.equal(p, md) { channelsLast = false }
        else if let q = try? DNNL.md(shape, last[rank]), DNNL.equal(q, md) { channelsLast = true }
        else { return nil }
        return InstanceStatistics(samples: shape[0], channels: shape[1], spatial: Tensor.elementCount(Array(shape[2...])),
                                  channelsLast: channelsLast, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
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
        let block = DNNL.channelBlock
        let kernel = BlockedInstanceNorm(samples: l.shape[0], block: block, channelBlocks: (c + block - 1) / block, spatial: Tensor.elementCount(Array(l.shape[2...])),
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

    /// LayerNormalization (Y only) as oneDNN layer normalisation over the trailing dims viewed as
    /// [rows, len]; scale and bias expanded to `len` values at compile time.
    func compileLayerNorm(_ node: Node, index: Int, temps: inout [Int]) throws -> Bool {
        guard node.outputs.dropFirst().allSatisfy({ $0.isEmpty }), let scale = constant(node, 1), let l = locs[node.inputs[0]] else { return false }
        let bias = constant(node, 2)
        if node.inputs.count > 2, !node.inputs[2].isEmpty, bias == nil { return false }
        let axis = try OpParams.axis(try node.int("axis", -1), rank: l.shape.count, node)
        let norm = Array(l.shape[axis...]), len = Tensor.elementCount(norm), rows = l.shape.count == 0 ? 1 : Tensor.elementCount(l.shape) / max(len, 1)
        let view = [rows, len]
        let src = try plainView(node.inputs[0], shape: view, temps: &temps)
        var md = try DNNL.plain(view)
        var d = dnnl_layer_normalization_desc_t()
        let flags = UInt32(dnnl_use_scale.rawValue | dnnl_use_shift.rawValue)
        try DNNL.check(dnnl_layer_normalization_forward_desc_init(&d, dnnl_forward_inference, &md, nil, try node.float("epsilon", 1e-5), flags), "layer normalisation descriptor")
        guard let pd = DNNL.primitiveDesc(d) else { return false }
        defer { dnnl_primitive_desc_destroy(pd) }
        let expand = { (t: Tensor) in RefTensorOps.expand(RefTensorOps.cast(t, to: .float32), outShape: norm).reshaped([len]) }
        let sRef = try constantRef(expand(scale), md: DNNL.plain([len]))
        let bRef = try constantRef(bias.map(expand) ?? Tensor(shape: [len], repeating: 0), md: DNNL.plain([len]))
        let dstPlain = try newValue(node.outputs[0], md: try DNNL.plain(l.shape), shape: l.shape)
        let dst = addRef(md, buffer: refs[dstPlain].buffer)
        steps.append(.primitive(try DNNL.primitive(pd), [(DNNL_ARG_SRC, src), (DNNL_ARG_DST, dst), (DNNL_ARG_SCALE, sRef), (DNNL_ARG_SHIFT, bRef)], label: "LayerNormalization"))
        return true
    }
}
