import CDNNL

/// Fast-backend MatMul, Gemm and two-operand Einsum: oneDNN matmul on plain or strided views,
/// constant weights packed in the layout oneDNN picks, a following bias Add fused.
extension FastExecutor {
    /// `name` in plain layout, viewed as `viewShape` (same element count) or through `strides`.
    func plainView(_ name: String, shape viewShape: [Int], strides: [Int]? = nil, temps: inout [Int]) throws -> Int {
        let l = locs[name]!
        let r = try ensure(name, md: try DNNL.plain(l.shape), temps: &temps)
        if viewShape == l.shape && strides == nil { return r }
        let md = try strides.map { try DNNL.strided(viewShape, $0) } ?? DNNL.plain(viewShape)
        return addRef(md, buffer: refs[r].buffer, offset: refs[r].offset)
    }

    /// A bias Add consuming `value` alone: a constant whose only non-1 dim is the last, of size `n`.
    func fusableBias(after value: String, n: Int) -> (index: Int, bias: Tensor)? {
        guard let c = consumers[value], c.count == 1, !plan.outputNames.contains(value) else { return nil }
        let add = plan.steps[c[0]]
        guard add.opType == "Add", add.inputs.count == 2, let other = add.inputs.first(where: { $0 != value }),
              let t = plan.values[other]?.constant, t.elementType == .float32, t.count == n, t.shape.last == n,
              shape(add.outputs[0]) == shape(value) else { return nil }
        return (c[0], t)
    }

    /// One oneDNN matmul: `a`/`b` are (md, ref) pairs of logical rank r; dst is a new plain value.
    func emitMatMul(_ node: Node, a: (dnnl_memory_desc_t, Int), b: (dnnl_memory_desc_t, Int)?, constantB: (Tensor, dnnl_memory_desc_t, [Int])?,
                    dst dstShape: [Int], dstStrides: [Int]? = nil, fuseBias: Bool) throws -> Bool {
        let out = node.outputs[0]
        let n = dstShape.last!
        let bias = fuseBias ? fusableBias(after: out, n: n) : nil
        var amd = a.0, dmd = try dstStrides.map { try DNNL.strided(dstShape, $0) } ?? DNNL.plain(dstShape)
        var bmd = try b?.0 ?? DNNL.any(constantB!.2)
        let biasShape = [Int](repeating: 1, count: dstShape.count - 1) + [n]
        var biasMD = try DNNL.plain(biasShape)
        var d = dnnl_matmul_desc_t()
        let status = withUnsafePointer(to: &biasMD) { bp in dnnl_matmul_desc_init(&d, &amd, &bmd, bias == nil ? nil : bp, &dmd) }
        guard status == dnnl_success, let pd = DNNL.primitiveDesc(d) else { return false }
        defer { dnnl_primitive_desc_destroy(pd) }
        let wRef: Int
        if let (t, source, logical) = constantB {
            wRef = try constantRef(t, md: DNNL.query(pd, dnnl_query_weights_md), logicalShape: logical, sourceMD: source)
        } else { wRef = b!.1 }
        // The value is plain in its own shape; the matmul writes through its (possibly permuted) view.
        let outRef = try newValue(out, md: try DNNL.plain(shape(out)), shape: shape(out))
        let dstRef = DNNL.equal(dmd, refs[outRef].md) ? outRef : addRef(dmd, buffer: refs[outRef].buffer)
        var args: [(Int32, Int)] = [(DNNL_ARG_SRC, a.1), (DNNL_ARG_WEIGHTS, wRef), (DNNL_ARG_DST, dstRef)]
        if let bb = bias { args.append((DNNL_ARG_BIAS, try constantRef(bb.bias, md: biasMD, logicalShape: biasShape))) }
        steps.append(.primitive(try DNNL.primitive(pd), args, label: node.opType + (bias != nil ? "+bias" : "")))
        if let bb = bias { fusedInto[bb.index] = out }
        return true
    }

    func compileMatMul(_ node: Node, temps: inout [Int]) throws -> Bool {
        let aName = node.inputs[0], bName = node.inputs[1]
        let aS = shape(aName), bS = shape(bName)
        guard aS.count >= 2, bS.count >= 2, locs[aName] != nil else { return false }
        let g = try RefLinearAlgebra.matMulShape(node, aS, bS)
        let r = g.out.count
        let aL = [Int](repeating: 1, count: r - aS.count) + aS, bL = [Int](repeating: 1, count: r - bS.count) + bS
        let a = (try DNNL.plain(aL), try plainView(aName, shape: aL, temps: &temps))
        if let c = plan.values[bName]?.constant {
            return try emitMatMul(node, a: a, b: nil, constantB: (c, try DNNL.plain(bL), bL), dst: g.out, fuseBias: true)
        }
        guard locs[bName]?.type == .float32 else { return false }
        return try emitMatMul(node, a: a, b: (try DNNL.plain(bL), try plainView(bName, shape: bL, temps: &temps)), constantB: nil, dst: g.out, fuseBias: true)
    }

