import CDNNL
import Foundation

/// Dilated 3x3 convolutions as one matrix product per tap over phase sub-images, for CPUs where
/// oneDNN has no direct kernel for the dilation and would run `gemm` (im2col over all nine taps,
/// the zero padding included).
///
/// A 3x3 convolution with dilation d (stride 1, padding d) reads, for output row y, rows y - d, y
/// and y + d: output rows y = a (mod d) only read input rows of the same phase a. So on each phase
/// (a, b), x[a::d, b::d], the convolution is a non-dilated 3x3 one with padding 1. An H-row map has
/// H mod d phases of ceil(H/d) rows and the rest of floor(H/d): at most two row classes and two
/// column classes, and each class pair is a batch of B equal (ni x nj) sub-images. A reorder lays
/// a pair's phases out as [i][j][batch][C]; then, per tap (dy, dx) and sub-image row i, the output
/// rows (i, j0..<j1, all batch) += input rows (i+dy, j0+dx..., all batch) x W[dy, dx] ([C x Cout]):
/// one `dnnl_sgemm` with M = (j1 - j0) * B, only for the positions where the tap reads the map. The
/// multiplications are exactly the taps that read data: DeepLabV3's ASPP (dilation 12 / 24 / 36 on
/// 64x64) does 0.77 / 0.56 / 0.39 of im2col's, and a map no wider than the dilation is a single
/// centre-tap product. (Non-dilated direct kernels on batches of 1-6 pixel sub-images measured 2-4x
/// slower per multiplication than sgemm, BENCHMARKS.md, issue 16 session 17.)
///
/// Rule: group 1, rank 4, 3x3, stride 1, equal dilation d >= 2 with padding d on every side, output
/// the size of the input, not feeding a lone Add (the direct convolution keeps its residual-sum
/// fusion), and oneDNN's direct choice for the shape a `gemm` implementation (on AVX2 for dilations
/// above 2; with AVX-512 oneDNN 2.6 has dilated direct kernels and Winograd is tried first). Bias and
/// a Relu / LeakyRelu run in the kernel; another activation stays a step of its own. A layout oneDNN
/// cannot view: nothing is emitted and the direct convolution runs. A class pair may run as Winograd
/// instead of the taps (FastPhaseWinograd.swift), and where oneDNN has no Winograd (AVX2) a plain or
/// dilation-2 convolution of at least 64 channels takes this path when every class pair is Winograd.
extension FastExecutor {
    /// One class of phases along one axis: phases `start ..< start + count`, each `size` long.
    struct PhaseClass: Equatable { let start: Int, count: Int, size: Int }

    /// The phase classes of an axis of `length` for dilation `d` (empty phases left out).
    static func phaseClasses(length: Int, d: Int) -> [PhaseClass] {
        let q = length / d, r = length % d
        var classes: [PhaseClass] = []
        if r > 0 { classes.append(PhaseClass(start: 0, count: r, size: q + 1)) }
        if q > 0 { classes.append(PhaseClass(start: r, count: d - r, size: q)) }
        return classes
    }

    /// One class pair of a phase convolution and its Winograd tile sizes (nil: the per-tap products);
    /// `keptWeights`: its transformed weights are made at compile time (`keptWinogradBudget`).
    struct PhasePair { let rows: PhaseClass, cols: PhaseClass, winograd: (mr: Int, mc: Int)?; var keptWeights = false }

