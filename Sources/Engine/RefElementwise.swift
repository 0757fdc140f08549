import Foundation

/// Reference element-wise operators: unary maps and NumPy-broadcasting binary operators.
enum RefElementwise {
    /// The scalar function of a unary operator (also used by the fast backend's fallbacks).
    static func unaryFunction(_ node: Node, _ ins: [Tensor?]) throws -> (Float) -> Float {
        switch node.opType {
        case "Relu": return { max($0, 0) }
        case "LeakyRelu": let a = try node.float("alpha", 0.01); return { $0 >= 0 ? $0 : a * $0 }
        case "Elu": let a = try node.float("alpha", 1); return { $0 >= 0 ? $0 : a * (expf($0) - 1) }
        case "Sigmoid": return { 1 / (1 + expf(-$0)) }
        case "HardSigmoid":
            let a = try node.float("alpha", 0.2), b = try node.float("beta", 0.5)
            return { max(0, min(1, a * $0 + b)) }
        case "HardSwish": return { $0 * max(0, min(1, $0 / 6 + 0.5)) }
        case "Sign": return { $0 > 0 ? 1 : $0 < 0 ? -1 : 0 }
        case "Round": return { $0.rounded(.toNearestOrEven) }
        case "Sin": return { sinf($0) }
        case "Cos": return { cosf($0) }
        case "Softplus": return { $0 > 20 ? $0 : log1pf(expf($0)) }
        case "Tanh": return { tanhf($0) }
        case "Erf": return { erff($0) }
        case "Gelu":
            if try node.string("approximate", "none") == "tanh" {
                return { 0.5 * $0 * (1 + tanhf(0.7978845608 * ($0 + 0.044715 * $0 * $0 * $0))) }
            }
            return { 0.5 * $0 * (1 + erff($0 * 0.70710678118654752)) }
        case "Exp": return { expf($0) }
        case "Log": return { logf($0) }
        case "Abs": return { abs($0) }
        case "Neg": return { -$0 }
        case "Reciprocal": return { 1 / $0 }
        case "Floor": return { $0.rounded(.down) }
        case "Ceil": return { $0.rounded(.up) }
        case "Sqrt": return { sqrtf($0) }
        case "Identity", "Dropout": return { $0 }
        case "Clip":
            var lo = try node.float("min", -.infinity), hi = try node.float("max", .infinity)
            if ins.count > 1, let t = ins[1] { lo = t.floatValues.first ?? lo }
            if ins.count > 2, let t = ins[2] { hi = t.floatValues.first ?? hi }
            return { min(max($0, lo), hi) }
        default: throw EngineError.unsupportedOperator(op: node.opType, node: node.name, opset: 0)
        }
    }

    /// `threads` workers share a large float tensor (the dynamic tail's mask sigmoid).
    static func unary(_ node: Node, _ ins: [Tensor?], x: Tensor, threads: Int = 1) throws -> Tensor {
        if x.elementType == .int64 {
            switch node.opType {
            case "Identity", "Dropout": return x
            case "Neg": return Tensor(shape: x.shape, ints: x.ints.map { -$0 })
            case "Abs": return Tensor(shape: x.shape, ints: x.ints.map { abs($0) })
            case "Sign": return Tensor(shape: x.shape, ints: x.ints.map { $0.signum() })
            case "Floor", "Ceil", "Round": return x
            case "Clip":
                let lo = ins.count > 1 ? ins[1]?.intValues.first ?? .min : .min
                let hi = ins.count > 2 ? ins[2]?.intValues.first ?? .max : .max
                return Tensor(shape: x.shape, ints: x.ints.map { min(max($0, lo), hi) })
            default: break
            }
        }
        let f = try unaryFunction(node, ins)
        let v = x.floatValues, n = v.count, chunk = 1 << 16
        guard threads > 1, n > chunk else { return Tensor(shape: x.shape, floats: v.map(f)) }
        let out = [Float](unsafeUninitializedCapacity: n) { buf, count in
            nonisolated(unsafe) let buf = buf
            v.withUnsafeBufferPointer { src in
                parallelItems((n + chunk - 1) / chunk, threads: threads) { c in
                    for i in (c * chunk)..<min(n, (c + 1) * chunk) { buf[i] = f(src[i]) }
                }
            }
            count = n
        }
        return Tensor(shape: x.shape, floats: out)
    }

    /// Offsets into an input of shape `shape` for each element of the broadcast `out` shape.
    static func broadcastOffsets(_ shape: [Int], to out: [Int]) -> [Int] {
        let total = Tensor.elementCount(out)
        // The common cases without a walk: a single value, and a shape equal to the output's.
        if Tensor.elementCount(shape) == 1 { return [Int](repeating: 0, count: total) }
        if shape.count == out.count && shape == out { return Array(0..<total) }
        let rank = out.count
        let padded = [Int](repeating: 1, count: rank - shape.count) + shape
        let inStrides = Tensor.strides(padded)
        let strides = (0..<rank).map { padded[$0] == 1 ? 0 : inStrides[$0] }
        var offsets = [Int](repeating: 0, count: total)
        var cursor = StridedCursor(shape: out, strides: strides)
        for i in 0..<total {
            offsets[i] = cursor.offset
            cursor.advance()
        }
        return offsets
    }

    static func binary(_ node: Node, _ ins: [Tensor], outShape: [Int]) throws -> Tensor {
        precondition(!ins.isEmpty)
        var acc = ins[0]
        if ins.count == 1 { return acc }
        for t in ins.dropFirst() {
            let shape = try OpParams.broadcast([acc.shape, t.shape], node)
            acc = try binaryPair(node, acc, t, outShape: shape)
        }
        return acc
    }

    static func binaryPair(_ node: Node, _ a: Tensor, _ b: Tensor, outShape: [Int]) throws -> Tensor {
        let oa = broadcastOffsets(a.shape, to: outShape), ob = broadcastOffsets(b.shape, to: outShape)
        let n = Tensor.elementCount(outShape)
        if a.elementType == .int64 && b.elementType == .int64 {
            let x = a.ints, y = b.ints
            let f: (Int64, Int64) throws -> Int64
            switch node.opType {
            case "Add", "Sum": f = { $0 &+ $1 }
            case "Sub": f = { $0 &- $1 }
            case "Mul": f = { $0 &* $1 }
            case "Div": f = { if $1 == 0 { throw node.invalid("integer division by zero") }; return $0 / $1 }
            case "Max": f = { max($0, $1) }
            case "Min": f = { min($0, $1) }
            case "Pow": f = { Int64(pow(Double($0), Double($1))) }
            default: throw node.invalid("integer inputs are not supported")
            }
            return Tensor(shape: outShape, ints: try (0..<n).map { try f(x[oa[$0]], y[ob[$0]]) })
        }
        let x = a.floatValues, y = b.floatValues
        let f: (Float, Float) -> Float
        switch node.opType {
        case "Add", "Sum": f = { $0 + $1 }
        case "Sub": f = { $0 - $1 }
        case "Mul": f = { $0 * $1 }
        case "Div": f = { $0 / $1 }
        case "Pow": f = { powf($0, $1) }
        case "Max": f = { max($0, $1) }
        case "Min": f = { min($0, $1) }
        case "PRelu": f = { $0 >= 0 ? $0 : $0 * $1 }
        default: throw EngineError.unsupportedOperator(op: node.opType, node: node.name, opset: 0)
        }
        var out = [Float](repeating: 0, count: n)
        for i in 0..<n { out[i] = f(x[oa[i]], y[ob[i]]) }
        return Tensor(shape: outShape, floats: out)
    }
}
