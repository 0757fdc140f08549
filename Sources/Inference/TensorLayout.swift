/// Transposition between a volume's memory order (i fastest) and a tensor's C order over
/// (d0, d1, d2) where d_t is volume axis `axes[t]` (d2 fastest).
public enum TensorLayout {
    /// Returns the values in tensor order and the tensor shape [d0, d1, d2].
    public static func toTensorOrder<T>(_ values: [T], size: SIMD3<Int>, axes: [Int]) -> ([T], [Int]) {
        precondition(Set(axes) == [0, 1, 2], "tensor axes \(axes) must be a permutation of 0, 1, 2")
        let shape = axes.map { size[$0] }
        if axes == [2, 1, 0] { return (values, shape) }     // already C order (k, j, i)
        let stride = SIMD3<Int>(1, size.x, size.x * size.y)
        let s0 = stride[axes[0]], s1 = stride[axes[1]], s2 = stride[axes[2]]
        var out = [T]()
        out.reserveCapacity(values.count)
        for a in 0..<shape[0] { for b in 0..<shape[1] {
            var offset = a * s0 + b * s1
            for _ in 0..<shape[2] { out.append(values[offset]); offset += s2 }
        }}
        return (out, shape)
    }

    /// The inverse of `toTensorOrder`: tensor-ordered values back to volume order (i fastest).
    public static func fromTensorOrder<T>(_ values: [T], size: SIMD3<Int>, axes: [Int]) -> [T] {
        let shape = axes.map { size[$0] }
        if axes == [2, 1, 0] { return values }
        let stride = SIMD3<Int>(1, size.x, size.x * size.y)
        let s0 = stride[axes[0]], s1 = stride[axes[1]], s2 = stride[axes[2]]
        var out = values
        var source = 0
        for a in 0..<shape[0] { for b in 0..<shape[1] {
            var offset = a * s0 + b * s1
            for _ in 0..<shape[2] { out[offset] = values[source]; source += 1; offset += s2 }
        }}
        return out
    }
}
