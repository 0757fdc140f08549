import CDNNL

/// A 2D ConvTranspose whose kernel equals its stride (no padding, no output padding, dilation 1,
/// one group), as in Mask R-CNN's mask head (2x2, stride 2, on [detections, 256, 14, 14]). Every
/// input pixel then writes its own kh x kw block of the output and no two blocks overlap, so the
/// operator is kh matrix products, one per kernel row i:
///
///     out[n, h*kh + i, w*kw + j, c] = sum over k of x[n, h, w, k] * W[k, c, i, j]   (+ bias[c])
///
/// in channels-last (nhwc) layout: product i reads the input as [N*H, W, K] and writes the rows
/// `h*kh + i` of the output as a [N*H, W, kw*C] view with strides [kh*OW*C, kw*C, 1]. oneDNN's
/// matmul takes those strides, so the result lands in place, the activation fused. oneDNN 2.6's
/// own deconvolution runs this case as a strided backward convolution at about a tenth of the
/// matmul's speed (1.1 s against 0.12 s for the mask head of 100 detections, one Xeon thread).
struct BlockDeconv {
    let kernelRows: Int
    /// The matmul's source, weights and destination descriptors ([N*H, W, K], [1, K, kw*C], strided).
    let src: dnnl_memory_desc_t, weights: dnnl_memory_desc_t, dst: dnnl_memory_desc_t
    /// Bytes between the output rows of kernel row i and i + 1 (one output row: OW*C floats).
    let rowBytes: Int
    /// The bias repeated for each kernel column (the matmul's columns are (j, c)).
    let bias: [Float]?

    /// Whether `node`'s attributes make it a block ConvTranspose (checked again against the input
    /// shape when a primitive is created; oneDNN's deconvolution runs it otherwise).
    static func applies(_ node: Node, weights: Tensor) throws -> Bool {
        guard node.opType == "ConvTranspose", weights.rank == 4, try node.int("group", 1) == 1, try node.ints("output_shape") == nil,
              ["NOTSET", "VALID"].contains(try node.string("auto_pad", "NOTSET")) else { return false }
        let kernel = try node.ints("kernel_shape") ?? Array(weights.shape[2...])
        return try node.ints("strides") == kernel && (try node.ints("dilations") ?? [1, 1]).allSatisfy { $0 == 1 }
            && (try node.ints("pads") ?? [0]).allSatisfy { $0 == 0 } && (try node.ints("output_padding") ?? [0]).allSatisfy { $0 == 0 }
    }
}

extension FastTailPrimitive {
    /// The primitive for a block ConvTranspose on input shape `x`, or nil when the node is not one.
    func blockDeconv(_ x: [Int], _ out: [Int]) throws -> Compiled? {
        guard x.count == 4, weights.rank == 4, try node.int("group", 1) == 1 else { return nil }
        let kernel = Array(weights.shape[2...])
        let (win, outPad) = try OpParams.transposeWindow(node, inSpatial: Array(x[2...]), kernel: try node.ints("kernel_shape") ?? kernel)
        guard win.strides == kernel, win.dilations.allSatisfy({ $0 == 1 }), outPad.allSatisfy({ $0 == 0 }),
              (win.padsBegin + win.padsEnd).allSatisfy({ $0 == 0 }) else { return nil }
        let (n, k, h, w) = (x[0], x[1], x[2], x[3])
        let (c, kh, kw) = (weights.shape[1], kernel[0], kernel[1])
        let (oh, ow) = (h * kh, w * kw)
        guard out == [n, c, oh, ow], weights.shape[0] == k else { return nil }
        let src = try DNNL.plain([n * h, w, k])
        let dst = try DNNL.strided([n * h, w, kw * c], [kh * ow * c, kw * c, 1])
        let attr = try FastExecutor.postOps(activation.map { ($0.alg, $0.alpha, $0.beta) })
        defer { if let attr { dnnl_primitive_attr_destroy(attr) } }
        func make(_ attr: dnnl_primitive_attr_t?) throws -> dnnl_primitive_desc_t? {
            var a = src, b = try DNNL.any([1, k, kw * c]), d = dst, bmd = try DNNL.plain([1, 1, kw * c])
            var desc = dnnl_matmul_desc_t()
            let status = withUnsafePointer(to: &bmd) { bp in dnnl_matmul_desc_init(&desc, &a, &b, bias == nil ? nil : bp, &d) }
            return status == dnnl_success ? DNNL.primitiveDesc(desc, attr: attr) : nil
        }
        var fused = attr != nil
        var pd = try attr.flatMap { try make($0) }
        if pd == nil { pd = try make(nil); fused = false }
        guard let p = pd else { return nil }
        defer { dnnl_primitive_desc_destroy(p) }
        if DNNL.implementation(p).hasPrefix("ref") { return nil }
        log.debug("oneDNN primitive (dynamic tail, ConvTranspose as matmul)", metadata: ["node": "\(node.name)", "input": "\(x)",
                                                                                       "implementation": "\(DNNL.implementation(p))"])
        let wmd = DNNL.query(p, dnnl_query_weights_md)
        try packBlockWeights(wmd, k: k, c: c, kh: kh, kw: kw)
        let block = BlockDeconv(kernelRows: kh, src: src, weights: wmd, dst: dst, rowBytes: ow * c * MemoryLayout<Float>.size,
                                bias: bias.map { b in (0..<kw * c).map { b.floats[$0 % c] } })
        return Compiled(primitive: try DNNL.primitive(p), src: try DNNL.md(x, dnnl_acdb), dst: try DNNL.md(out, dnnl_acdb), weights: wmd,
                        packed: blockPacked!.rows[0], outShape: out, fused: fused, block: block)
    }