    /// The dilation with which `node` runs on phase sub-images and its class pairs, or nil when the
    /// rule above says direct. Each pair's kernel is chosen here, once.
    func phaseConvPlan(_ node: Node, x: [Int], out: [Int], weights w: Tensor, bias: Tensor?) throws -> (d: Int, pairs: [PhasePair])? {
        guard let d = try Self.phaseDilation(node, x: x, out: out, weights: w), !feedsLoneAdd(node.outputs[0]) else { return nil }
        let threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
        var pairs: [PhasePair] = []
        var kept = keptWinogradBytes
        for r in Self.phaseClasses(length: x[2], d: d) {
            for k in Self.phaseClasses(length: x[3], d: d) {
                let batch = r.count * k.count * x[0]
                if winograd, let tiles = Self.phaseWinograd(rows: r.size, cols: k.size, batch: batch, channels: x[1], outChannels: out[1], threads: threadCount) {
                    pairs.append(PhasePair(rows: r, cols: k, winograd: tiles))
                } else if winograd, let tiles = Self.phaseWinograd(rows: r.size, cols: k.size, batch: batch, channels: x[1], outChannels: out[1],
                                                                   threads: threadCount, keptWeights: true),
                          case let bytes = Self.keptWeightBytes(tiles, channels: x[1], outChannels: out[1]), kept + bytes <= Self.keptWinogradBudget {
                    kept += bytes
                    pairs.append(PhasePair(rows: r, cols: k, winograd: tiles, keptWeights: true))
                } else {
                    pairs.append(PhasePair(rows: r, cols: k, winograd: nil))
                }
            }
        }
        if d >= 2, try Self.directImplementation(node, x: x, out: out, weights: w, bias: bias)?.contains("gemm") == true { return (d, pairs) }
        // Where oneDNN has no Winograd (AVX2), the engine's own, when every class pair takes it.
        guard winograd, !Self.winogradAvailable, x[1] >= Self.winogradMinChannels, out[1] >= Self.winogradMinChannels,
              pairs.allSatisfy({ $0.winograd != nil }) else { return nil }
        return (d, pairs)
    }

    /// Bytes of a class pair's transformed weights: (mr + 2)(mc + 2) matrices of C x Cout floats.
    static func keptWeightBytes(_ tiles: (mr: Int, mc: Int), channels c: Int, outChannels oc: Int) -> Int {
        (tiles.mr + 2) * (tiles.mc + 2) * c * oc * 4
    }

    /// The implementation oneDNN picks for `node` as a direct convolution in layouts of its choice
    /// ("jit:avx2", "gemm:jit", ...), nil when it has none.
    static func directImplementation(_ node: Node, x: [Int], out: [Int], weights w: Tensor, bias: Tensor?) throws -> String? {
        let c = try convDescriptor(node, x: x, out: out, weights: w, bias: bias)
        guard let pd = DNNL.primitiveDesc(try c.make(DNNL.any(x))) else { return nil }
        defer { dnnl_primitive_desc_destroy(pd) }
        return DNNL.implementation(pd)
    }

