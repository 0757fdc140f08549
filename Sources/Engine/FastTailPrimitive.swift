import CDNNL
import Core

/// A buffer of the dynamic tail (`FastTail`) whose size is set during the run: it starts at the
/// planned upper bound where one is known (at most `initialLimit`), and grows when a run needs more.
/// Its contents are not kept across growth: each run rewrites it.
final class GrowableBuffer {
    /// Bytes preallocated from a planned bound; larger needs are allocated by the run that has them.
    static let initialLimit = 64 << 20
    private(set) var pointer: UnsafeMutableRawPointer
    private(set) var capacity: Int

    init(bound: Int) {
        capacity = min(max(bound, 64), GrowableBuffer.initialLimit)
        pointer = DNNL.allocate(capacity)
    }

    /// At least `bytes` bytes: this buffer when large enough, else a new one 1.5x the old capacity or more.
    func reserve(_ bytes: Int) -> UnsafeMutableRawPointer {
        if bytes > capacity {
            pointer.deallocate()
            capacity = max(bytes, capacity + capacity / 2)
            pointer = DNNL.allocate(capacity)
        }
        return pointer
    }

    deinit { pointer.deallocate() }
}

/// A value of the dynamic tail held in oneDNN's layout (the output of a tail convolution), read by
/// the next tail primitive without a reorder and converted to a plain `Tensor` only when a
/// reference kernel needs it.
struct NativeValue {
    var md: dnnl_memory_desc_t
    var pointer: UnsafeMutableRawPointer
    var shape: [Int]

    /// The value in plain row-major layout.
    func tensor() throws -> Tensor {
        let n = Tensor.elementCount(shape)
        let plain = try DNNL.plain(shape)
        let floats = try [Float](unsafeUninitializedCapacity: n) { buf, count in
            if DNNL.equal(md, plain) { buf.baseAddress!.update(from: pointer.assumingMemoryBound(to: Float.self), count: n) }
            else if n > 0 { try DNNL.reorderOnce(from: md, pointer, to: plain, UnsafeMutableRawPointer(buf.baseAddress!)) }
            count = n
        }
        return Tensor(shape: shape, floats: floats)
    }
}

/// A Conv, ConvTranspose, Gemm or MatMul of the dynamic tail on oneDNN. Its leading dimension (the
/// number of proposals or detections) is known only when it runs, and oneDNN 2.6 convolutions have
/// no run-time batch size, so a primitive is created per input shape and cached (a detection count
/// seen once costs one primitive creation; repeated counts, as in sliding over slices of one size,
/// cost nothing). The constant weights are packed once per layout oneDNN asks for and shared by
/// every shape that asks for the same one. A following activation is fused as a post-op. A plain
/// 3x3 convolution may run as the engine's own Winograd instead (FastTailWinograd.swift).
final class FastTailPrimitive {
    enum Kind { case conv, deconv, blockDeconv, linear }
    struct Compiled {
        /// nil for the engine's Winograd kernel (`winograd`).
        let primitive: dnnl_primitive_t?
        let src: dnnl_memory_desc_t, dst: dnnl_memory_desc_t, weights: dnnl_memory_desc_t
        let packed: UnsafeMutableRawPointer
        let outShape: [Int]
        let fused: Bool
        /// A ConvTranspose run as matrix products (`FastTailBlockDeconv.swift`); nil otherwise.
        var block: BlockDeconv? = nil
        /// A 3x3 convolution run as Winograd (`FastTailWinograd.swift`); `packed` then holds the nine taps' matrices.
        var winograd: PhaseWinogradGemm? = nil
    }

