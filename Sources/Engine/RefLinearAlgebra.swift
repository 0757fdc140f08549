/// Reference MatMul (NumPy semantics: batched, broadcasting, 1-D operands), Gemm and Einsum.
/// Products are accumulated in Double.
enum RefLinearAlgebra {
    /// MatMul geometry: broadcast batch dims, M, K, N, and the output shape.
    struct MatMulShape {
        var batch: [Int], m: Int, k: Int, n: Int
        /// Each operand's shape lifted to rank >= 2 (1-D A gains a leading 1, 1-D B a trailing 1).
        var a: [Int], b: [Int]
        var out: [Int]
    }

    static func matMulShape(_ node: Node, _ a0: [Int], _ b0: [Int]) throws -> MatMulShape {
        guard !a0.isEmpty, !b0.isEmpty else { throw node.invalid("MatMul operands must not be scalars") }
        let a = a0.count == 1 ? [1] + a0 : a0, b = b0.count == 1 ? b0 + [1] : b0
        let m = a[a.count - 2], k = a[a.count - 1], n = b[b.count - 1]
        guard b[b.count - 2] == k else { throw node.invalid("inner dimensions differ: \(a0) x \(b0)") }
        let batch = try OpParams.broadcast([Array(a.dropLast(2)), Array(b.dropLast(2))], node)
        var out = batch
        if a0.count > 1 { out.append(m) }
        if b0.count > 1 { out.append(n) }
        return MatMulShape(batch: batch, m: m, k: k, n: n, a: a, b: b, out: out)
    }

    static func matMul(_ node: Node, _ x: Tensor, _ y: Tensor) throws -> Tensor {
        let g = try matMulShape(node, x.shape, y.shape)
        let av = x.floatValues, bv = y.floatValues
        let batches = Tensor.elementCount(g.batch)
        let offA = RefElementwise.broadcastOffsets(Array(g.a.dropLast(2)), to: g.batch)
        let offB = RefElementwise.broadcastOffsets(Array(g.b.dropLast(2)), to: g.batch)
        var out = [Float](repeating: 0, count: batches * g.m * g.n)
        for t in 0..<batches {
            let ba = offA[t] * g.m * g.k, bb = offB[t] * g.k * g.n, bo = t * g.m * g.n
            for i in 0..<g.m { for j in 0..<g.n {
                var s = 0.0
                for p in 0..<g.k { s += Double(av[ba + i * g.k + p]) * Double(bv[bb + p * g.n + j]) }
                out[bo + i * g.n + j] = Float(s)
            } }
        }
        return Tensor(shape: g.out, floats: out)
    }

    /// Gemm: Y = alpha * A' B' + beta * C with A' = transA ? A^T : A (2-D), C broadcast to [M, N].
    static func gemmShape(_ node: Node, _ a: [Int], _ b: [Int]) throws -> [Int] {
        guard a.count == 2, b.count == 2 else { throw node.invalid("Gemm needs 2-D A and B, got \(a) and \(b)") }
        let ta = try node.int("transA", 0) != 0, tb = try node.int("transB", 0) != 0
        let (m, k) = ta ? (a[1], a[0]) : (a[0], a[1])
        let (k2, n) = tb ? (b[1], b[0]) : (b[0], b[1])
        guard k == k2 else { throw node.invalid("inner dimensions differ: \(a) x \(b) (transA \(ta), transB \(tb))") }
        return [m, n]
    }

