import Core
/// Element types the engine computes with. ONNX int32/int8/uint8/bool tensors are widened to int64
/// on import; double and float16 are narrowed/widened to float32.
public enum ElementType: String, Sendable, Equatable {
    case float32, int64
}

/// A dense tensor in row-major (C) order: NCHW for 2D images, NCDHW for 3D volumes.
/// Exactly one of `floats` / `ints` holds the elements, according to `elementType`.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var elementType: ElementType
    public var floats: [Float]
    public var ints: [Int64]

    /// A float32 tensor. Precondition: `floats.count` equals the product of `shape`.
    public init(shape: [Int], floats: [Float]) {
        precondition(floats.count == Tensor.elementCount(shape), "tensor data does not match shape \(shape)")
        self.shape = shape; self.elementType = .float32; self.floats = floats; self.ints = []
    }

    /// An int64 tensor. Precondition: `ints.count` equals the product of `shape`.
    public init(shape: [Int], ints: [Int64]) {
        precondition(ints.count == Tensor.elementCount(shape), "tensor data does not match shape \(shape)")
        self.shape = shape; self.elementType = .int64; self.floats = []; self.ints = ints
    }

    /// A float32 tensor filled with `value`.
    public init(shape: [Int], repeating value: Float) {
        self.init(shape: shape, floats: [Float](repeating: value, count: Tensor.elementCount(shape)))
    }

    public var count: Int { Tensor.elementCount(shape) }
    public var rank: Int { shape.count }

    /// Elements as Float (int64 converted).
    public var floatValues: [Float] { elementType == .float32 ? floats : ints.map { Float($0) } }
    /// Elements as Int64 (float truncated toward zero).
    public var intValues: [Int64] {
        elementType == .int64 ? ints : floats.map { $0.isFinite ? Int64(exactly: $0.rounded(.towardZero)) ?? 0 : 0 }
    }

    /// Same elements, new shape. Precondition: element counts match.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var t = self
        precondition(Tensor.elementCount(newShape) == count)
        t.shape = newShape
        return t
    }

    public static func elementCount(_ shape: [Int]) -> Int { shape.reduce(1, *) }

    /// Product of `shape`, or nil when a dim is negative or the product overflows (`MemoryBudget.product`).
    static func checkedElementCount(_ shape: [Int]) -> Int? { MemoryBudget.product(shape) }

    /// Row-major strides in elements.
    public static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = acc; acc *= shape[i] }
        return s
    }
}
