import Foundation
import Imaging

/// Resampling of loaded stacks with uneven slice steps onto even ones (`--uneven-spacing resample`).
enum EvenSpacing {
    /// Linear interpolation along k between the two source slices around each even position.
    /// The new step is the source span divided by round(span / median step): first and last
    /// slices stay where they were.
    static func resample(_ volume: Volume<Float>, distancesMM d: [Double]) -> Volume<Float> {
        let span = d.last! - d.first!
        let count = evenSliceCount(distancesMM: d)
        let spacing = span / Double(count - 1)
        let plane = volume.size.x * volume.size.y
        var out = [Float](repeating: 0, count: plane * count)
        var lower = 0
        volume.voxels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for k in 0..<count {
                    let t = d.first! + Double(k) * spacing
                    while lower + 1 < d.count - 1 && d[lower + 1] <= t { lower += 1 }
                    let upper = min(lower + 1, d.count - 1)
                    let w = upper == lower ? 0 : Float(min(1, max(0, (t - d[lower]) / (d[upper] - d[lower]))))
                    let a = lower * plane, b = upper * plane, o = k * plane
                    for n in 0..<plane { dst[o + n] = src[a + n] * (1 - w) + src[b + n] * w }
                }
            }
        }
        var g = volume.geometry
        g.size.z = count
        g.spacingMM.z = spacing
        return Volume(geometry: g, voxels: out)
    }

    /// Slices of the even grid: round(span / median step) + 1, at least 2.
    static func evenSliceCount(distancesMM d: [Double]) -> Int {
        let steps = zip(d.dropFirst(), d).map { $0 - $1 }.sorted()
        let median = steps[steps.count / 2]
        let ratio = (d.last! - d.first!) / median
        guard ratio.isFinite, ratio < 1e9 else { return Int.max / 2 }
        return max(2, Int(ratio.rounded()) + 1)
    }

    /// For each even slice, the source slice at the same position (within 1% of a step), else nil.
    static func sources(_ slices: [DICOMSlice], distancesMM d: [Double], spacingMM: Double, count: Int) -> [DICOMSlice?] {
        (0..<count).map { k in
            let t = d.first! + Double(k) * spacingMM
            guard let i = d.indices.min(by: { abs(d[$0] - t) < abs(d[$1] - t) }), abs(d[i] - t) < 0.01 * spacingMM else { return nil }
            return slices[i]
        }
    }
}