    /// Emits `node` as, per class pair, reorder (phases to [i][j][batch][C]) + `PhaseTapGemm` +
    /// reorder back into the output, when the rule holds; false (nothing emitted) otherwise.
    func compilePhaseConv(_ node: Node, index: Int, weights w: Tensor, bias: Tensor?, temps: inout [Int]) throws -> Bool {
        let xShape = shape(node.inputs[0]), out = node.outputs[0], yShape = shape(out)
        guard let (d, pairs) = try phaseConvPlan(node, x: xShape, out: yShape, weights: w, bias: bias) else { return false }
        let x = refs[locs[node.inputs[0]]!.ref]
        let (n, c, oc) = (xShape[0], xShape[1], yShape[1])
        // The output in the input's channel-blocked layout when it has one, else plain.
        let yMD = try DNNL.isBlocked(x.md) ? (DNNL.blocked(yShape) ?? DNNL.plain(yShape)) : DNNL.plain(yShape)
        guard !pairs.isEmpty, n > 0, c > 0, oc > 0 else { return false }  // no map (inputs with a 0 dimension are refused earlier)
        // Views and reorders first: a layout oneDNN cannot view or reorder falls back before anything is emitted.
        var plans: [(toBatch: dnnl_primitive_t, toSpace: dnnl_primitive_t, xView: dnnl_memory_desc_t, srcMD: dnnl_memory_desc_t,
                     yView: dnnl_memory_desc_t, dstMD: dnnl_memory_desc_t, kernelShape: PhaseTapGemm.Shape)] = []
        defer { if plans.count < pairs.count { for p in plans { dnnl_primitive_destroy(p.toBatch); dnnl_primitive_destroy(p.toSpace) } } }
        for p in pairs {
            let shape = PhaseTapGemm.Shape(batch: p.rows.count * p.cols.count * n, rows: p.rows.size, cols: p.cols.size)
            guard let xView = try? Self.phaseView(x.md, d: d, rows: p.rows, cols: p.cols), let yView = try? Self.phaseView(yMD, d: d, rows: p.rows, cols: p.cols),
                  let srcMD = try? Self.positionMajor(p.rows, p.cols, n: n, channels: c), let dstMD = try? Self.positionMajor(p.rows, p.cols, n: n, channels: oc),
                  let toBatch = try? DNNL.reorder(from: xView, to: srcMD) else { return false }
            guard let toSpace = try? DNNL.reorder(from: dstMD, to: yView) else { dnnl_primitive_destroy(toBatch); return false }
            plans.append((toBatch, toSpace, xView, srcMD, yView, dstMD, shape))
        }
        var act = fusableActivation(after: out)
        if let a = act, a.alg != dnnl_eltwise_relu { act = nil }
        let yRef = try placedValue(out, md: yMD) ?? newValue(out, md: yMD, shape: yShape)
        let biasValues = bias?.floatValues, threadCount = threads ?? ProcessInfo.processInfo.activeProcessorCount
        // Per class pair, Winograd (FastPhaseWinograd.swift) where it needs fewer multiplications, else the taps.
        let kernels: [any FastKernel] = zip(plans, pairs).map { plan, pair in
            let k = plan.kernelShape
            guard let (mr, mc) = pair.winograd else {
                return PhaseTapGemm(shape: k, channels: c, outChannels: oc, bias: biasValues, reluSlope: act?.alpha)
            }
            return PhaseWinogradGemm(shape: k, channels: c, outChannels: oc, rowsAxis: WinogradAxis(m: mr), colsAxis: WinogradAxis(m: mc),
                                     bias: biasValues, reluSlope: act?.alpha, threads: threadCount, keptWeights: pair.keptWeights)
        }
        let winogradKernels = kernels.compactMap { $0 as? PhaseWinogradGemm }
        // One set of scratch buffers, each as large as the largest pair's, shared by the pairs' steps (they run in turn);
        // no weights scratch when every Winograd pair keeps its weights.
        var scratch: [Int] = []
        if !winogradKernels.isEmpty {
            for floats in [winogradKernels.map(\.scratchFloats.input).max()!, winogradKernels.map(\.scratchFloats.products).max()!,
                           winogradKernels.map(\.scratchFloats.weights).max()!] where floats > 0 {
                scratch.append(addRef(try DNNL.plain([floats]), buffer: newBuffer(floats * 4)))
            }
            temps += scratch
        }
        let wv = w.floatValues
        let wRef = pinnedRef(try DNNL.plain([9, c, oc]), bytes: 9 * c * oc * 4) { raw in
            PhaseTapGemm.tapMatrices(wv, channels: c, outChannels: oc, into: raw.bindMemory(to: Float.self, capacity: 9 * c * oc))
        }
        // Pairs that keep their transformed weights: made here, once, from the taps.
        let taps = pinned[refs[wRef].buffer]!.assumingMemoryBound(to: Float.self)
        let weightRefs = try kernels.map { kernel -> Int in
            guard let k = kernel as? PhaseWinogradGemm, k.keptWeights else { return wRef }
            let floats = k.points * c * oc
            keptWinogradBytes += floats * 4
            log.debug("transformed Winograd weights kept", metadata: ["node": "\(node.name)", "subImages": "\(k.shape.batch) x \(k.shape.rows)x\(k.shape.cols)",
                                                                     "MB": "\(String(format: "%.1f", Double(floats * 4) / 1e6))"])
            return pinnedRef(try DNNL.plain([floats]), bytes: floats * 4) { raw in
                k.transformedWeights(taps: taps, into: raw.bindMemory(to: Float.self, capacity: floats))
            }
        }
        // One source and one destination buffer for all pairs, as large as the largest pair's.
        let srcBuffer = newBuffer(plans.map { DNNL.size($0.srcMD) }.max()!), dstBuffer = newBuffer(plans.map { DNNL.size($0.dstMD) }.max()!)
        for ((plan, kernel), wRef) in zip(zip(plans, kernels), weightRefs) {
            let srcRef = addRef(plan.srcMD, buffer: srcBuffer), dstRef = addRef(plan.dstMD, buffer: dstBuffer)
            let xv = addRef(plan.xView, buffer: x.buffer, offset: x.offset)
            let yv = addRef(plan.yView, buffer: refs[yRef].buffer, offset: refs[yRef].offset)
            steps.append(.primitive(plan.toBatch, [(DNNL_ARG_FROM, xv), (DNNL_ARG_TO, srcRef)], label: "Reorder (phases-to-batch)"))
            let suffix = act != nil ? "+act" : ""
            if let k = kernel as? PhaseWinogradGemm {
                steps.append(.kernel(kernel, [srcRef, wRef, dstRef] + scratch, label: (k.keptWeights ? "Conv (phase Winograd, kept weights)" : "Conv (phase Winograd)") + suffix))
            } else {
                steps.append(.kernel(kernel, [srcRef, wRef, dstRef], label: "Conv (phase taps)" + suffix))
            }
            steps.append(.primitive(plan.toSpace, [(DNNL_ARG_FROM, dstRef), (DNNL_ARG_TO, yv)], label: "Reorder (batch-to-phases)"))
        }
        temps += [addRef(plans[0].srcMD, buffer: srcBuffer), addRef(plans[0].dstMD, buffer: dstBuffer)]
        log.debug("dilated convolution as phase-tap products", metadata: ["node": "\(node.name)", "dilation": "\(d)", "classes": "\(pairs.count)"])
        if let a = act { fusedInto[a.index] = out }
        return true
    }

