import CDNNL
import CKernels
import Foundation

/// Winograd F(mr x mc, 3 x 3) on the phase sub-images of `FastDilatedPhases.swift`: where a class
/// pair's sub-images are big enough, the nine per-tap products are replaced by (mr + 2)(mc + 2)
/// products over transformed tiles (`ss_winograd_input` / `ss_winograd_output` in CKernels). On a
/// 16x16 sub-image F(4x4) does 576 multiplications per channel pair where the taps do 2116; on the
/// ASPP's 6x6 ones F(3x3) does 100 where the taps do 256. oneDNN 2.6 has Winograd only with AVX-512
/// (and not for dilated convolutions), so on AVX2 this is the engine's own.
///
/// Rule (`phaseWinograd`): per axis the tile size m in 2...4 with the fewest transformed points
/// (ceil(n / m) * (m + 2); an axis of 1 keeps the taps); the pair runs as Winograd when its products
/// plus twice its transforms' multiply-adds are under 0.8 of the taps' products (sgemm on the smaller
/// matrices and the transforms' memory traffic are the margin).
struct WinogradAxis: Equatable {
    let m: Int
    var alpha: Int { m + 2 }
    /// A^T (m x alpha), B^T (alpha x alpha) row-major, and G (alpha x 3) in Double for the weight transform.
    let at: [Float], bt: [Float], g: [Double]

    /// Interpolation points (and infinity) per tile size: small magnitudes keep fp32 rounding small.
    static let points: [Int: [Double]] = [2: [0, 1, -1], 3: [0, 1, -1, 0.5], 4: [0, 1, -1, 0.5, -2]]

    /// Cook-Toom construction for correlation with a 3-tap filter: y = A^T [(G g) . (B^T d)] with
    /// A^T[i][j] = a_j^i, G[j][k] = a_j^k / prod_{l != j}(a_j - a_l), B^T[j] = the coefficients of
    /// prod_{l != j}(x - a_l), and for the point at infinity A^T[m-1][n] = G[n][2] = 1 and B^T[n] = the
    /// coefficients of prod_l (x - a_l) (n = m + 1 finite points).
    init(m: Int) {
        precondition((2...4).contains(m))
        let a = Self.points[m]!, n = a.count, alpha = m + 2
        func coefficients(_ roots: [Double]) -> [Double] {
            var c = [1.0]
            for r in roots {
                var next = [Double](repeating: 0, count: c.count + 1)
                for (p, v) in c.enumerated() { next[p + 1] += v; next[p] -= r * v }
                c = next
            }
            return c + [Double](repeating: 0, count: alpha - c.count)
        }
        var at = [Float](repeating: 0, count: m * alpha), bt = [Float](repeating: 0, count: alpha * alpha)
        var g = [Double](repeating: 0, count: alpha * 3)
        for j in 0..<n {
            var f = 1.0
            for l in 0..<n where l != j { f *= a[j] - a[l] }
            for i in 0..<m { at[i * alpha + j] = Float(pow(a[j], Double(i))) }
            for k in 0..<3 { g[j * 3 + k] = pow(a[j], Double(k)) / f }
            let c = coefficients(a.enumerated().filter { $0.offset != j }.map(\.element))
            for p in 0..<alpha { bt[j * alpha + p] = Float(c[p]) }
        }
        at[(m - 1) * alpha + n] = 1
        g[n * 3 + 2] = 1
        let c = coefficients(a)
        for p in 0..<alpha { bt[n * alpha + p] = Float(c[p]) }
        (self.m, self.at, self.bt, self.g) = (m, at, bt, g)
    }

    static func tiles(_ n: Int, m: Int) -> Int { (n + m - 1) / m }

    /// The tile size with the fewest transformed points along an axis of n (nil for n = 1).
    static func best(_ n: Int) -> Int? {
        n < 2 ? nil : (2...4).min { (tiles(n, m: $0) * ($0 + 2), $0) < (tiles(n, m: $1) * ($1 + 2), $1) }
    }

    /// The taps that read the map along an axis of n (padding 1): n + 2(n - 1), or the centre for n = 1.
    static func tapProducts(_ n: Int) -> Int { n == 1 ? 1 : 3 * n - 2 }
}

extension FastExecutor {
    /// The tile sizes with which an (rows x cols) class pair of `c` to `oc` channels runs as Winograd,
    /// or nil when the per-tap products are cheaper (the rule above).
    static func phaseWinograd(rows: Int, cols: Int, channels c: Int, outChannels oc: Int) -> (mr: Int, mc: Int)? {
        guard let mr = WinogradAxis.best(rows), let mc = WinogradAxis.best(cols) else { return nil }
        let (ar, ac) = (Double(mr + 2), Double(mc + 2))
        let tiles = Double(WinogradAxis.tiles(rows, m: mr) * WinogradAxis.tiles(cols, m: mc))
        let products = tiles * ar * ac * Double(c * oc)
        let transforms = tiles * (ar * ac * (ar + ac) * Double(c) + Double(mr) * ac * (ar + Double(mc)) * Double(oc))
        let taps = Double(WinogradAxis.tapProducts(rows) * WinogradAxis.tapProducts(cols) * c * oc)
        return products + 2 * transforms < 0.8 * taps ? (mr, mc) : nil
    }