    static func gemm(_ node: Node, _ a: Tensor, _ b: Tensor, _ c: Tensor?, outShape: [Int]) throws -> Tensor {
        let ta = try node.int("transA", 0) != 0, tb = try node.int("transB", 0) != 0
        let alpha = Double(try node.float("alpha", 1)), beta = Double(try node.float("beta", 1))
        let m = outShape[0], n = outShape[1], k = ta ? a.shape[0] : a.shape[1]
        let av = a.floatValues, bv = b.floatValues
        let cOff = try c.map { c -> [Int] in
            _ = try OpParams.broadcast([c.shape, outShape], node)
            guard c.shape.count <= 2 else { throw node.invalid("C \(c.shape) does not broadcast to \(outShape)") }
            return RefElementwise.broadcastOffsets(c.shape, to: outShape)
        }
        let cv = c?.floatValues ?? []
        var out = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n {
            var s = 0.0
            for p in 0..<k { s += Double(av[ta ? p * m + i : i * k + p]) * Double(bv[tb ? j * k + p : p * n + j]) }
            var y = alpha * s
            if let o = cOff { y += beta * Double(cv[o[i * n + j]]) }
            out[i * n + j] = Float(y)
        } }
        return Tensor(shape: outShape, floats: out)
    }

    /// A parsed Einsum equation: one letter string per operand and the output letters.
    struct EinsumSpec {
        var inputs: [[Character]]
        var output: [Character]
        /// Size of every letter.
        var sizes: [Character: Int]
    }

    /// Parses `equation` ("bhqd,bhkd->bhqk"; implicit output = letters used once, sorted) against
    /// the operand shapes. Ellipses are not supported.
    static func einsumSpec(_ node: Node, shapes: [[Int]]) throws -> EinsumSpec {
        let eq = try node.string("equation", "").filter { $0 != " " }
        guard !eq.contains("."), !eq.isEmpty else { throw EngineError.unsupported("Einsum equation '\(eq)' (node '\(node.name)'): ellipses are not supported") }
        let parts = eq.components(separatedBy: "->")
        guard parts.count <= 2 else { throw node.invalid("bad equation '\(eq)'") }
        let inputs = parts[0].split(separator: ",", omittingEmptySubsequences: false).map { Array($0) }
        guard inputs.count == shapes.count else { throw node.invalid("equation '\(eq)' names \(inputs.count) operands, node has \(shapes.count)") }
        var sizes: [Character: Int] = [:], uses: [Character: Int] = [:]
        for (letters, shape) in zip(inputs, shapes) {
            guard letters.count == shape.count else { throw node.invalid("'\(String(letters))' does not match operand shape \(shape)") }
            for (c, d) in zip(letters, shape) {
                guard c.isLetter else { throw node.invalid("bad subscript '\(c)' in '\(eq)'") }
                if let s = sizes[c], s != d { throw node.invalid("subscript \(c) has sizes \(s) and \(d)") }
                sizes[c] = d; uses[c, default: 0] += 1
            }
        }
        let output = parts.count == 2 ? Array(parts[1]) : uses.filter { $0.value == 1 }.map(\.key).sorted()
        for c in output where sizes[c] == nil { throw node.invalid("output subscript \(c) is not an input subscript") }
        guard Set(output).count == output.count else { throw node.invalid("repeated output subscript in '\(eq)'") }
        return EinsumSpec(inputs: inputs, output: output, sizes: sizes)
    }

    /// Sums the product of the operands over every letter not in the output.
    static func einsum(_ node: Node, _ ins: [Tensor]) throws -> Tensor {
        let spec = try einsumSpec(node, shapes: ins.map(\.shape))
        let summed = spec.sizes.keys.filter { !spec.output.contains($0) }.sorted()
        let letters = spec.output + summed
        let dims = letters.map { spec.sizes[$0]! }
        // Per operand, its stride for each letter (repeated letters add up: a diagonal).
        let strides: [[Int]] = zip(spec.inputs, ins).map { sub, t in
            let s = Tensor.strides(t.shape)
            return letters.map { c in sub.indices.filter { sub[$0] == c }.reduce(0) { $0 + s[$1] } }
        }
        let values = ins.map(\.floatValues)
        let outCount = Tensor.elementCount(spec.output.map { spec.sizes[$0]! })
        let inner = Tensor.elementCount(summed.map { spec.sizes[$0]! })
        var out = [Float](repeating: 0, count: outCount)
        guard inner > 0 else { return Tensor(shape: spec.output.map { spec.sizes[$0]! }, floats: out) }
        var index = [Int](repeating: 0, count: letters.count)
        var offs = [Int](repeating: 0, count: ins.count)
        for o in 0..<outCount {
            var s = 0.0
            for _ in 0..<inner {
                var p = 1.0
                for (i, v) in values.enumerated() { p *= Double(v[offs[i]]) }
                s += p
                // Advance the odometer over all letters (summed letters are the fastest).
                var d = letters.count - 1
                while d >= 0 {
                    index[d] += 1
                    for i in 0..<offs.count { offs[i] += strides[i][d] }
                    if index[d] < dims[d] { break }
                    for i in 0..<offs.count { offs[i] -= strides[i][d] * dims[d] }
                    index[d] = 0; d -= 1
                }
            }
            out[o] = Float(s)
        }
        return Tensor(shape: spec.output.map { spec.sizes[$0]! }, floats: out)
    }
}
