/// Reference data-movement operators. Most compute, for each output element, the input offset it
/// reads (`pick`), which works for float32 and int64 alike.
enum RefTensorOps {
    /// Output tensor whose element i is x[offsets[i]] (or `fill` where offsets[i] < 0).
    static func pick(_ x: Tensor, _ offsets: [Int], shape: [Int], fill: Float = 0) -> Tensor {
        if x.elementType == .int64 {
            return Tensor(shape: shape, ints: offsets.map { $0 >= 0 ? x.ints[$0] : Int64(fill) })
        }
        return Tensor(shape: shape, floats: offsets.map { $0 >= 0 ? x.floats[$0] : fill })
    }

    /// Calls `body` with each multi-index of `shape` in row-major order.
    static func forEachIndex(_ shape: [Int], _ body: ([Int]) -> Void) {
        let total = Tensor.elementCount(shape)
        guard total > 0 else { return }
        var idx = [Int](repeating: 0, count: shape.count)
        for _ in 0..<total {
            body(idx)
            var d = shape.count - 1
            while d >= 0 { idx[d] += 1; if idx[d] < shape[d] { break }; idx[d] = 0; d -= 1 }
        }
    }

    static func transpose(_ x: Tensor, perm: [Int], outShape: [Int]) -> Tensor {
        let s = Tensor.strides(x.shape)
        var offs: [Int] = []; offs.reserveCapacity(x.count)
        forEachIndex(outShape) { idx in
            var o = 0
            for d in 0..<idx.count { o += idx[d] * s[perm[d]] }
            offs.append(o)
        }
        return pick(x, offs, shape: outShape)
    }

    static func slice(_ x: Tensor, start: [Int], step: [Int], outShape: [Int]) -> Tensor {
        // The whole tensor, in order (mask pasting's `[0:im_h, :]`): the tensor itself, not a copy.
        if outShape == x.shape && step.allSatisfy({ $0 == 1 }) { return x }
        let s = Tensor.strides(x.shape)
        if let last = outShape.last, step.last == 1, last > 0 {
            // Unit step on the last axis: whole rows are copied (mask pasting slices 512x512 planes).
            var rows: [Int] = []; rows.reserveCapacity(Tensor.elementCount(outShape) / last)
            forEachIndex(Array(outShape.dropLast())) { idx in
                var o = start[idx.count] * s[idx.count]
                for d in 0..<idx.count { o += (start[d] + idx[d] * step[d]) * s[d] }
                rows.append(o)
            }
            return x.elementType == .int64 ? Tensor(shape: outShape, ints: copyRows(x.ints, rows, length: last))
                                           : Tensor(shape: outShape, floats: copyRows(x.floats, rows, length: last))
        }
        var offs: [Int] = []; offs.reserveCapacity(Tensor.elementCount(outShape))
        forEachIndex(outShape) { idx in
            var o = 0
            for d in 0..<idx.count { o += (start[d] + idx[d] * step[d]) * s[d] }
            offs.append(o)
        }
        return pick(x, offs, shape: outShape)
    }

    /// Pad modes: constant (value), reflect (mirror without the edge), edge (replicate).
    /// Negative pads crop.
    static func pad(_ node: Node, _ x: Tensor, pads: [Int], value: Float, outShape: [Int]) throws -> Tensor {
        let mode = try node.string("mode", "constant")
        guard ["constant", "reflect", "edge"].contains(mode) else { throw EngineError.unsupported("Pad mode '\(mode)' (node '\(node.name)')") }
        let rank = x.shape.count
        let s = Tensor.strides(x.shape)
        if mode == "reflect" {
            for d in 0..<rank where (pads[d] > 0 || pads[d + rank] > 0) && (pads[d] >= x.shape[d] || pads[d + rank] >= x.shape[d]) {
                throw node.invalid("reflect pad \(pads) not smaller than dim \(x.shape[d])")
            }
        }
        if mode == "constant" && pads.allSatisfy({ $0 >= 0 }) && rank > 0 {
            return x.elementType == .int64 ? Tensor(shape: outShape, ints: padded(x.ints, x.shape, pads, Int64(value), outShape))
                                           : Tensor(shape: outShape, floats: padded(x.floats, x.shape, pads, value, outShape))
        }
        var offs: [Int] = []; offs.reserveCapacity(Tensor.elementCount(outShape))
        forEachIndex(outShape) { idx in
            var o = 0
            for d in 0..<rank {
                var i = idx[d] - pads[d]
                let n = x.shape[d]
                if i < 0 || i >= n {
                    switch mode {
                    case "edge": i = min(max(i, 0), n - 1)
                    case "reflect":
                        if n == 1 { i = 0 } else {
                            let period = 2 * (n - 1)
                            i = ((i % period) + period) % period
                            if i >= n { i = period - i }
                        }
                    default: o = -1
                    }
                }
                if o < 0 { break }
                o += i * s[d]
            }
            offs.append(o)
        }
        return pick(x, offs, shape: outShape, fill: value)
    }

