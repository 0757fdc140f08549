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
/// plus the transforms' memory traffic (transformed input, products and weights, each float
/// counted as `winogradMovedFloatCost` multiply-adds per thread) are under 0.8 of the taps' products.
/// So on one thread DeepLabV3 ResNet-50's layers 1-4 (0.38-0.74 of the taps' cost) and the ASPP's
/// 5x5 to 6x6 and 3x3 phases (0.69-0.80) run as Winograd, its 2x3 and smaller phases as taps (on two
/// threads: layers 3-4 only); MobileNetV3's ASPP (960 channels, 3x3 and smaller phases) stays as taps
/// unless its transformed weights are kept (`keptWinogradBudget`). A plain or dilation-2 convolution, which would
/// otherwise run oneDNN's direct kernel, takes this path only when every class pair is Winograd.
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
    /// The tile sizes with which a batch of (rows x cols) sub-images of `c` to `oc` channels runs as
    /// Winograd, or nil when the per-tap products are cheaper (the rule above).
    /// With `keptWeights` the weights are transformed once at compile time (`keptWinogradBudget`), so
    /// their transform's traffic is not counted.
    static func phaseWinograd(rows: Int, cols: Int, batch: Int, channels c: Int, outChannels oc: Int, threads: Int = 1,
                              keptWeights: Bool = false) -> (mr: Int, mc: Int)? {
        guard let mr = WinogradAxis.best(rows), let mc = WinogradAxis.best(cols) else { return nil }
        let points = Double((mr + 2) * (mc + 2)), (c, oc) = (Double(c), Double(oc))
        let lines = Double(WinogradAxis.tiles(rows, m: mr) * WinogradAxis.tiles(cols, m: mc) * batch)
        let products = points * lines * c * oc
        let moved = points * (lines * (c + 2 * oc) + (keptWeights ? 0 : c * oc))
        let taps = Double(WinogradAxis.tapProducts(rows) * WinogradAxis.tapProducts(cols) * batch) * c * oc
        return products + winogradMovedFloatCost * Double(max(1, threads)) * moved < 0.8 * taps ? (mr, mc) : nil
    }

    /// Multiply-adds one float written or read by the transforms costs on one thread: they run at
    /// memory speed, 2-5 GB/s measured on the Zen 3 VM against 85 GFLOP/s for sgemm. Threads share
    /// the memory bandwidth, so the cost is this times the threads (DeepLabV3 ResNet-50 at 2 threads:
    /// 1.453 s against 1.520 s with the one-thread cost, BENCHMARKS.md).
    static let winogradMovedFloatCost = 40.0

    /// Bytes of transformed Winograd weights one executor may keep (made at compile time instead of on
    /// every run). A class pair keeps its weights only when that is what makes it Winograd, in graph order
    /// while they fit. Kept weights are (alpha_r * alpha_c) / 9 times the taps' size, so keeping all of
    /// them cost DeepLabV3 ResNet-50 350 MB; within 40 MB, DeepLabV3 MobileNetV3's ASPP dilation-12 (3 x 3)
    /// pair (24.6 MB) and its head's 3x3 convolution (9.4 MB) keep theirs and run as Winograd on two
    /// threads too, with the peak still under onnxruntime's (BENCHMARKS.md, issue 16, session 20).
    static let keptWinogradBudget = 40 << 20
}

