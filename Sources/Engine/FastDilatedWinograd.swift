import CDNNL
import Foundation

/// Winograd convolution (oneDNN's `jit_wino_4x3`, F(4x4, 3x3): 36 instead of 144 multiplications
/// per 4x4 output tile) for 3x3 stride-1 convolutions, dilated ones included through space-to-batch.
///
/// oneDNN 2.6 offers Winograd only for non-dilated 3x3 convolutions. A 3x3 convolution with
/// dilation d (stride 1, padding d) on an H x W map, H and W multiples of d, equals d*d independent
/// non-dilated 3x3 convolutions (padding 1) on the phase sub-images x[a::d, b::d] (the "atrous"
/// trick): they become the batch of one Winograd convolution. The two rearrangements are oneDNN
/// reorders between 6-D views (a, b, n, C, i, j) of the same buffers (`spaceToBatchView`), so
/// they also convert between the surrounding channels-last layout and Winograd's nChw16c.
///
/// Rule (measured in BENCHMARKS.md, "Issue 16: Winograd for dilated convolutions"): group 1,
/// 3x3, stride 1, equal dilation d >= 1 with padding d on every side, H and W multiples of d with
/// sub-images of at least `winogradMinSide` pixels a side, at least `winogradMinChannels` input
/// and output channels, not feeding a lone Add (that one keeps
/// the direct convolution's residual-sum fusion), and oneDNN offering `wino_4x3` for the shape.
/// DeepLabV3 ResNet-50's ASPP (dilation 12/24/36 on 64x64: 5-6 pixel sub-images, most taps in the
/// padding, which the direct kernel skips) stays direct. Off: `InferenceSession(winograd: false)`,
/// `segstation model bench --no-winograd`.
extension FastExecutor {
    /// Smallest sub-image side (H/d and W/d) that runs as Winograd: at 16x16 (dilation 4 on 64x64)
    /// it measured about 2x faster than brgconv, at 5-6 (dilation 12) no faster.
    static let winogradMinSide = 16
    /// Fewest input and output channels that run as Winograd: the narrowest convolution measured
    /// faster (DeepLabV3 ResNet-50's 64 -> 64 at 128x128); narrower ones are left direct, unmeasured.
    static let winogradMinChannels = 64

    /// Whether oneDNN offers `wino_4x3` on this CPU, probed once on a 64 -> 64 3x3 convolution at
    /// 16x16 (the smallest shape the rule admits). oneDNN 2.6 implements it for AVX-512 only: on an
    /// AVX2 CPU (AMD Zen 3, for one) this is false and every 3x3 convolution runs direct, which
    /// `compileWinogradConv` does by itself (it asks per shape); tests use this to know which to expect.
    static let winogradAvailable: Bool = {
        guard let chosen = try? winogradPD([1, 64, 16, 16], [1, 64, 16, 16], weights: [64, 64, 3, 3], bias: nil, act: nil) else { return false }
        dnnl_primitive_desc_destroy(chosen.pd)
        return true
    }()

    /// The dilation with which `node` runs as a space-to-batch Winograd convolution, or nil when the
    /// rule above says direct. `x` and `out` are the input and output shapes.
    static func winogradDilation(_ node: Node, x: [Int], out: [Int], weights w: Tensor) throws -> Int? {
        guard let d = try phaseDilation(node, x: x, out: out, weights: w),
              x[2] % d == 0, x[3] % d == 0, min(x[2], x[3]) / d >= winogradMinSide,
              x[1] >= winogradMinChannels, out[1] >= winogradMinChannels else { return nil }
        return d
    }

    /// The dilation d (>= 1) of a rank-4, group-1, 3x3, stride-1 convolution with equal dilation,
    /// padding d on every side and an output the input's size: the shape for which the phase
    /// sub-images x[a::d, b::d] are independent non-dilated convolutions (padding 1). Nil otherwise.
    static func phaseDilation(_ node: Node, x: [Int], out: [Int], weights w: Tensor) throws -> Int? {
        guard x.count == 4, out.count == 4, w.shape.count == 4, w.shape[2] == 3, w.shape[3] == 3, try node.int("group", 1) == 1 else { return nil }
        let win = try OpParams.window(node, inSpatial: Array(x[2...]), kernel: [3, 3])
        let d = win.dilations[0]
        guard win.strides == [1, 1], win.dilations == [d, d], win.padsBegin == [d, d], win.padsEnd == [d, d], Array(out[2...]) == Array(x[2...]) else { return nil }
        return d
    }

    /// Whether `out`'s only reader is an Add: the direct convolution then keeps its residual-sum fusion.
    func feedsLoneAdd(_ out: String) -> Bool {
        guard let c = consumers[out], c.count == 1 else { return false }
        return plan.steps[c[0]].opType == "Add"
    }