    /// Constant padding without cropping: the output filled with `value`, then each input row (last
    /// axis) copied to its place.
    private static func padded<T>(_ v: [T], _ shape: [Int], _ pads: [Int], _ value: T, _ out: [Int]) -> [T] {
        let rank = shape.count, total = Tensor.elementCount(out), row = shape[rank - 1]
        let outStrides = Tensor.strides(out)
        return [T](unsafeUninitializedCapacity: total) { buf, count in
            count = total
            guard total > 0 else { return }
            buf.baseAddress!.initialize(repeating: value, count: total)
            guard row > 0, !v.isEmpty else { return }
            v.withUnsafeBufferPointer { src in
                var to = StridedCursor(shape: Array(shape.dropLast()), strides: Array(outStrides.dropLast()),
                                       offset: (0..<rank).reduce(0) { $0 + pads[$1] * outStrides[$1] })
                for from in stride(from: 0, to: v.count, by: row) {
                    (buf.baseAddress! + to.offset).update(from: src.baseAddress! + from, count: row)
                    to.advance()
                }
            }
        }
    }

    /// Broadcasts `x` to `outShape` (Expand, ConstantOfShape). The output is walked in blocks: the
    /// trailing axes where `x` has the output's extent are copied whole, and trailing axes where `x`
    /// has extent 1 repeat one value, so no per-element index is built (Mask R-CNN expands RoI
    /// indices [n, 1, 1, 1] to [n, 256, 7, 7] and zeros to [1000, 256, 7, 7] on every run).
    static func expand(_ x: Tensor, outShape: [Int]) -> Tensor {
        if outShape == x.shape { return x }
        if x.elementType == .int64 { return Tensor(shape: outShape, ints: expanded(x.ints, x.shape, outShape)) }
        return Tensor(shape: outShape, floats: expanded(x.floats, x.shape, outShape))
    }

    private static func expanded<T>(_ v: [T], _ shape: [Int], _ out: [Int]) -> [T] {
        let rank = out.count, total = Tensor.elementCount(out)
        let padded = [Int](repeating: 1, count: rank - shape.count) + shape
        // Axes k..<rank form the block: equal extents (copied) or, if the last axis repeats, extent 1 (filled).
        let copies = rank > 0 && padded[rank - 1] == out[rank - 1] && out[rank - 1] != 1
        var k = rank
        while k > 0 && (copies ? padded[k - 1] == out[k - 1] : padded[k - 1] == 1) { k -= 1 }
        let block = Tensor.elementCount(Array(out[k...]))
        let inStrides = Tensor.strides(padded)
        let strides = (0..<k).map { padded[$0] == 1 ? 0 : inStrides[$0] }
        return [T](unsafeUninitializedCapacity: total) { buf, count in
            count = total
            guard total > 0 else { return }
            v.withUnsafeBufferPointer { src in
                var from = StridedCursor(shape: Array(out[..<k]), strides: strides)
                for at in stride(from: 0, to: total, by: block) {
                    if copies { (buf.baseAddress! + at).initialize(from: src.baseAddress! + from.offset, count: block) }
                    else { (buf.baseAddress! + at).initialize(repeating: src[from.offset], count: block) }
                    from.advance()
                }
            }
        }
    }

    static func concat(_ ins: [Tensor], axis: Int, outShape: [Int]) -> Tensor {
        let outer = Tensor.elementCount(Array(outShape[..<axis]))
        let inner = Tensor.elementCount(Array(outShape[(axis + 1)...]))
        /// Each input's block of every outer index, in output order, copied with memcpy (a Loop
        /// appending masks concatenates a growing tensor once per iteration).
        func join<T>(_ parts: [[T]]) -> [T] {
            let total = Tensor.elementCount(outShape)
            return [T](unsafeUninitializedCapacity: total) { buf, count in
                var at = 0
                for o in 0..<outer {
                    for (t, p) in zip(ins, parts) {
                        let n = t.shape[axis] * inner
                        p.withUnsafeBufferPointer { src in
                            if n > 0 { (buf.baseAddress! + at).initialize(from: src.baseAddress! + o * n, count: n) }
                        }
                        at += n
                    }
                }
                count = total
            }
        }
        if ins[0].elementType == .int64 { return Tensor(shape: outShape, ints: join(ins.map(\.intValues))) }
        return Tensor(shape: outShape, floats: join(ins.map(\.floatValues)))
    }

    /// Rows of `length` elements starting at `starts` in `x`, concatenated (memcpy per row).
    static func copyRows<T>(_ x: [T], _ starts: [Int], length: Int) -> [T] {
        [T](unsafeUninitializedCapacity: starts.count * length) { buf, count in
            count = 0
            guard length > 0, !starts.isEmpty else { return }
            x.withUnsafeBufferPointer { src in
                for (r, o) in starts.enumerated() { (buf.baseAddress! + r * length).initialize(from: src.baseAddress! + o, count: length) }
            }
            count = starts.count * length
        }
    }