    let node: Node
    let kind: Kind
    let weights: Tensor
    let bias: Tensor?
    /// The fused activation's node (run by the reference kernel if oneDNN refuses the post-op).
    let activation: (node: Node, alg: dnnl_alg_kind_t, alpha: Float, beta: Float)?
    let opset: Int
    /// The engine's Winograd for 3x3 convolutions where oneDNN has none: on or off, the threads it
    /// splits over, and its scratch (shared by the tail's primitives, which run one at a time).
    let winograd: (enabled: Bool, threads: Int, scratch: WinogradScratch)
    /// The nine taps' [C x Cout] matrices, made on the first Winograd run.
    var tapWeights: UnsafeMutableRawPointer?
    /// The label of the variant last compiled (oneDNN's or Winograd), for profiles.
    let baseLabel: String
    /// Shapes cached at most; beyond, the cache restarts (counts vary from image to image).
    static let cacheLimit = 32
    private var cache: [[Int]: Compiled] = [:]
    private var packed: [(md: dnnl_memory_desc_t, pointer: UnsafeMutableRawPointer)] = []
    /// The block ConvTranspose's weights, one matrix per kernel row, in the layout of `md`.
    var blockPacked: (md: dnnl_memory_desc_t, rows: [UnsafeMutableRawPointer])?
    private let srcBuffer: GrowableBuffer, dstBuffer: GrowableBuffer
    private(set) var label: String
    /// Each primitive's implementation and layouts, at debug level (`--verbose`).
    let log = Log.logger(.engine)

    /// nil when the node is not one this class runs (parameters oneDNN or this path lacks).
    init?(_ node: Node, plan: Plan, activation: (node: Node, alg: dnnl_alg_kind_t, alpha: Float, beta: Float)?,
          winograd: (enabled: Bool, threads: Int, scratch: WinogradScratch)) throws {
        func constant(_ i: Int) -> Tensor? { i < node.inputs.count && !node.inputs[i].isEmpty ? plan.values[node.inputs[i]]?.constant : nil }
        guard let w = constant(1), w.elementType == .float32 else { return nil }
        let hasC = node.inputs.count > 2 && !node.inputs[2].isEmpty
        switch node.opType {
        case "Conv": kind = .conv
        case "ConvTranspose": kind = try BlockDeconv.applies(node, weights: w) ? .blockDeconv : .deconv
        case "Gemm":
            guard w.rank == 2, try node.float("alpha", 1) == 1, try node.int("transA", 0) == 0 else { return nil }
            if hasC { guard try node.float("beta", 1) == 1, let c = constant(2), c.count == w.shape[try node.int("transB", 0) != 0 ? 0 : 1] else { return nil } }
            kind = .linear
        case "MatMul":
            guard w.rank == 2 else { return nil }
            kind = .linear
        default: return nil
        }
        if hasC && constant(2) == nil { return nil }
        self.node = node; weights = w; bias = hasC ? constant(2) : nil; self.activation = activation; opset = plan.opset
        self.winograd = winograd
        let bound = plan.runtimeBytes(node.outputs[0]) ?? 0
        srcBuffer = GrowableBuffer(bound: kind == .linear ? 0 : bound)
        dstBuffer = GrowableBuffer(bound: kind == .linear ? 0 : bound)
        label = node.opType + (kind == .blockDeconv ? " as MatMul" : "") + (activation != nil ? "+act" : "") + " (dynamic)"
        baseLabel = label
    }

    deinit {
        for c in cache.values { if let p = c.primitive { dnnl_primitive_destroy(p) } }
        for p in packed { p.pointer.deallocate() }
        tapWeights?.deallocate()
        for p in blockPacked?.rows ?? [] { p.deallocate() }
    }

    /// Runs on `x` (a plain tensor) or `native` (the output of an earlier tail primitive).
    func run(_ x: Tensor?, native: NativeValue?) throws -> (tensor: Tensor?, native: NativeValue?) {
        let x = x.map { $0.elementType == .float32 ? $0 : RefTensorOps.cast($0, to: .float32) }
        let xShape = native?.shape ?? x!.shape
        if Tensor.elementCount(xShape) == 0 {
            // No detections: nothing for oneDNN to do (and no storage to point at).
            let out = try outputShape(xShape)
            return (Tensor(shape: out, floats: []), nil)
        }
        let c = try compiled(for: xShape)
        let result: (tensor: Tensor?, native: NativeValue?) = try withSource(c, x, native) { src in
            guard kind == .linear else {
                let dst = dstBuffer.reserve(DNNL.size(c.dst))
                try execute(c, src: src, dst: dst)
                return (nil, NativeValue(md: c.dst, pointer: dst, shape: c.outShape))
            }
            // Plain [M, N] output written straight into the tensor's storage.
            let n = Tensor.elementCount(c.outShape)
            let floats = try [Float](unsafeUninitializedCapacity: n) { buf, count in
                try execute(c, src: src, dst: UnsafeMutableRawPointer(buf.baseAddress!))
                count = n
            }
            return (Tensor(shape: c.outShape, floats: floats), nil)
        }
        guard let a = activation, !c.fused else { return result }
        let t = try result.tensor ?? result.native!.tensor()
        return (try Reference.run(a.node, [t], opset: opset)[0], nil)
    }

