import Dispatch

/// A broadcasting Add/Sub/Mul/Div/Max/Min on plain (row-major) float tensors, for the broadcast
/// patterns oneDNN 2.6's binary primitive has only its reference implementation for (`ref:any`,
/// which indexes every element through generic offset arithmetic). The case that matters:
/// SwinUNETR's shifted-window attention adds its mask with a broadcast along a middle axis
/// (1x343x3x343x343 + 1x343x1x343x343), which took 5.8 s per run in `ref:any` and is a
/// memory-bound pass here.
///
/// The output's axes are merged into runs that are either all broadcast in src1 or all not, so the
/// innermost loop is a contiguous vector-vector or vector-scalar loop.
struct BroadcastBinary: FastKernel {
    enum Op: String { case add = "Add", sub = "Sub", mul = "Mul", div = "Div", max = "Max", min = "Min" }
    let op: Op
    /// Merged output extents (row-major) and src1's element stride along each (0 where broadcast).
    let extents: [Int]
    let strides: [Int]
    let threads: Int

    /// nil when `src1` (padded to the output's rank) is not a broadcast of `out`.
    init?(op: String, out: [Int], src1: [Int], threads: Int) {
        guard let op = Op(rawValue: op), src1.count == out.count, zip(src1, out).allSatisfy({ $0 == $1 || $0 == 1 }) else { return nil }
        self.op = op
        self.threads = max(1, threads)
        var s1 = [Int](repeating: 1, count: out.count)
        for d in stride(from: out.count - 2, through: 0, by: -1) { s1[d] = s1[d + 1] * src1[d + 1] }
        var extents: [Int] = [], strides: [Int] = [], broadcast: [Bool] = []
        for d in 0..<out.count where out[d] != 1 {
            let b = src1[d] == 1
            if let last = broadcast.last, last == b {
                extents[extents.count - 1] *= out[d]
                if !b { strides[strides.count - 1] = s1[d] }
            } else {
                extents.append(out[d]); strides.append(b ? 0 : s1[d]); broadcast.append(b)
            }
        }
        if extents.isEmpty { extents = [1]; strides = [0] }
        self.extents = extents
        self.strides = strides
    }

    /// Operands: src0 (the output's shape), src1, dst (may be src0).
    func run(_ p: [UnsafeMutableRawPointer]) {
        let (a, b, dst) = (p[0], p[1], p[2])
        switch op {
        case .add: run(Add.self, a, b, dst)
        case .sub: run(Sub.self, a, b, dst)
        case .mul: run(Mul.self, a, b, dst)
        case .div: run(Div.self, a, b, dst)
        case .max: run(Maximum.self, a, b, dst)
        case .min: run(Minimum.self, a, b, dst)
        }
    }

    private func run<O: FloatBinary>(_: O.Type, _ a: UnsafeMutableRawPointer, _ b: UnsafeMutableRawPointer, _ dst: UnsafeMutableRawPointer) {
        let x = UnsafePointer(a.assumingMemoryBound(to: Float.self)), y = UnsafePointer(b.assumingMemoryBound(to: Float.self))
        let z = dst.assumingMemoryBound(to: Float.self)
        let inner = extents[extents.count - 1], innerStride = strides[strides.count - 1]
        let outer = Array(extents.dropLast()), outerStrides = Array(strides.dropLast())
        let rows = outer.reduce(1, *)
        nonisolated(unsafe) let (x0, y0, z0) = (x, y, z)
        parallelRows(rows, elementsPerRow: inner, threads: threads) { range in
            for row in range {
                let xs = x0 + row * inner, zs = z0 + row * inner, ys = y0 + rowOffset(row, extents: outer, strides: outerStrides)
                if innerStride == 0 {
                    let v = ys[0]
                    for i in 0..<inner { zs[i] = O.apply(xs[i], v) }
                } else {
                    for i in 0..<inner { zs[i] = O.apply(xs[i], ys[i]) }
                }
            }
        }
    }
}

private protocol FloatBinary: SendableMetatype { static func apply(_ a: Float, _ b: Float) -> Float }
private enum Add: FloatBinary { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a + b } }
private enum Sub: FloatBinary { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a - b } }
private enum Mul: FloatBinary { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a * b } }
private enum Div: FloatBinary { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { a / b } }
private enum Maximum: FloatBinary { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { Swift.max(a, b) } }
private enum Minimum: FloatBinary { @inline(__always) static func apply(_ a: Float, _ b: Float) -> Float { Swift.min(a, b) } }
