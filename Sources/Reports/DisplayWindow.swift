import Imaging

/// The intensity range mapped from black to white in the key images.
public struct DisplayWindow: Sendable, Equatable {
    public var lowerValue: Double
    public var upperValue: Double

    public init(lowerValue: Double, upperValue: Double) {
        self.lowerValue = lowerValue
        self.upperValue = upperValue
    }

    /// Soft-tissue CT window (width 400 HU, level 40 HU): -160 ... 240 HU.
    public static let ctSoftTissue = DisplayWindow(lowerValue: -160, upperValue: 240)

    /// CT (Hounsfield units) gets `ctSoftTissue`; anything else the 0.5th to 99.5th percentile of the
    /// finite voxels (sampled with a stride so at most about 1 M voxels are sorted). A constant or empty
    /// image gets a window one unit wide so the mapping stays defined.
    public static func automatic(for image: Volume<Float>, modality: String) -> DisplayWindow {
        if modality.uppercased() == "CT" { return ctSoftTissue }
        let stride = max(1, image.voxels.count / 1_000_000)
        var sample = [Float]()
        sample.reserveCapacity(image.voxels.count / stride + 1)
        var n = 0
        while n < image.voxels.count {
            let v = image.voxels[n]
            if v.isFinite { sample.append(v) }
            n += stride
        }
        guard !sample.isEmpty else { return DisplayWindow(lowerValue: 0, upperValue: 1) }
        sample.sort()
        func percentile(_ p: Double) -> Double {
            Double(sample[min(sample.count - 1, max(0, Int((p / 100 * Double(sample.count - 1)).rounded())))])
        }
        let lower = percentile(0.5), upper = percentile(99.5)
        return DisplayWindow(lowerValue: lower, upperValue: upper > lower ? upper : lower + 1)
    }

    /// Grey level 0...255 of an intensity (NaN is black).
    @inlinable public func grey(_ value: Float) -> UInt8 {
        let t = (Double(value) - lowerValue) / (upperValue - lowerValue)
        guard t.isFinite else { return 0 }
        return UInt8(min(255, max(0, (t * 255).rounded())))
    }
}