    /// Emits `node` as reorder (space-to-batch) + Winograd convolution with its activation fused +
    /// reorder (batch-to-space) when the rule holds; false (nothing emitted) otherwise.
    func compileWinogradConv(_ node: Node, index: Int, weights w: Tensor, bias: Tensor?, temps: inout [Int]) throws -> Bool {
        let xShape = shape(node.inputs[0]), out = node.outputs[0], yShape = shape(out)
        guard winograd, let d = try Self.winogradDilation(node, x: xShape, out: yShape, weights: w) else { return false }
        if feedsLoneAdd(out) { return false }
        let batch = [xShape[0] * d * d, xShape[1], xShape[2] / d, xShape[3] / d]
        let batchOut = [batch[0], yShape[1], batch[2], batch[3]]
        var act = fusableActivation(after: out)
        guard let chosen = try Self.winogradPD(batch, batchOut, weights: w.shape, bias: bias, act: act) else { return false }
        let pd = chosen.pd
        defer { dnnl_primitive_desc_destroy(pd) }
        if !chosen.fused { act = nil }
        // The output in the layout the direct convolution would have produced, so consumers are unchanged.
        guard let yMD = try directDestination(node, x: xShape, out: yShape, weights: w, bias: bias) else { return false }
        let srcMD = DNNL.query(pd, dnnl_query_src_md), dstMD = DNNL.query(pd, dnnl_query_dst_md)
        let x = refs[locs[node.inputs[0]]!.ref]
        // Views and reorders first: a layout oneDNN cannot view or reorder falls back before anything is emitted.
        guard let xView = try? Self.spaceToBatchView(full: x.md, d: d), let srcView = try? Self.spaceToBatchView(batch: srcMD, d: d, n: xShape[0]),
              let yView = try? Self.spaceToBatchView(full: yMD, d: d), let dstView = try? Self.spaceToBatchView(batch: dstMD, d: d, n: xShape[0]),
              let toBatch = try? DNNL.reorder(from: xView, to: srcView) else { return false }
        guard let toSpace = try? DNNL.reorder(from: dstView, to: yView) else { dnnl_primitive_destroy(toBatch); return false }
        let srcRef = addRef(srcMD, buffer: newBuffer(DNNL.size(srcMD))), dstRef = addRef(dstMD, buffer: newBuffer(DNNL.size(dstMD)))
        temps += [srcRef, dstRef]
        let wRef = try constantRef(w, md: DNNL.query(pd, dnnl_query_weights_md), logicalShape: w.shape)
        let yRef = try placedValue(out, md: yMD) ?? newValue(out, md: yMD, shape: yShape)
        let xv = addRef(xView, buffer: x.buffer, offset: x.offset), sv = addRef(srcView, buffer: refs[srcRef].buffer)
        let dv = addRef(dstView, buffer: refs[dstRef].buffer), yv = addRef(yView, buffer: refs[yRef].buffer, offset: refs[yRef].offset)
        steps.append(.primitive(toBatch, [(DNNL_ARG_FROM, xv), (DNNL_ARG_TO, sv)], label: "Reorder (space-to-batch)"))
        var args: [(Int32, Int)] = [(DNNL_ARG_SRC, srcRef), (DNNL_ARG_WEIGHTS, wRef), (DNNL_ARG_DST, dstRef)]
        if let b = bias { args.append((DNNL_ARG_BIAS, try constantRef(b, md: DNNL.plain([b.count])))) }
        steps.append(.primitive(try DNNL.primitive(pd), args, label: "Conv (winograd)" + (act != nil ? "+act" : "")))
        steps.append(.primitive(toSpace, [(DNNL_ARG_FROM, dv), (DNNL_ARG_TO, yv)], label: "Reorder (batch-to-space)"))
        logChoice(node, pd)
        if let a = act { fusedInto[a.index] = out }
        return true
    }

