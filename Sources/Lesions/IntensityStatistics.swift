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
        let sorted = values.sorted()
        count = sorted.count
        var sum = 0.0
        for v in values { sum += v }
        mean = sum / Double(count)
        var ss = 0.0
        for v in values { ss += (v - mean) * (v - mean) }
        standardDeviation = (ss / Double(count)).squareRoot()
        minimum = sorted[0]
        maximum = sorted[count - 1]
        median = Self.percentile(sorted, 50)
        percentile5 = Self.percentile(sorted, 5)
        percentile95 = Self.percentile(sorted, 95)
        percentile10 = Self.percentile(sorted, 10)
        percentile90 = Self.percentile(sorted, 90)
    }

    /// numpy.percentile(method="linear") of sorted values.
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