    /// The dense descriptor of one class pair's phases laid out position-major, [i][j][a][b][n][C],
    /// with the logical axes (a, b, n, C, i, j) of `phaseView`.
    static func positionMajor(_ rows: PhaseClass, _ cols: PhaseClass, n: Int, channels c: Int) throws -> dnnl_memory_desc_t {
        let b = rows.count * cols.count * n
        let dims = [rows.count, cols.count, n, c, rows.size, cols.size]
        let strides = [cols.count * n * c, n * c, c, 1, cols.size * b * c, b * c]
        return try DNNL.strided(dims, strides)
    }

    /// A 4-D map's descriptor (n, C, H, W) seen, for one class pair, as the 6-D (a, b, n, C, i, j)
    /// with element [a, b, n, c, i, j] = x[n, c, rows.start + a + i*d, cols.start + b + j*d]: the same
    /// buffer with strides (H-stride, W-stride, n-stride, C-stride, d*H-stride, d*W-stride) and the
    /// channel blocking (if any) kept. Throws for a layout that is not oneDNN's `blocked` kind.
    static func phaseView(_ md: dnnl_memory_desc_t, d: Int, rows: PhaseClass, cols: PhaseClass) throws -> dnnl_memory_desc_t {
        guard md.ndims == 4, md.format_kind == dnnl_blocked else { throw EngineError.unsupported("a phase view of a \(DNNL.layoutName(md)) layout") }
        let dims = withUnsafeBytes(of: md.dims) { Array($0.bindMemory(to: dnnl_dim_t.self).prefix(4)) }
        let padded = withUnsafeBytes(of: md.padded_dims) { Array($0.bindMemory(to: dnnl_dim_t.self).prefix(4)) }
        let offsets = withUnsafeBytes(of: md.padded_offsets) { Array($0.bindMemory(to: dnnl_dim_t.self).prefix(4)) }
        let b = md.format_desc.blocking
        let s = withUnsafeBytes(of: b.strides) { Array($0.bindMemory(to: dnnl_dim_t.self).prefix(4)) }
        let blocked = withUnsafeBytes(of: b.inner_idxs) { Array($0.bindMemory(to: dnnl_dim_t.self).prefix(Int(b.inner_nblks))) }
        guard offsets.allSatisfy({ $0 == 0 }), blocked.allSatisfy({ $0 == 0 || $0 == 1 }) else {
            throw EngineError.unsupported("a phase view of a spatially blocked or offset layout")
        }
        let nd = dnnl_dim_t(d)
        let newDims: [dnnl_dim_t] = [dnnl_dim_t(rows.count), dnnl_dim_t(cols.count), dims[0], dims[1], dnnl_dim_t(rows.size), dnnl_dim_t(cols.size)]
        var v = md
        v.ndims = 6
        DNNL.setDims(&v.dims, newDims)
        DNNL.setDims(&v.padded_dims, [newDims[0], newDims[1], padded[0], padded[1], newDims[4], newDims[5]])
        DNNL.setDims(&v.padded_offsets, [])
        DNNL.setDims(&v.format_desc.blocking.strides, [s[2], s[3], s[0], s[1], nd * s[2], nd * s[3]])
        // Inner blocks name logical axes: n 0 -> 2, C 1 -> 3.
        DNNL.setDims(&v.format_desc.blocking.inner_idxs, blocked.map { $0 + 2 })
        v.offset0 = md.offset0 + dnnl_dim_t(rows.start) * s[2] + dnnl_dim_t(cols.start) * s[3]
        return v
    }
}