    /// oneDNN's `wino_4x3` primitive descriptor for a 3x3, stride-1, padding-1 convolution from
    /// `src` to `dst` (logical shapes), with the activation post-op when it accepts it (`fused`);
    /// nil when oneDNN offers only other implementations (e.g. `wino_2x3`, slower here).
    static func winogradPD(_ src: [Int], _ dst: [Int], weights: [Int], bias: Tensor?,
                           act: (index: Int, alg: dnnl_alg_kind_t, alpha: Float, beta: Float)?) throws -> (pd: dnnl_primitive_desc_t, fused: Bool)? {
        var s = try DNNL.any(src), wmd = try DNNL.any(weights), o = try DNNL.any(dst)
        var bmd = try bias.map { try DNNL.plain([$0.count]) } ?? dnnl_memory_desc_t()
        var desc = dnnl_convolution_desc_t()
        let status = withUnsafePointer(to: &bmd) { bp in
            dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_winograd, &s, &wmd, bias == nil ? nil : bp, &o,
                                                       [1, 1], [0, 0], [1, 1], [1, 1])
        }
        guard status == dnnl_success else { return nil }
        for withAct in act == nil ? [false] : [true, false] {
            let attr = withAct ? try postOps(act.map { ($0.alg, $0.alpha, $0.beta) }) : nil
            defer { if let a = attr { dnnl_primitive_attr_destroy(a) } }
            if let pd = DNNL.firstImplementation(desc, attr: attr, containing: "wino_4x3") { return (pd, withAct) }
        }
        return nil
    }

    /// The destination descriptor the direct convolution of `node` would use (channel-blocked with the
    /// blocked layout option), nil when oneDNN has no implementation for it.
    func directDestination(_ node: Node, x: [Int], out: [Int], weights w: Tensor, bias: Tensor?) throws -> dnnl_memory_desc_t? {
        if layout == .blocked, let blocked = try DNNL.blocked(out) { return blocked }
        let c = try Self.convDescriptor(node, x: x, out: out, weights: w, bias: bias)
        guard let pd = DNNL.primitiveDesc(try c.make(DNNL.any(x))) else { return nil }
        defer { dnnl_primitive_desc_destroy(pd) }
        return DNNL.query(pd, dnnl_query_dst_md)
    }

    /// A full map's descriptor (n, C, H, W) seen as the 6-D (a, b, n, C, i, j) with
    /// element [a, b, n, c, i, j] = x[n, c, i*d + a, j*d + b].
    static func spaceToBatchView(full md: dnnl_memory_desc_t, d: Int) throws -> dnnl_memory_desc_t {
        let n = Int(md.dims.0), c = Int(md.dims.1), h = Int(md.dims.2), w = Int(md.dims.3)
        let split = try DNNL.reshape(md, [n, c, h / d, d, w / d, d])
        // split axes (n, C, i, a, j, b) go to positions (2, 3, 4, 0, 5, 1).
        return try DNNL.permuteAxes(split, [2, 3, 4, 0, 5, 1])
    }

    /// The sub-images' batch descriptor (d*d*n, C, H/d, W/d), batch index (a*d + b)*n + n', seen as
    /// the same 6-D (a, b, n, C, i, j).
    static func spaceToBatchView(batch md: dnnl_memory_desc_t, d: Int, n: Int) throws -> dnnl_memory_desc_t {
        try DNNL.reshape(md, [d, d, n, Int(md.dims.1), Int(md.dims.2), Int(md.dims.3)])
    }
}

extension DNNL {
    /// `md` with new logical dims of the same element count (oneDNN splits or joins dimensions
    /// that are not blocked); throws when the layout does not allow it.
    static func reshape(_ md: dnnl_memory_desc_t, _ shape: [Int]) throws -> dnnl_memory_desc_t {
        var src = md, out = dnnl_memory_desc_t()
        try check(dnnl_memory_desc_reshape(&out, &src, Int32(shape.count), dims(shape)), "reshape of a memory descriptor to \(shape)")
        return out
    }

    /// `md` with its axes permuted: input axis i becomes output axis `permutation[i]`.
    static func permuteAxes(_ md: dnnl_memory_desc_t, _ permutation: [Int]) throws -> dnnl_memory_desc_t {
        var src = md, out = dnnl_memory_desc_t()
        try check(dnnl_memory_desc_permute_axes(&out, &src, permutation.map { Int32($0) }), "axis permutation of a memory descriptor")
        return out
    }

    /// The first implementation (in oneDNN's order) whose name contains `name`, or nil.
    static func firstImplementation<D>(_ desc: D, attr: dnnl_primitive_attr_t?, containing name: String) -> dnnl_primitive_desc_t? {
        var d = desc
        var iterator: dnnl_primitive_desc_iterator_t?
        let status = withUnsafePointer(to: &d) { dnnl_primitive_desc_iterator_create(&iterator, UnsafeRawPointer($0), attr, engine, nil) }
        guard status == dnnl_success, let it = iterator else { return nil }
        defer { dnnl_primitive_desc_iterator_destroy(it) }
        repeat {
            guard let pd = dnnl_primitive_desc_iterator_fetch(it) else { return nil }
            if implementation(pd).contains(name) { return pd }
            dnnl_primitive_desc_destroy(pd)
        } while dnnl_primitive_desc_iterator_next(it) == dnnl_success
        return nil
    }
}
