import CDNNL

/// In-place channel concatenation (the U-Net skip connection without a copy).
///
/// With one sample and the channel-blocked layout (`nCdhw16c`, or `nCdhw8c` on AVX2: `DNNL.channelBlock`), a block-aligned channel range of a
/// tensor is one contiguous slab, laid out exactly like a standalone tensor of those channels. So
/// the convolution (or transposed convolution) that produces each Concat input can write straight
/// into its slab of the Concat's buffer, and the Concat itself becomes an alias of that buffer.
///
/// Planning happens before compilation (`planConcatPlacements`): each Concat input is traced back
/// through single-reader InstanceNormalization/activation steps (which run in place) to the
/// convolution (or Resize: DeepLabV3's image-pooling branch of the ASPP) that allocates its buffer. Compilation then places those outputs (`placedValue`),
/// and `compileConcatInPlace` checks at the Concat that every input really is in its slab (an
/// in-place step may have fallen back to a fresh buffer); if not, the ordinary copying Concat runs,
/// which is always correct. Batch > 1, channel counts that are not multiples of 16, other axes and
/// other layouts always use the copying Concat.
extension FastExecutor {
    /// Where a convolution's output should live: a channel slab of a Concat's buffer.
    struct ConcatSlab { var concatStep: Int; var channelOffset: Int }

    /// The dense channel-blocked descriptor for `shape` (rank 3 to 5), if that layout applies.
    func blockedMD(_ shape: [Int]) throws -> dnnl_memory_desc_t? { try DNNL.blocked(shape) }

    func planConcatPlacements() -> [String: ConcatSlab] {
        var producer: [String: Int] = [:]
        for (i, s) in plan.steps.enumerated() { for o in s.outputs where !o.isEmpty { producer[o] = i } }
        var result: [String: ConcatSlab] = [:]
        /// The convolution output whose buffer `value` will share, following in-place steps back.
        func root(of value: String) -> String? {
            guard let p = producer[value] else { return nil }
            let node = plan.steps[p]
            switch node.opType {
            case "Conv", "ConvTranspose", "Resize": return value
            case "InstanceNormalization", "Relu", "LeakyRelu":
                let input = node.inputs[0]
                guard consumers[input] == [p], !plan.outputNames.contains(input) else { return nil }
                return root(of: input)
            default: return nil
            }
        }
        for (i, node) in plan.steps.enumerated() where node.opType == "Concat" {
            guard let outShape = plan.values[node.outputs[0]]?.shape, (3...5).contains(outShape.count), outShape[0] == 1,
                  let axis = try? OpParams.axis(try node.int("axis", 0), rank: outShape.count, node), axis == 1,
                  !node.inputs.contains(where: \.isEmpty), Set(node.inputs).count == node.inputs.count else { continue }
            var slabs: [(String, ConcatSlab)] = []
            var offset = 0
            for input in node.inputs {
                guard let d = plan.values[input], d.constant == nil, d.type == .float32, d.shape[1] % 16 == 0,
                      let r = root(of: input), result[r] == nil, !plan.outputNames.contains(r) else { slabs = []; break }
                slabs.append((r, ConcatSlab(concatStep: i, channelOffset: offset)))
                offset += d.shape[1]
            }
            for (r, s) in slabs { result[r] = s }
        }
        return result
    }

    /// The output of the convolution at `out` in its planned Concat slab, when its descriptor is the
    /// dense channel-blocked one; nil means "allocate normally".
    func placedValue(_ out: String, md: dnnl_memory_desc_t) throws -> Int? {
        guard let slab = concatSlabs[out], let outShape = plan.values[plan.steps[slab.concatStep].outputs[0]]?.shape,
              let expected = try blockedMD(shape(out)), DNNL.equal(md, expected), let whole = try blockedMD(outShape) else { return nil }
        let existing = concatBuffers[slab.concatStep]
        let buffer = existing ?? newBuffer(DNNL.size(whole))
        concatBuffers[slab.concatStep] = buffer
        let spatial = Tensor.elementCount(Array(outShape[2...]))
        let ref = addRef(md, buffer: buffer, offset: slab.channelOffset * spatial * 4)
        if existing != nil { retain(ref) }  // a fresh buffer starts with this value's reference
        locs[out] = Loc(ref: ref, shape: shape(out), type: .float32)
        return ref
    }

    /// The Concat as an alias of its buffer when every input sits in its slab; false otherwise.
    func compileConcatInPlace(_ node: Node, index: Int) throws -> Bool {
        guard let buffer = concatBuffers[index], let whole = try blockedMD(shape(node.outputs[0])) else { return false }
        let spatial = Tensor.elementCount(Array(shape(node.outputs[0])[2...]))
        var offset = 0
        for input in node.inputs {
            guard let l = locs[input], let md = try blockedMD(l.shape), refs[l.ref].buffer == buffer,
                  refs[l.ref].offset == offset * spatial * 4, DNNL.equal(refs[l.ref].md, md) else { return false }
            offset += l.shape[1]
        }
        let ref = addRef(whole, buffer: buffer, offset: 0)
        retain(ref)
        locs[node.outputs[0]] = Loc(ref: ref, shape: shape(node.outputs[0]), type: .float32)
        return true
    }
}