/// Winograd over one phase class pair: operands are the source [rows][cols][batch][C], the nine
/// taps' [C x Cout] weight matrices (as `PhaseTapGemm` takes them), the destination
/// [rows][cols][batch][Cout] and three scratch buffers (`scratchFloats`): the transformed input,
/// the products and the transformed weights U[x][y] = Gr W Gc^T. The weights are transformed on
/// every run rather than kept: (alpha_r * alpha_c) / 9 times the taps' size, up to 4x, which on
/// DeepLabV3 ResNet-50 was 350 MB more than onnxruntime's whole peak; the transform reads the taps
/// once and costs about 2 % of the products. With `keptWeights` (within `keptWinogradBudget`) the
/// weights operand is instead U for all points, [point][C x Cout], made once by `transformedWeights`,
/// and there is no weights scratch.
///
/// The scratch stays within `scratchBudget` bytes (unless one row of points on `minimumChunkLines`
/// lines alone needs more): the point rows x run in groups, as many rows per group as fit with at
/// least `minimumChunkLines` lines, and within a group the lines (tiles x batch) in chunks. A group
/// transforms its weights once for all its chunks; every group after the first adds its share to
/// the output, so fewer groups read the source and the destination fewer times.
struct PhaseWinogradGemm: FastKernel {
    let shape: PhaseTapGemm.Shape
    let channels: Int
    let outChannels: Int
    let rowsAxis: WinogradAxis, colsAxis: WinogradAxis
    let bias: [Float]?
    /// Relu (0) or LeakyRelu (its slope) applied after the sum; nil for none.
    let reluSlope: Float?
    let threads: Int
    /// Tiles per sub-image; lines = tiles * batch.
    let tiles: Int
    /// The point rows x, in groups, and the lines per chunk within a group.
    let rowGroups: [Range<Int>]
    let chunkLines: Int
    /// coefficients[(x * alpha_c + y) * 9 + ky * 3 + kx] = Gr[x][ky] * Gc[y][kx].
    let coefficients: [Float]
    /// Whether the weights operand is the transformed weights of every point (else the nine taps).
    let keptWeights: Bool

    static let defaultScratchBudget = 48 << 20
    /// Fewest lines a chunk has (sgemm's M) unless the map has fewer: from about 256 rows sgemm runs
    /// at full speed. With this, DeepLabV3's phase maps (at most 256 lines, or all rows in one
    /// group) group as they did before chunks existed; Mask R-CNN's RoI heads (4,000 lines) chunk.
    static let minimumChunkLines = 256

    init(shape: PhaseTapGemm.Shape, channels: Int, outChannels: Int, rowsAxis: WinogradAxis, colsAxis: WinogradAxis, bias: [Float]?,
         reluSlope: Float?, threads: Int, scratchBudget: Int = PhaseWinogradGemm.defaultScratchBudget, keptWeights: Bool = false) {
        (self.shape, self.channels, self.outChannels, self.rowsAxis, self.colsAxis) = (shape, channels, outChannels, rowsAxis, colsAxis)
        (self.bias, self.reluSlope, self.threads, self.keptWeights) = (bias, reluSlope, threads, keptWeights)
        tiles = WinogradAxis.tiles(shape.rows, m: rowsAxis.m) * WinogradAxis.tiles(shape.cols, m: colsAxis.m)
        let lines = tiles * shape.batch, floats = scratchBudget / 4
        let minLines = min(lines, Self.minimumChunkLines)
        let perRowWeights = keptWeights ? 0 : colsAxis.alpha * channels * outChannels, perRowLine = colsAxis.alpha * (channels + outChannels)
        let rows = max(1, min(rowsAxis.alpha, floats / (perRowWeights + minLines * perRowLine)))
        chunkLines = max(minLines, min(lines, (floats - rows * perRowWeights) / (rows * perRowLine)))
        rowGroups = stride(from: 0, to: rowsAxis.alpha, by: rows).map { $0..<min($0 + rows, rowsAxis.alpha) }
        var c = [Float](repeating: 0, count: rowsAxis.alpha * colsAxis.alpha * 9)
        for x in 0..<rowsAxis.alpha { for y in 0..<colsAxis.alpha { for ky in 0..<3 { for kx in 0..<3 {
            c[(x * colsAxis.alpha + y) * 9 + ky * 3 + kx] = Float(rowsAxis.g[x * 3 + ky] * colsAxis.g[y * 3 + kx])
        } } } }
        coefficients = c
    }

    var points: Int { rowsAxis.alpha * colsAxis.alpha }
    /// Floats of the three scratch buffers: transformed input, products, transformed weights.
    var scratchFloats: (input: Int, products: Int, weights: Int) {
        let groupPoints = rowGroups.map(\.count).max()! * colsAxis.alpha
        return (groupPoints * chunkLines * channels, groupPoints * chunkLines * outChannels, keptWeights ? 0 : groupPoints * channels * outChannels)
    }