    /// Rearranges the ONNX weights [K, C, kh, kw] into one [K, kw*C] matrix per kernel row (column
    /// j*C + c) and packs each into `md`, once (a later shape asking for another layout repacks).
    private func packBlockWeights(_ md: dnnl_memory_desc_t, k: Int, c: Int, kh: Int, kw: Int) throws {
        if let b = blockPacked, DNNL.equal(b.md, md) { return }
        for p in blockPacked?.rows ?? [] { p.deallocate() }
        blockPacked = nil
        let plain = try DNNL.plain([1, k, kw * c])
        var rows: [UnsafeMutableRawPointer] = []
        let w = weights.floats
        for i in 0..<kh {
            var m = [Float](repeating: 0, count: k * kw * c)
            for kk in 0..<k { for j in 0..<kw { for cc in 0..<c { m[(kk * kw + j) * c + cc] = w[((kk * c + cc) * kh + i) * kw + j] } } }
            let p = DNNL.allocate(DNNL.size(md))
            try m.withUnsafeBytes { try DNNL.reorderOnce(from: plain, $0.baseAddress!, to: md, p) }
            rows.append(p)
        }
        blockPacked = (md, rows)
    }

    /// Runs the kh products of `b`: source and destination in channels-last layout.
    func executeBlock(_ b: BlockDeconv, _ primitive: dnnl_primitive_t, src: UnsafeMutableRawPointer, dst: UnsafeMutableRawPointer) throws {
        guard let rows = blockPacked?.rows, rows.count == b.kernelRows else { throw EngineError.backend("ConvTranspose node '\(node.name)': weights not packed") }
        let a = try DNNL.memory(b.src, src)
        defer { dnnl_memory_destroy(a) }
        func products(_ bias: UnsafeMutableRawPointer?) throws {
            let bm = try bias.map { try DNNL.memory(DNNL.plain([1, 1, b.bias!.count]), $0) }
            defer { if let bm { dnnl_memory_destroy(bm) } }
            for i in 0..<b.kernelRows {
                let wm = try DNNL.memory(b.weights, rows[i]), dm = try DNNL.memory(b.dst, dst + i * b.rowBytes)
                defer { dnnl_memory_destroy(wm); dnnl_memory_destroy(dm) }
                var args = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC, memory: a), dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS, memory: wm),
                            dnnl_exec_arg_t(arg: DNNL_ARG_DST, memory: dm)]
                if let bm { args.append(dnnl_exec_arg_t(arg: DNNL_ARG_BIAS, memory: bm)) }
                try DNNL.execute(primitive, args)
            }
        }
        if let bias = b.bias { try bias.withUnsafeBufferPointer { try products(UnsafeMutableRawPointer(mutating: $0.baseAddress!)) } }
        else { try products(nil) }
        try DNNL.check(dnnl_stream_wait(DNNL.stream), "stream wait")
    }
}
