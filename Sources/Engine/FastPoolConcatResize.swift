import CDNNL
import Foundation

/// Fast-backend pooling, Concat (oneDNN concat, keeping the inputs' shared layout) and Resize.
extension FastExecutor {
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
        var mds: [dnnl_memory_desc_t] = [], srcRefs: [Int] = [], srcShapes: [[Int]] = []
        for name in node.inputs where !name.isEmpty {
            if let l = locs[name] { mds.append(refs[l.ref].md); srcRefs.append(l.ref); srcShapes.append(l.shape) }
            else if let c = plan.values[name]?.constant, c.elementType == .float32 {
                let md = try DNNL.plain(c.shape); mds.append(md); srcRefs.append(try constantRef(c, md: md)); srcShapes.append(c.shape)
            } else { return false }
        }
        // Keep the inputs' layout when they share one, channel-blocked or channels-last (what the
        // next convolution wants). Where layouts meet (a transposed convolution's blocked output and
        // a channels-last skip), the other inputs are reordered to the first channels-last one, so
        // oneDNN's simple concat runs instead of its reference one. Otherwise oneDNN chooses.
        var dsts = [try DNNL.any(outShape)]
        if (3...5).contains(outShape.count), a == 1 {
            let rank = outShape.count
            let lastTag = [dnnl_acb, dnnl_acdb, dnnl_acdeb][rank - 3]
            let runtime = node.inputs.filter { !$0.isEmpty }
            let channelsLast = { (shape: [Int]) throws -> dnnl_memory_desc_t? in try DNNL.md(shape, lastTag) }
            // Whether input `name` is a run-time value in the layout `layout` makes for its shape (nil: none).
            func has(_ name: String, _ layout: ([Int]) throws -> dnnl_memory_desc_t?) throws -> Bool {
                guard let l = locs[name], let md = try layout(l.shape) else { return false }
                return DNNL.equal(refs[l.ref].md, md)
            }
            let allBlocked = try runtime.allSatisfy { try has($0, DNNL.blocked) }
            if outShape[1] % DNNL.channelBlock == 0, allBlocked, let blocked = try DNNL.blocked(outShape) {
                dsts.insert(blocked, at: 0)
            } else if try runtime.allSatisfy({ try has($0, channelsLast) }) {
                dsts.insert(try DNNL.md(outShape, lastTag), at: 0)
            } else if try runtime.contains(where: { try has($0, channelsLast) }), runtime.allSatisfy({ locs[$0] != nil }) {
                mds = []; srcRefs = []
                for name in runtime {
                    let md = try DNNL.md(locs[name]!.shape, lastTag)
                    srcRefs.append(try ensure(name, md: md, temps: &temps)); mds.append(md)
                }
                dsts.insert(try DNNL.md(outShape, lastTag), at: 0)
            }
        }
        // Plain inputs and no layout to keep: each input's block of every outer index is one memcpy
        // (oneDNN's simple concat copies element by element when the axis has trailing extent 1, as
        // a detector's per-level scores [n, 1, 1] have).
        if dsts.count == 1, zip(mds, srcShapes).allSatisfy({ DNNL.isPlain($0, shape: $1) }),
           node.inputs.allSatisfy({ $0.isEmpty || (locs[$0]?.type ?? .float32) == .float32 }) {
            let dref = try newValue(out, md: try DNNL.plain(outShape), shape: outShape)
            let kernel = PlainConcat(blocks: srcShapes.map { $0[a...].reduce(1, *) }, outer: outShape[..<a].reduce(1, *),
                                     threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
            steps.append(.kernel(kernel, srcRefs + [dref], label: "Concat (plain)"))
            return true
        }
        var pd: dnnl_primitive_desc_t?
        for var dst in dsts where pd == nil {
            if dnnl_concat_primitive_desc_create(&pd, &dst, Int32(mds.count), Int32(a), mds, nil, DNNL.engine) != dnnl_success { pd = nil }
        }
        guard let pd else { return false }
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
        // Every size and scale 1: the output is the input (the reference resizes no axis either), an
        // alias rather than a resampling (a detector's input transform "resizes" an image that
        // already has the model's size).
        if spec.outShape == l.shape && spec.scales.allSatisfy({ $0 == 1 }) { return try compileAlias(node, temps: &temps) }
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
        let dmd = DNNL.query(pd, dnnl_query_dst_md)
        let dref = try placedValue(node.outputs[0], md: dmd) ?? newValue(node.outputs[0], md: dmd, shape: spec.outShape)
        steps.append(.primitive(try DNNL.primitive(pd), [(DNNL_ARG_SRC, l.ref), (DNNL_ARG_DST, dref)], label: "Resize"))
        return true
    }
}

/// Concat of plain (row-major) inputs into a plain output: for every outer index (the axes before
/// the concat axis), each input's block is copied whole. Operands: the inputs, then the output.
struct PlainConcat: FastKernel {
    /// Elements of each input per outer index (its extent on the axis times the inner size).
    let blocks: [Int]
    let outer: Int
    let threads: Int

    func run(_ p: [UnsafeMutableRawPointer]) {
        let row = blocks.reduce(0, +)
        nonisolated(unsafe) let dst = p[blocks.count].assumingMemoryBound(to: Float.self)
        nonisolated(unsafe) let srcs = p.prefix(blocks.count).map { UnsafePointer($0.assumingMemoryBound(to: Float.self)) }
        parallelRows(outer, elementsPerRow: row, threads: threads) { range in
            srcs.withUnsafeBufferPointer { srcs in
                blocks.withUnsafeBufferPointer { blocks in
                    if blocks.allSatisfy({ $0 < 16 }) {
                        // Small pieces ([n, 1] box coordinates): input by input, a strided loop per
                        // input instead of a call to memmove per piece.
                        var offset = 0
                        for k in 0..<blocks.count {
                            let n = blocks[k], from = srcs[k]
                            for o in range { for j in 0..<n { dst[o * row + offset + j] = from[o * n + j] } }
                            offset += n
                        }
                        return
                    }
                    for o in range {
                        var at = dst + o * row
                        for k in 0..<blocks.count {
                            at.update(from: srcs[k] + o * blocks[k], count: blocks[k])
                            at += blocks[k]
                        }
                    }
                }
            }
        }
    }
}