    /// The transformed weights U[x][y] = Gr W Gc^T as (alpha_r * alpha_c) row-major [C x Cout] matrices.
    func winogradWeights(_ w: Tensor, rows: WinogradAxis, cols: WinogradAxis) throws -> Int {
        let (oc, c) = (w.shape[0], w.shape[1]), points = rows.alpha * cols.alpha
        let wv = w.floatValues
        return pinnedRef(try DNNL.plain([points, c, oc]), bytes: points * c * oc * 4) { raw in
            let u = raw.bindMemory(to: Float.self, capacity: points * c * oc)
            var t = [Double](repeating: 0, count: rows.alpha * 3)
            for o in 0..<oc {
                for i in 0..<c {
                    let k = (o * c + i) * 9
                    for x in 0..<rows.alpha { for kx in 0..<3 {
                        t[x * 3 + kx] = (0..<3).reduce(0.0) { $0 + rows.g[x * 3 + $1] * Double(wv[k + $1 * 3 + kx]) }
                    } }
                    for x in 0..<rows.alpha { for y in 0..<cols.alpha {
                        let v = (0..<3).reduce(0.0) { $0 + t[x * 3 + $1] * cols.g[y * 3 + $1] }
                        u[((x * cols.alpha + y) * c + i) * oc + o] = Float(v)
                    } }
                }
            }
        }
    }
}

/// Winograd over one phase class pair: operands are the source [rows][cols][batch][C], the
/// transformed weights (`winogradWeights`), the destination [rows][cols][batch][Cout] and two
/// scratch buffers for the transformed input and products (`scratchFloats`).
struct PhaseWinogradGemm: FastKernel {
    let shape: PhaseTapGemm.Shape
    let channels: Int
    let outChannels: Int
    let rowsAxis: WinogradAxis, colsAxis: WinogradAxis
    let bias: [Float]?
    /// Relu (0) or LeakyRelu (its slope) applied after the sum; nil for none.
    let reluSlope: Float?
    let threads: Int

    var tiles: Int { WinogradAxis.tiles(shape.rows, m: rowsAxis.m) * WinogradAxis.tiles(shape.cols, m: colsAxis.m) }
    var points: Int { rowsAxis.alpha * colsAxis.alpha }
    /// Floats of the transformed input and of the products.
    var scratchFloats: (input: Int, products: Int) { (points * tiles * shape.batch * channels, points * tiles * shape.batch * outChannels) }

    func run(_ p: [UnsafeMutableRawPointer]) {
        let src = p[0].assumingMemoryBound(to: Float.self), u = p[1].assumingMemoryBound(to: Float.self)
        let dst = p[2].assumingMemoryBound(to: Float.self)
        let v = p[3].assumingMemoryBound(to: Float.self), m = p[4].assumingMemoryBound(to: Float.self)
        let (b, c, oc, lines) = (shape.batch, channels, outChannels, tiles * shape.batch)
        let (ni, nj, mr, mc) = (shape.rows, shape.cols, Int32(rowsAxis.m), Int32(colsAxis.m))
        rowsAxis.bt.withUnsafeBufferPointer { btr in colsAxis.bt.withUnsafeBufferPointer { btc in
            parallelRows(lines, elementsPerRow: c * points, threads: threads) { r in
                ss_winograd_input(src, ni, nj, b, c, mr, mc, btr.baseAddress, btc.baseAddress, r.lowerBound, r.upperBound, v)
            }
        } }
        // The products are independent: one worker each, every sgemm on one thread (inside a parallel
        // region oneDNN does not start more), which scales better than threading each of them.
        parallelItems(points, threads: threads) { x in
            _ = dnnl_sgemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "N")), dnnl_dim_t(lines), dnnl_dim_t(oc), dnnl_dim_t(c),
                           1, v + x * lines * c, dnnl_dim_t(c), u + x * c * oc, dnnl_dim_t(oc), 0, m + x * lines * oc, dnnl_dim_t(oc))
        }
        rowsAxis.at.withUnsafeBufferPointer { atr in colsAxis.at.withUnsafeBufferPointer { atc in
            let go = { (bp: UnsafePointer<Float>?) in
                parallelRows(lines, elementsPerRow: oc * points, threads: threads) { r in
                    ss_winograd_output(m, ni, nj, b, oc, mr, mc, atr.baseAddress, atc.baseAddress, bp, reluSlope == nil ? 0 : 1,
                                       reluSlope ?? 0, r.lowerBound, r.upperBound, dst)
                }
            }
            if let bias { bias.withUnsafeBufferPointer { go($0.baseAddress) } } else { go(nil) }
        } }
    }
}
