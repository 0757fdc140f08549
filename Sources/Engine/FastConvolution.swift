import CDNNL
import Foundation
import Logging

/// Fast-backend Conv and ConvTranspose: oneDNN (de)convolutions in the layout oneDNN picks for
/// this CPU (`ConvolutionLayout`), activations and residual Adds fused as post-ops.
extension FastExecutor {
    func compileConv(_ node: Node, index: Int, temps: inout [Int]) throws -> Bool {
        guard let w = constant(node, 1), locs[node.inputs[0]] != nil else { return false }
        let bias = constant(node, 2)
        if node.inputs.count > 2, !node.inputs[2].isEmpty, bias == nil { return false }
        if try compileWinogradConv(node, index: index, weights: w, bias: bias, temps: &temps) { return true }
        if try compilePhaseConv(node, index: index, weights: w, bias: bias, temps: &temps) { return true }
        let c = try Self.convDescriptor(node, x: shape(node.inputs[0]), out: shape(node.outputs[0]), weights: w, bias: bias)
        return try finishConvLike(node, index: index, descriptor: c.make, weights: w, weightsShape: c.weightsShape, weightsSource: nil, bias: bias, temps: &temps)
    }

    /// The oneDNN convolution descriptor of `node` for input shape `x` and output shape `out`, as a
    /// function of the source descriptor, and the weights' shape in oneDNN's logical order. Shared by
    /// the static plan and the dynamic tail (`FastTailPrimitive`), which calls it per run-time shape.
    static func convDescriptor(_ node: Node, x: [Int], out: [Int], weights w: Tensor, bias: Tensor?) throws
        -> (weightsShape: [Int], make: (dnnl_memory_desc_t) throws -> dnnl_convolution_desc_t) {
        let group = try node.int("group", 1)
        let win = try OpParams.window(node, inSpatial: Array(x[2...]), kernel: try node.ints("kernel_shape") ?? Array(w.shape[2...]))
        let wShape = group == 1 ? w.shape : [group, w.shape[0] / group] + Array(w.shape[1...])
        let make = { (srcMD: dnnl_memory_desc_t) throws -> dnnl_convolution_desc_t in
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
        return (wShape, make)
    }

    func compileDeconv(_ node: Node, index: Int, temps: inout [Int]) throws -> Bool {
        guard let w = constant(node, 1), locs[node.inputs[0]] != nil else { return false }
        let bias = constant(node, 2)
        if node.inputs.count > 2, !node.inputs[2].isEmpty, bias == nil { return false }
        guard let c = try Self.deconvDescriptor(node, x: shape(node.inputs[0]), out: shape(node.outputs[0]), weights: w, bias: bias) else { return false }
        return try finishConvLike(node, index: index, descriptor: c.make, weights: w, weightsShape: c.weightsShape, weightsSource: c.weightsSource, bias: bias,
                                  keepInputLayout: true, temps: &temps)
    }

    /// The oneDNN deconvolution descriptor of a ConvTranspose for input shape `x` and output shape
    /// `out` (nil when oneDNN cannot express its output padding), with the weights' logical shape and
    /// their ONNX layout as a descriptor. Shared by the static plan and the dynamic tail.
    static func deconvDescriptor(_ node: Node, x: [Int], out: [Int], weights w: Tensor, bias: Tensor?) throws
        -> (weightsShape: [Int], weightsSource: dnnl_memory_desc_t, make: (dnnl_memory_desc_t) throws -> dnnl_deconvolution_desc_t)? {
        let group = try node.int("group", 1)
        let (win, outPad) = try OpParams.transposeWindow(node, inSpatial: Array(x[2...]), kernel: try node.ints("kernel_shape") ?? Array(w.shape[2...]))
        let padR = zip(win.padsEnd, outPad).map { $0 - $1 }
        guard padR.allSatisfy({ $0 >= 0 }) else { return nil }
        let sp = x.count - 2
        // ONNX weights are [Cin, Cout/g, k...]; oneDNN's logical order is [(g,) Cout/g, Cin/g, k...].
        let wShape = group == 1 ? [w.shape[1], w.shape[0]] + Array(w.shape[2...]) : [group, w.shape[1], w.shape[0] / group] + Array(w.shape[2...])
        let srcTag: dnnl_format_tag_t = group == 1 ? [dnnl_bac, dnnl_bacd, dnnl_bacde][sp - 1] : [dnnl_acbd, dnnl_acbde, dnnl_acbdef][sp - 1]
        let wSource = try DNNL.md(wShape, srcTag)
        let make = { (srcMD: dnnl_memory_desc_t) throws -> dnnl_deconvolution_desc_t in
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
        return (wShape, wSource, make)
    }

    /// Creates the primitive descriptor, preferring (1) the input's current blocked layout, so no
    /// reorder is needed, unless oneDNN then only offers a reference implementation, else (2) the
    /// layout oneDNN picks; with the activation post-op when the implementation accepts it.
    /// - Parameter keepInputLayout: with `.onednn`, first try the input's current layout (transposed
    ///   convolutions: oneDNN 2.6 would pick nCdhw16c for them and force reorders around the
    ///   channels-last convolutions).
    func finishConvLike<D>(_ node: Node, index: Int, descriptor: (dnnl_memory_desc_t) throws -> D, weights: Tensor, weightsShape: [Int], weightsSource: dnnl_memory_desc_t?, bias: Tensor?,
                           keepInputLayout: Bool = false, temps: inout [Int]) throws -> Bool {
        let out = node.outputs[0]
        // `.onednn`: the source as oneDNN chooses it for this CPU and shape (format `any`; on an
        // AVX-512 Xeon brgconv on channels-last, 1.5x the blocked jit kernel on a 32->32 3x3x3 conv at
        // 128^3), then the channel-blocked layout if `any` only offers a reference implementation.
        // `.blocked`: nCdhw16c / nChw16c first (nCdhw8c with AVX2: `DNNL.channelBlock`;
        // normalisation, pooling and concat then share one layout), `any` as the fallback.
        let xShape = shape(node.inputs[0])
        var candidates = [try DNNL.any(xShape)]
        if let blocked = try DNNL.blocked(xShape) {
            if layout == .blocked { candidates.insert(blocked, at: 0) } else { candidates.append(blocked) }
            let current = refs[locs[node.inputs[0]]!.ref].md
            if layout == .onednn, keepInputLayout, current.format_kind == dnnl_blocked, !DNNL.isPlain(current, shape: xShape) {
                candidates.insert(current, at: 0)
            }
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
        logChoice(node, pd)
        if let a = act { fusedInto[a.index] = out }
        return true
    }

    /// Logs (debug) the implementation oneDNN picked for `node` and its source/destination layouts:
    /// the project's view of what ONEDNN_VERBOSE prints (oneDNN 2.6 writes that to stdout itself).
    func logChoice(_ node: Node, _ pd: dnnl_primitive_desc_t) {
        log.debug("oneDNN primitive", metadata: ["node": "\(node.name)", "op": "\(node.opType)", "implementation": "\(DNNL.implementation(pd))",
                                                 "src": "\(DNNL.layoutName(DNNL.query(pd, dnnl_query_src_md)))",
                                                 "dst": "\(DNNL.layoutName(DNNL.query(pd, dnnl_query_dst_md)))"])
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
            logChoice(node, pd)
            fusedInto[addIndex] = out
            if let a = act { fusedInto[a.index] = add.outputs[0] }
            return true
        }
        return false
    }
}
