import Imaging

/// Exact Euclidean distance transforms on a grid with per-axis spacing (mm), by the separable
/// lower-envelope algorithm of Felzenszwalb and Huttenlocher (2012).
///
/// Distances use `spacingMM` only, so they are patient-space distances on grids whose direction is
/// orthonormal (rotations preserve length). Sheared grids need the caller's own handling.
enum DistanceTransform {
    /// Squared distance (mm^2) from every voxel to the nearest voxel where `feature` is true;
    /// `.infinity` everywhere when no voxel is a feature.
    static func squaredMM(feature: [Bool], size n: SIMD3<Int>, spacingMM s: Vector3) -> [Double] {
        precondition(feature.count == n.x * n.y * n.z)
        var d = feature.map { $0 ? 0.0 : Double.infinity }
        let strides = [1, n.x, n.x * n.y]
        let dims = [n.x, n.y, n.z]
        let longest = dims.max() ?? 1
        var line = [Double](repeating: 0, count: longest)
        var out = [Double](repeating: 0, count: longest)
        var v = [Int](repeating: 0, count: longest)
        var z = [Double](repeating: 0, count: longest + 1)
        d.withUnsafeMutableBufferPointer { dp in
            for axis in 0..<3 {
                let len = dims[axis], stride = strides[axis], w = s[axis] * s[axis]
                // Every line along `axis`: iterate the other two axes.
                let others = (0..<3).filter { $0 != axis }
                let (a, b) = (others[0], others[1])
                for ib in 0..<dims[b] {
                    for ia in 0..<dims[a] {
                        let base = ia * strides[a] + ib * strides[b]
                        var any = false
                        for t in 0..<len {
                            let x = dp[base + t * stride]
                            line[t] = x
                            if x.isFinite { any = true }
                        }
                        if !any { continue }  // nothing to propagate along this line
                        lowerEnvelope(line, count: len, weight: w, out: &out, v: &v, z: &z)
                        for t in 0..<len { dp[base + t * stride] = out[t] }
                    }
                }
            }
        }
        return d
    }

    @inline(__always) private static func intersection(_ f: [Double], _ p: Int, _ q: Int, _ w: Double) -> Double {
        ((f[q] + w * Double(q * q)) - (f[p] + w * Double(p * p))) / (2 * w * Double(q - p))
    }

    /// One-dimensional squared distance transform: out[q] = min_p (line[p] + weight * (q - p)^2).
    private static func lowerEnvelope(_ f: [Double], count n: Int, weight w: Double,
                                      out: inout [Double], v: inout [Int], z: inout [Double]) {
        var k = -1
        for q in 0..<n where f[q].isFinite {
            if k < 0 {
                k = 0; v[0] = q; z[0] = -.infinity; z[1] = .infinity
                continue
            }
            // z[0] is -infinity, so the loop stops at k == 0 at the latest.
            var s = intersection(f, v[k], q, w)
            while s <= z[k] { k -= 1; s = intersection(f, v[k], q, w) }
            k += 1; v[k] = q; z[k] = s; z[k + 1] = .infinity
        }
        if k < 0 {
            for q in 0..<n { out[q] = .infinity }
            return
        }
        var j = 0
        for q in 0..<n {
            while z[j + 1] < Double(q) { j += 1 }
            let dq = Double(q - v[j])
            out[q] = w * dq * dq + f[v[j]]
        }
    }
}
