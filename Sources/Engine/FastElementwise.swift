import Foundation
import CDNNL

/// Fast-backend element-wise operators: unary eltwise, broadcasting binary operators, Softmax
/// and LogSoftmax.
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
        let constant = plan.values[b]?.constant
        guard constant != nil || padded == outShape || padded == bShape else { return false }
        // The broadcast operand's layout: src0's own where shapes are equal; otherwise plain, or the
        // channel-blocked layout when src0 is blocked and oneDNN has a jit kernel only for that pair
        // (AVX2: a squeeze-excitation scale 1xCx1x1 against nChw8c runs `ref:any` when plain).
        var candidates = [padded == outShape ? md0 : try DNNL.plain(padded)]
        // Only where the channel axis is not broadcast: a 1-channel operand in blocks (an attention
        // gate's 1xHxW map) gave wrong sums in oneDNN 2.6's jit binary (MONAI AttentionUnet fixture).
        if padded != outShape, padded.count > 1, padded[1] == outShape[1], DNNL.isBlocked(md0), let blocked = try DNNL.blocked(padded), blocked.ndims == md0.ndims {
            candidates.insert(blocked, at: 0)
        }
        var md1 = candidates[candidates.count - 1], dmd = md0
        var chosen: dnnl_primitive_desc_t?
        for var candidate in candidates {
            var d = dnnl_binary_desc_t(), out = md0
            try DNNL.check(dnnl_binary_desc_init(&d, algs[node.opType]!, &md0, &candidate, &out), "binary descriptor")
            guard let pd = DNNL.primitiveDesc(d) else { continue }
            if DNNL.implementation(pd).hasPrefix("ref"), candidate.format_desc.blocking.inner_nblks > 0, candidates.count > 1 {
                dnnl_primitive_desc_destroy(pd); continue
            }
            chosen = pd; md1 = candidate; dmd = out; break
        }
        guard let pd = chosen else { return false }
        defer { dnnl_primitive_desc_destroy(pd) }
        let ref1 = try constant.map { try constantRef($0, md: md1, logicalShape: padded) } ?? ensure(b, md: md1, temps: &temps)
        // Our own loop on plain layouts where oneDNN has only its reference binary (a broadcast
        // pattern its JIT lacks), or where its JIT broadcasts one value per row of one element
        // ([9207, 1] / [1, 1] in a detector's box decoding: 0.1 ms against 4 us without broadcast).
        let degenerate = padded != outShape && (Tensor.elementCount(padded) == 1 || outShape.last == 1)
        let own = (DNNL.implementation(pd).hasPrefix("ref") || degenerate) && DNNL.isPlain(md0, shape: outShape) && DNNL.isPlain(md1, shape: padded)
            ? BroadcastBinary(op: node.opType, out: outShape, src1: padded, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
            : nil
        let dst: Int
        if canOverwrite(a, at: index) && a != b {
            retain(la.ref); locs[out] = Loc(ref: la.ref, shape: outShape, type: .float32); dst = la.ref
        } else {
            dst = try newValue(out, md: dmd, shape: outShape)
        }
        if let own {
            steps.append(.kernel(own, [la.ref, ref1, dst], label: node.opType + " (broadcast)"))
        } else {
            // "(oneDNN ref)" in the label: a profile names oneDNN's slow generic kernel where it runs.
            let label = node.opType + (DNNL.implementation(pd).hasPrefix("ref") ? " (oneDNN ref)" : "")
            steps.append(.primitive(try DNNL.primitive(pd), [(DNNL_ARG_SRC_0, la.ref), (DNNL_ARG_SRC_1, ref1), (DNNL_ARG_DST, dst)], label: label))
        }
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
}