    /// Calls `body` with the source in the primitive's layout: the native value itself when its
    /// layout matches, the tensor's storage when plain is wanted, else a reorder into `srcBuffer`.
    private func withSource<R>(_ c: Compiled, _ x: Tensor?, _ native: NativeValue?, _ body: (UnsafeMutableRawPointer) throws -> R) throws -> R {
        if let v = native {
            if DNNL.equal(v.md, c.src) { return try body(v.pointer) }
            let p = srcBuffer.reserve(DNNL.size(c.src))
            try DNNL.reorderOnce(from: v.md, v.pointer, to: c.src, p)
            return try body(p)
        }
        let plain = try DNNL.plain(x!.shape)
        return try x!.floats.withUnsafeBytes { raw in
            if DNNL.equal(plain, c.src) { return try body(UnsafeMutableRawPointer(mutating: raw.baseAddress!)) }
            let p = srcBuffer.reserve(DNNL.size(c.src))
            try DNNL.reorderOnce(from: plain, raw.baseAddress!, to: c.src, p)
            return try body(p)
        }
    }

    private func outputShape(_ x: [Int]) throws -> [Int] {
        var ins: [ValueDesc?] = [ValueDesc(shape: x, type: .float32, constant: nil), ValueDesc(shape: weights.shape, type: .float32, constant: weights)]
            + (bias.map { [ValueDesc(shape: $0.shape, type: .float32, constant: $0)] } ?? [])
        while ins.count < node.inputs.count { ins.append(nil) }
        return try ShapeInference.infer(node, ins, opset: opset)[0].shape
    }