    /// U for every point, [point][C x Cout], from the nine taps' [C x Cout] matrices: the weights operand
    /// of a kernel with `keptWeights`.
    func transformedWeights(taps w9: UnsafePointer<Float>, into u: UnsafeMutablePointer<Float>) {
        let elements = channels * outChannels
        coefficients.withUnsafeBufferPointer { k in
            parallelRows(elements, elementsPerRow: points * 9, threads: threads) { r in
                ss_winograd_weights(w9, elements, Int32(points), k.baseAddress!, r.lowerBound, r.upperBound, u)
            }
        }
    }

    func run(_ p: [UnsafeMutableRawPointer]) {
        let src = p[0].assumingMemoryBound(to: Float.self), w9 = p[1].assumingMemoryBound(to: Float.self)
        let dst = p[2].assumingMemoryBound(to: Float.self)
        let v = p[3].assumingMemoryBound(to: Float.self), m = p[4].assumingMemoryBound(to: Float.self)
        let (b, c, oc, lines, chunk) = (shape.batch, channels, outChannels, tiles * shape.batch, chunkLines)
        let (ni, nj, mr, mc) = (shape.rows, shape.cols, Int32(rowsAxis.m), Int32(colsAxis.m))
        let elements = c * oc
        for (index, g) in rowGroups.enumerated() {
            let groupPoints = g.count * colsAxis.alpha, (x0, x1) = (Int32(g.lowerBound), Int32(g.upperBound))
            let u: UnsafeMutablePointer<Float>
            if keptWeights {
                u = w9 + g.lowerBound * colsAxis.alpha * elements
            } else {
                u = p[5].assumingMemoryBound(to: Float.self)
                coefficients.withUnsafeBufferPointer { k in
                    parallelRows(elements, elementsPerRow: groupPoints * 9, threads: threads) { r in
                        ss_winograd_weights(w9, elements, Int32(groupPoints), k.baseAddress! + g.lowerBound * colsAxis.alpha * 9, r.lowerBound, r.upperBound, u)
                    }
                }
            }
            let (first, last) = (Int32(index == 0 ? 1 : 0), Int32(index == rowGroups.count - 1 ? 1 : 0))
            for base in stride(from: 0, to: lines, by: chunk) {
                let n = min(chunk, lines - base)
                rowsAxis.bt.withUnsafeBufferPointer { btr in colsAxis.bt.withUnsafeBufferPointer { btc in
                    parallelRows(n, elementsPerRow: c * groupPoints, threads: threads) { r in
                        ss_winograd_input(src, ni, nj, b, c, mr, mc, btr.baseAddress, btc.baseAddress, x0, x1, base + r.lowerBound, base + r.upperBound, base, chunk, v)
                    }
                } }
                // The products are independent: one worker each, every sgemm on one thread (inside a parallel
                // region oneDNN does not start more), which scales better than threading each of them. When
                // the points do not divide among the workers, each product is split by lines as well.
                let splits = groupPoints % threads == 0 ? 1 : threads
                parallelItems(groupPoints * splits, threads: threads) { item in
                    let (x, part) = (item / splits, item % splits)
                    let (l0, l1) = (part * n / splits, (part + 1) * n / splits)
                    let status = dnnl_sgemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "N")), dnnl_dim_t(l1 - l0), dnnl_dim_t(oc), dnnl_dim_t(c),
                                   1, v + (x * chunk + l0) * c, dnnl_dim_t(c), u + x * c * oc, dnnl_dim_t(oc), 0, m + (x * chunk + l0) * oc, dnnl_dim_t(oc))
                    // The sizes are the kernel's own, fixed at compile time: a failure is a bug here (FastKernel.run cannot throw).
                    assert(status == dnnl_success, "dnnl_sgemm failed: \(status)")
                }
                rowsAxis.at.withUnsafeBufferPointer { atr in colsAxis.at.withUnsafeBufferPointer { atc in
                    let go = { (bp: UnsafePointer<Float>?) in
                        parallelRows(n, elementsPerRow: oc * groupPoints, threads: threads) { r in
                            ss_winograd_output(m, ni, nj, b, oc, mr, mc, atr.baseAddress, atc.baseAddress, x0, x1, first, last, bp,
                                               reluSlope == nil ? 0 : 1, reluSlope ?? 0, base + r.lowerBound, base + r.upperBound, base, chunk, dst)
                        }
                    }
                    if let bias { bias.withUnsafeBufferPointer { go($0.baseAddress) } } else { go(nil) }
                } }
            }
        }
    }
}
