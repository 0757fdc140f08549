import Foundation
import Imaging

/// How well two images agree, before and after registration: normalised mutual information
/// (Studholme, Hill and Hawkes 1999), `NMI = (H(F) + H(M)) / H(F, M)`, from a 32 x 32 joint histogram
/// over the fixed image's voxels (every second voxel along each axis) that fall inside the moving image.
/// NMI is 1 for independent images and 2 for identical ones; it does not depend on the overlap size
/// the way plain mutual information does, so before and after can be compared.
public struct RegistrationQuality: Codable, Equatable, Sendable {
    /// NMI with the identity transform (the two studies' patient coordinates taken as one space).
    public var nmiBefore: Double
    /// NMI through the registration's transform.
    public var nmiAfter: Double
    /// Fraction of the fixed image's sampled voxels that the transform maps inside the moving image.
    public var overlapFraction: Double
    /// The acceptance rule's minimum NMI after registration.
    public var minimumNMI: Double
    /// The acceptance rule's minimum overlap.
    public var minimumOverlap: Double

    /// Accepted when NMI after registration is at least `minimumNMI`, no lower than before (registration
    /// must not make the alignment worse), and at least `minimumOverlap` of the fixed image is covered.
    public var accepted: Bool { nmiAfter >= minimumNMI && nmiAfter >= nmiBefore - 1e-3 && overlapFraction >= minimumOverlap }

    public var summary: String {
        String(format: "normalised mutual information %.3f before, %.3f after (minimum %.3f), overlap %.0f %% (minimum %.0f %%)",
               nmiBefore, nmiAfter, minimumNMI, overlapFraction * 100, minimumOverlap * 100)
    }

    /// Default thresholds (docs/REGISTRATION.md): NMI 1.10, overlap 50 %.
    public static let defaultMinimumNMI = 1.10
    public static let defaultMinimumOverlap = 0.5

    /// NMI of `fixed` and `moving` sampled through `transform` (fixed point -> moving point), and the overlap.
    static func nmi(fixed: Volume<Float>, moving: Volume<Float>, transform: AffineTransform3, bins: Int = 32) -> (nmi: Double, overlap: Double) {
        let sampled = moving.resampled(onto: transform.mapping(fixed.geometry), interpolation: .linear, outside: .nan)
        let range = { (values: [Float]) -> (Float, Float) in
            var lo = Float.infinity, hi = -Float.infinity
            for v in values where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
            return lo < hi ? (lo, hi) : (lo, lo + 1)
        }
        let (f0, f1) = range(fixed.voxels), (m0, m1) = range(moving.voxels)
        var joint = [Double](repeating: 0, count: bins * bins)
        var total = 0.0, considered = 0.0
        let n = fixed.geometry.size
        let fb = Float(bins - 1) / (f1 - f0), mb = Float(bins - 1) / (m1 - m0)
        for k in stride(from: 0, to: n.z, by: 2) { for j in stride(from: 0, to: n.y, by: 2) { for i in stride(from: 0, to: n.x, by: 2) {
            let index = fixed.linearIndex(i, j, k)
            let f = fixed.voxels[index], m = sampled.voxels[index]
            guard f.isFinite else { continue }
            considered += 1
            guard m.isFinite else { continue }
            let a = Int(max(0, min(Float(bins - 1), ((f - f0) * fb).rounded())))
            let b = Int(max(0, min(Float(bins - 1), ((m - m0) * mb).rounded())))
            joint[a * bins + b] += 1
            total += 1
        }}}
        guard total > 0 else { return (1, 0) }
        var pf = [Double](repeating: 0, count: bins), pm = [Double](repeating: 0, count: bins)
        var hJoint = 0.0
        for a in 0..<bins { for b in 0..<bins {
            let p = joint[a * bins + b] / total
            pf[a] += p; pm[b] += p
            if p > 0 { hJoint -= p * log(p) }
        }}
        let entropy = { (p: [Double]) in p.reduce(0) { $1 > 0 ? $0 - $1 * log($1) : $0 } }
        return (hJoint > 0 ? (entropy(pf) + entropy(pm)) / hJoint : 2, total / max(1, considered))
    }
}