    private func execute(_ c: Compiled, src: UnsafeMutableRawPointer, dst: UnsafeMutableRawPointer) throws {
        if let k = c.winograd { return runWinograd(k, src: src, taps: c.packed, dst: dst) }
        guard let primitive = c.primitive else { throw EngineError.backend("no primitive for \(node.opType) node '\(node.name)'") }
        if let b = c.block { return try executeBlock(b, primitive, src: src, dst: dst) }
        var mems = [try DNNL.memory(c.src, src), try DNNL.memory(c.weights, c.packed), try DNNL.memory(c.dst, dst)]
        var args = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: mems[0]), dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: mems[1]),
                    dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: mems[2])]
        defer { for m in mems { dnnl_memory_destroy(m) } }
        if let b = bias {
            let md = try kind == .linear ? DNNL.plain([1, b.count]) : DNNL.plain([b.count])
            try b.floats.withUnsafeBufferPointer { bp in
                mems.append(try DNNL.memory(md, UnsafeMutableRawPointer(mutating: bp.baseAddress!)))
                args.append(dnnl_exec_arg_t(arg: DNNL_ARG_BIAS, memory: mems[3]))
                try DNNL.execute(primitive, args)
                try DNNL.check(dnnl_stream_wait(DNNL.stream), "stream wait")
            }
        } else {
            try DNNL.execute(primitive, args)
            try DNNL.check(dnnl_stream_wait(DNNL.stream), "stream wait")
        }
    }

    /// The primitive for input shape `x`, created on first use.
    private func compiled(for x: [Int]) throws -> Compiled {
        let c = try cache[x] ?? {
            if cache.count >= FastTailPrimitive.cacheLimit {
                for c in cache.values { if let p = c.primitive { dnnl_primitive_destroy(p) } }
                cache = [:]
            }
            let c = try create(x)
            cache[x] = c
            return c
        }()
        label = c.winograd == nil ? baseLabel : node.opType + " (Winograd)" + (activation != nil ? "+act" : "") + " (dynamic)"
        return c
    }

    private func create(_ x: [Int]) throws -> Compiled {
        let out = try outputShape(x)
        if let w = try winogradConv(x, out) { return w }
        var candidates: [(make: (dnnl_primitive_attr_t?) throws -> dnnl_primitive_desc_t?, last: Bool)] = []
        let weightsShape: [Int], weightsSource: dnnl_memory_desc_t
        switch kind {
        case .conv:
            let d = try FastExecutor.convDescriptor(node, x: x, out: out, weights: weights, bias: bias)
            weightsShape = d.weightsShape; weightsSource = try DNNL.plain(d.weightsShape)
            for src in try Self.sourceCandidates(x) { candidates.append(({ attr in DNNL.primitiveDesc(try d.make(src), attr: attr) }, false)) }
        case .deconv, .blockDeconv:
            if kind == .blockDeconv, let b = try blockDeconv(x, out) { return b }
            guard let d = try FastExecutor.deconvDescriptor(node, x: x, out: out, weights: weights, bias: bias) else {
                throw EngineError.unsupported("ConvTranspose node '\(node.name)': output padding oneDNN cannot express")
            }
            weightsShape = d.weightsShape; weightsSource = d.weightsSource
            for src in try Self.sourceCandidates(x) { candidates.append(({ attr in DNNL.primitiveDesc(try d.make(src), attr: attr) }, false)) }
        case .linear:
            let tb = try node.opType == "Gemm" && node.int("transB", 0) != 0
            let k = x.last!, n = tb ? weights.shape[0] : weights.shape[1], m = Tensor.elementCount(x) / max(k, 1)
            guard weights.shape[tb ? 1 : 0] == k else { throw node.invalid("inner dimensions \(x) and \(weights.shape) differ") }
            weightsShape = [k, n]; weightsSource = try tb ? DNNL.strided([k, n], [1, k]) : DNNL.plain([k, n])
            let hasBias = bias != nil
            candidates.append(({ attr in
                var a = try DNNL.plain([m, k]), b = try DNNL.any([k, n]), d = try DNNL.plain([m, n]), bmd = try DNNL.plain([1, n])
                var desc = dnnl_matmul_desc_t()
                let status = withUnsafePointer(to: &bmd) { bp in dnnl_matmul_desc_init(&desc, &a, &b, hasBias ? bp : nil, &d) }
                return status == dnnl_success ? DNNL.primitiveDesc(desc, attr: attr) : nil
            }, false))
        }
        candidates[candidates.count - 1].last = true
        let attr = try FastExecutor.postOps(activation.map { ($0.alg, $0.alpha, $0.beta) })
        defer { if let attr { dnnl_primitive_attr_destroy(attr) } }
        for cand in candidates {
            var fused = attr != nil
            var pd = try attr.flatMap { try cand.make($0) }
            if pd == nil { pd = try cand.make(nil); fused = false }
            guard let p = pd else { continue }
            defer { dnnl_primitive_desc_destroy(p) }
            if !cand.last && DNNL.implementation(p).hasPrefix("ref") { continue }
            log.debug("oneDNN primitive (dynamic tail)", metadata: ["node": "\(node.name)", "op": "\(node.opType)", "input": "\(x)",
                                                              "implementation": "\(DNNL.implementation(p))",
                                                              "src": "\(DNNL.layoutName(DNNL.query(p, dnnl_query_src_md)))",
                                                              "dst": "\(DNNL.layoutName(DNNL.query(p, dnnl_query_dst_md)))"])
            let wmd = DNNL.query(p, dnnl_query_weights_md)
            return Compiled(primitive: try DNNL.primitive(p), src: DNNL.query(p, dnnl_query_src_md), dst: DNNL.query(p, dnnl_query_dst_md), weights: wmd,
                            packed: try pack(wmd, source: weightsSource, logical: weightsShape), outShape: out, fused: fused)
        }
        throw EngineError.backend("oneDNN has no implementation for \(node.opType) node '\(node.name)' on input \(x)")
    }

    /// The layout oneDNN picks, then the channel-blocked one (as the static plan's `.onednn` order).
    static func sourceCandidates(_ x: [Int]) throws -> [dnnl_memory_desc_t] {
        var c = [try DNNL.any(x)]
        if let blocked = try DNNL.blocked(x) { c.append(blocked) }
        return c
    }

    /// The weights in layout `md`: packed once per distinct layout.
    private func pack(_ md: dnnl_memory_desc_t, source: dnnl_memory_desc_t, logical: [Int]) throws -> UnsafeMutableRawPointer {
        if let p = packed.first(where: { DNNL.equal($0.md, md) }) { return p.pointer }
        let p = DNNL.allocate(DNNL.size(md))
        try weights.floats.withUnsafeBytes { try DNNL.reorderOnce(from: source, $0.baseAddress!, to: md, p) }
        packed.append((md, p))
        return p
    }
}