    static func gather(_ node: Node, _ x: Tensor, indices: Tensor, axis: Int, outShape: [Int]) throws -> Tensor {
        let outer = Tensor.elementCount(Array(x.shape[..<axis])), len = x.shape[axis]
        let inner = Tensor.elementCount(Array(x.shape[(axis + 1)...]))
        let idx = try indices.intValues.map { i -> Int in
            let j = Int(i < 0 ? i + Int64(len) : i)
            guard j >= 0, j < len else { throw node.invalid("index \(i) out of range for axis size \(len)") }
            return j
        }
        // Whole rows of `inner` elements, one copy each (a detector gathers boxes and RoI features by index).
        var starts: [Int] = []; starts.reserveCapacity(outer * idx.count)
        for o in 0..<outer { for j in idx { starts.append((o * len + j) * inner) } }
        return x.elementType == .int64 ? Tensor(shape: outShape, ints: copyRows(x.ints, starts, length: inner))
                                       : Tensor(shape: outShape, floats: copyRows(x.floats, starts, length: inner))
    }

    static func cast(_ x: Tensor, to type: ElementType) -> Tensor {
        switch type {
        case .float32: return Tensor(shape: x.shape, floats: x.floatValues)
        case .int64: return Tensor(shape: x.shape, ints: x.intValues)
        }
    }

    /// Resize (nearest or n-linear) over all axes whose scale is not 1, separably.
    static func resize(_ x: Tensor, spec: OpParams.ResizeSpec) -> Tensor {
        var cur = Tensor(shape: x.shape, floats: x.floatValues)
        for a in 0..<x.shape.count where spec.outShape[a] != x.shape[a] || spec.scales[a] != 1 {
            cur = resizeAxis(cur, axis: a, outSize: spec.outShape[a], scale: spec.scales[a], spec: spec)
        }
        return cur
    }

    static func resizeAxis(_ x: Tensor, axis: Int, outSize: Int, scale: Float, spec: OpParams.ResizeSpec) -> Tensor {
        let inSize = x.shape[axis]
        let outer = Tensor.elementCount(Array(x.shape[..<axis])), inner = Tensor.elementCount(Array(x.shape[(axis + 1)...]))
        // Per output index: two source indices and the weight of the second.
        var i0 = [Int](repeating: 0, count: outSize), i1 = i0, w1 = [Float](repeating: 0, count: outSize)
        for o in 0..<outSize {
            let c = OpParams.sourceCoordinate(o, inSize: inSize, outSize: outSize, scale: scale, mode: spec.coordinateMode)
            if spec.mode == "nearest" {
                var r: Float
                switch spec.nearestMode {
                case "floor": r = c.rounded(.down)
                case "ceil": r = c.rounded(.up)
                case "round_prefer_ceil": r = (c + 0.5).rounded(.down)
                default: r = c == c.rounded(.down) + 0.5 ? c.rounded(.down) : c.rounded()
                }
                i0[o] = min(max(Int(r), 0), inSize - 1); i1[o] = i0[o]
            } else {
                let cc = min(max(c, 0), Float(inSize - 1))
                let f = Int(cc.rounded(.down))
                i0[o] = f; i1[o] = min(f + 1, inSize - 1); w1[o] = cc - Float(f)
            }
        }
        var out = [Float](repeating: 0, count: outer * outSize * inner)
        for o in 0..<outer { for k in 0..<outSize {
            let a = (o * inSize + i0[k]) * inner, b = (o * inSize + i1[k]) * inner, d = (o * outSize + k) * inner
            for i in 0..<inner { out[d + i] = x.floats[a + i] * (1 - w1[k]) + x.floats[b + i] * w1[k] }
        } }
        var shape = x.shape; shape[axis] = outSize
        return Tensor(shape: shape, floats: out)
    }
}

/// A row-major walk over the multi-indices of `shape` that keeps the matching offset under
/// `strides` (a stride of 0 repeats an axis): the inner loop of copies between layouts.
struct StridedCursor {
    let shape: [Int], strides: [Int]
    private var index: [Int]
    private(set) var offset: Int

    init(shape: [Int], strides: [Int], offset: Int = 0) {
        self.shape = shape; self.strides = strides; self.offset = offset
        index = [Int](repeating: 0, count: shape.count)
    }

    /// Moves to the next multi-index (after the last one, back to the first).
    mutating func advance() {
        var d = shape.count - 1
        while d >= 0 {
            index[d] += 1; offset += strides[d]
            if index[d] < shape[d] { return }
            offset -= strides[d] * shape[d]; index[d] = 0; d -= 1
        }
    }
}
