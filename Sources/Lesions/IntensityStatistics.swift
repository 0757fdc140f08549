import Imaging

/// First-order statistics of image values inside a region, with pyradiomics' definitions:
/// population standard deviation (divide by N), percentiles and median by linear interpolation
/// between order statistics (numpy's default). Nil for an empty region.
public struct IntensityStatistics: Sendable, Codable, Equatable {
    public var count: Int
    public var mean: Double
    public var standardDeviation: Double
    public var minimum: Double
    public var maximum: Double
    public var median: Double
    public var percentile5: Double
    public var percentile95: Double
    public var percentile10: Double
    public var percentile90: Double

    /// - Returns: nil when no voxel of `image` is selected by `inside`.
    public init?(values: [Double]) {
        guard !values.isEmpty else { return nil }
        let n = values.count
        count = n
        // Only ten order statistics are needed: a multi-selection puts them in place in O(n)
        // expected (sorting every value took a fifth of the measurement time on a 37 M-voxel lesion).
        var ordered = values
        let qs: [Double] = [5, 10, 50, 90, 95]
        let ranks = Set(qs.flatMap { q -> [Int] in
            let lo = Int((q / 100 * Double(n - 1)).rounded(.down))
            return [lo, min(lo + 1, n - 1)]
        }).sorted()
        Self.select(&ordered, ranks: ranks[...], lo: 0, hi: n - 1)
        var sum = 0.0
        for v in values { sum += v }
        mean = sum / Double(count)
        var ss = 0.0
        for v in values { ss += (v - mean) * (v - mean) }
        standardDeviation = (ss / Double(count)).squareRoot()
        minimum = values.min()!
        maximum = values.max()!
        median = Self.percentile(ordered, 50)
        percentile5 = Self.percentile(ordered, 5)
        percentile95 = Self.percentile(ordered, 95)
        percentile10 = Self.percentile(ordered, 10)
        percentile90 = Self.percentile(ordered, 90)
    }

    /// Rearranges `a[lo...hi]` so that every rank in `ranks` (ascending, within lo...hi) holds the
    /// value it would hold if the slice were sorted (recursive Hoare partitions around a median of
    /// three, descending only into parts that contain a wanted rank; small parts are sorted).
    static func select(_ a: inout [Double], ranks: ArraySlice<Int>, lo: Int, hi: Int) {
        guard !ranks.isEmpty, lo < hi else { return }
        if hi - lo < 32 { a[lo...hi].sort(); return }
        let m = lo + (hi - lo) / 2
        let pivot = max(min(a[lo], a[m]), min(max(a[lo], a[m]), a[hi]))
        var i = lo, j = hi
        while i <= j {
            while a[i] < pivot { i += 1 }
            while pivot < a[j] { j -= 1 }
            if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
        }
        // Now a[lo...j] <= pivot <= a[i...hi], and any a[j+1..<i] equals the pivot (already in place).
        let left = ranks.prefix { $0 <= j }, right = ranks.drop { $0 < i }
        select(&a, ranks: left, lo: lo, hi: j)
        select(&a, ranks: right, lo: i, hi: hi)
    }

    /// numpy.percentile(method="linear") of values whose needed order statistics are in place.
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        let pos = q / 100 * Double(sorted.count - 1)
        let lo = Int(pos.rounded(.down))
        let hi = min(lo + 1, sorted.count - 1)
        let frac = pos - Double(lo)
        if frac == 0 { return sorted[lo] }
        return sorted[lo] + (sorted[hi] - sorted[lo]) * frac
    }

    /// Values of `image` where `selected(index)` holds.
    public init?<V: VoxelScalar>(image: Volume<V>, where selected: (Int) -> Bool) {
        var values: [Double] = []
        for v in 0..<image.voxels.count where selected(v) { values.append(image.voxels[v].doubleValue) }
        self.init(values: values)
    }
}