    /// Gemm with alpha = 1 and C absent or a [N] / [1, N] bias (beta = 1), the Linear layer form.
    func compileGemm(_ node: Node, temps: inout [Int]) throws -> Bool {
        guard try node.float("alpha", 1) == 1, let w = constant(node, 1), locs[node.inputs[0]] != nil else { return false }
        let out = shape(node.outputs[0]), m = out[0], n = out[1]
        let ta = try node.int("transA", 0) != 0, tb = try node.int("transB", 0) != 0
        let k = ta ? shape(node.inputs[0])[0] : shape(node.inputs[0])[1]
        var bias: Tensor? = nil
        if node.inputs.count > 2, !node.inputs[2].isEmpty {
            guard try node.float("beta", 1) == 1, let c = constant(node, 2), c.count == n, c.shape.last == n else { return false }
            bias = c
        }
        let a = (try ta ? DNNL.strided([m, k], [1, m]) : DNNL.plain([m, k]),
                 try plainView(node.inputs[0], shape: [m, k], strides: ta ? [1, m] : nil, temps: &temps))
        let source = try tb ? DNNL.strided([k, n], [1, k]) : DNNL.plain([k, n])
        var amd = a.0, bmd = try DNNL.any([k, n]), dmd = try DNNL.plain([m, n]), biasMD = try DNNL.plain([1, n])
        var d = dnnl_matmul_desc_t()
        let status = withUnsafePointer(to: &biasMD) { bp in dnnl_matmul_desc_init(&d, &amd, &bmd, bias == nil ? nil : bp, &dmd) }
        guard status == dnnl_success, let pd = DNNL.primitiveDesc(d) else { return false }
        defer { dnnl_primitive_desc_destroy(pd) }
        let wRef = try constantRef(w, md: DNNL.query(pd, dnnl_query_weights_md), logicalShape: [k, n], sourceMD: source)
        let dst = try newValue(node.outputs[0], md: dmd, shape: out)
        var args: [(Int32, Int)] = [(DNNL_ARG_SRC, a.1), (DNNL_ARG_WEIGHTS, wRef), (DNNL_ARG_DST, dst)]
        if let b = bias { args.append((DNNL_ARG_BIAS, try constantRef(b, md: biasMD, logicalShape: [1, n]))) }
        steps.append(.primitive(try DNNL.primitive(pd), args, label: "Gemm"))
        return true
    }

    /// Two-operand Einsum that is a batched matrix product (batch letters in both operands and the
    /// output, at most one row letter, one column letter and one summed letter), e.g. MONAI's
    /// attention "blxd,blyd->blxy" and "bhxy,bhyd->bhxd": a matmul over strided views.
    func compileEinsum(_ node: Node, temps: inout [Int]) throws -> Bool {
        guard node.inputs.count == 2, node.inputs.allSatisfy({ locs[$0]?.type == .float32 }) else { return false }
        let sa = shape(node.inputs[0]), sb = shape(node.inputs[1])
        let spec = try RefLinearAlgebra.einsumSpec(node, shapes: [sa, sb])
        let A = spec.inputs[0], B = spec.inputs[1], O = spec.output
        guard Set(A).count == A.count, Set(B).count == B.count else { return false }
        let batch = O.filter { A.contains($0) && B.contains($0) }
        let ms = O.filter { A.contains($0) && !B.contains($0) }, ns = O.filter { B.contains($0) && !A.contains($0) }
        let ks = A.filter { B.contains($0) && !O.contains($0) }
        guard ms.count <= 1, ns.count <= 1, ks.count == 1, A.count == batch.count + ms.count + 1, B.count == batch.count + ns.count + 1 else { return false }
        func stridesBy(_ letters: [Character], _ shape: [Int]) -> [Character: Int] {
            Dictionary(uniqueKeysWithValues: zip(letters, Tensor.strides(shape)))
        }
        let stA = stridesBy(A, sa), stB = stridesBy(B, sb), stO = stridesBy(O, shape(node.outputs[0]))
        let size = { (c: Character?) in c.map { spec.sizes[$0]! } ?? 1 }
        let m = ms.first, n = ns.first, k = ks[0]
        let dimsA = batch.map { spec.sizes[$0]! } + [size(m), size(k)]
        let dimsB = batch.map { spec.sizes[$0]! } + [size(k), size(n)]
        let dimsO = batch.map { spec.sizes[$0]! } + [size(m), size(n)]
        // A missing row/column letter is a dim of size 1, given the stride a dense matrix would have.
        let strA = batch.map { stA[$0]! } + [m.map { stA[$0]! } ?? stA[k]! * size(k), stA[k]!]
        let strB = batch.map { stB[$0]! } + [stB[k]!, n.map { stB[$0]! } ?? 1]
        let strO = batch.map { stO[$0]! } + [m.map { stO[$0]! } ?? (n.map { stO[$0]! * size($0) } ?? 1), n.map { stO[$0]! } ?? 1]
        let aRef = try plainView(node.inputs[0], shape: dimsA, strides: strA, temps: &temps)
        let bRef = try plainView(node.inputs[1], shape: dimsB, strides: strB, temps: &temps)
        let natural = Tensor.strides(dimsO) == strO
        return try emitMatMul(node, a: (refs[aRef].md, aRef), b: (refs[bRef].md, bRef), constantB: nil, dst: dimsO, dstStrides: natural ? nil : strO, fuseBias: false)
    }
}