extension DNNL {
    typealias Dims = (dnnl_dim_t, dnnl_dim_t, dnnl_dim_t, dnnl_dim_t, dnnl_dim_t, dnnl_dim_t, dnnl_dim_t, dnnl_dim_t, dnnl_dim_t, dnnl_dim_t, dnnl_dim_t, dnnl_dim_t)

    /// Writes `values` into a descriptor's 12-slot dims tuple, zeros after them.
    static func setDims(_ t: inout Dims, _ values: [dnnl_dim_t]) {
        withUnsafeMutableBytes(of: &t) { raw in
            let p = raw.bindMemory(to: dnnl_dim_t.self)
            for i in 0..<12 { p[i] = i < values.count ? values[i] : 0 }
        }
    }
}

/// The per-tap products of one phase class pair (see `FastDilatedPhases.swift`): operands are the
/// source [rows][cols][batch][C], the nine [C x Cout] weight matrices and the destination
/// [rows][cols][batch][Cout], all row-major floats.
struct PhaseTapGemm: FastKernel {
    struct Shape { let batch: Int, rows: Int, cols: Int }
    let shape: Shape
    let channels: Int
    let outChannels: Int
    let bias: [Float]?
    /// Relu (0) or LeakyRelu (its slope) applied after the sum; nil for none.
    let reluSlope: Float?

    /// ONNX weights [Cout][C][3][3] as the nine taps' [C x Cout] row-major matrices this kernel and
    /// `PhaseWinogradGemm` take: tap (ky, kx) at (ky * 3 + kx) * C * Cout.
    static func tapMatrices(_ w: [Float], channels c: Int, outChannels oc: Int, into p: UnsafeMutablePointer<Float>) {
        for o in 0..<oc { for i in 0..<c { for t in 0..<9 { p[(t * c + i) * oc + o] = w[(o * c + i) * 9 + t] } } }
    }

    func run(_ p: [UnsafeMutableRawPointer]) {
        let (b, ni, nj, c, oc) = (shape.batch, shape.rows, shape.cols, channels, outChannels)
        let src = p[0].assumingMemoryBound(to: Float.self), w = p[1].assumingMemoryBound(to: Float.self)
        let dst = p[2].assumingMemoryBound(to: Float.self)
        let positions = ni * nj * b
        if let bias {
            bias.withUnsafeBufferPointer { bp in for r in 0..<positions { (dst + r * oc).update(from: bp.baseAddress!, count: oc) } }
        } else {
            dst.update(repeating: 0, count: positions * oc)
        }
        for ky in 0..<3 {
            let dy = ky - 1, i0 = max(0, -dy), i1 = min(ni, ni - dy)
            for kx in 0..<3 {
                let dx = kx - 1, j0 = max(0, -dx), j1 = min(nj, nj - dx)
                guard i0 < i1, j0 < j1 else { continue }
                let tap = w + (ky * 3 + kx) * c * oc
                // Whole sub-image rows are contiguous: one product for all of them.
                let runs = j0 == 0 && j1 == nj ? [(i0, (i1 - i0) * nj)] : (i0..<i1).map { ($0, j1 - j0) }
                for (i, width) in runs {
                    let a = src + ((i + dy) * nj + j0 + dx) * b * c, out = dst + (i * nj + j0) * b * oc
                    let status = dnnl_sgemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "N")), dnnl_dim_t(width * b), dnnl_dim_t(oc), dnnl_dim_t(c),
                                   1, a, dnnl_dim_t(c), tap, dnnl_dim_t(oc), 1, out, dnnl_dim_t(oc))
                    // The sizes are the kernel's own, fixed at compile time: a failure is a bug here (FastKernel.run cannot throw).
                    assert(status == dnnl_success, "dnnl_sgemm failed: \(status)")
                }
            }
        }
        if let slope = reluSlope {
            for k in 0..<positions * oc where dst[k] < 0 { dst[k] *= slope }
        }
    }
}
