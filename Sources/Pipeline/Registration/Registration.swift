import Foundation
import Imaging

/// Rigid (6 degrees of freedom) or affine (12) registration.
public enum RegistrationKind: String, Codable, Sendable, CaseIterable {
    case rigid, affine
}

/// The result of registering a later study (moving) to an earlier one (fixed).
public struct RegistrationResult: Codable, Equatable, Sendable {
    public var kind: RegistrationKind
    /// Maps a point of the fixed study (LPS, mm) to the point of the moving study showing the same anatomy.
    public var fixedToMoving: AffineTransform3
    public var quality: RegistrationQuality
    public var seconds: Double
    /// "elastix" and its parameter file.
    public var tool: String
}

/// Registration of two studies of one patient whose frames of reference differ.
public enum Registration {
    /// Registers `moving` onto `fixed` with elastix and measures the result (`RegistrationQuality`).
    /// The result is returned whether or not its quality passes: callers decide (and record it) before refusing.
    /// - Throws: `RegistrationError` (`toolMissing`, `failed`).
    public static func register(fixed: Volume<Float>, moving: Volume<Float>, kind: RegistrationKind = .rigid,
                                minimumNMI: Double = RegistrationQuality.defaultMinimumNMI,
                                minimumOverlap: Double = RegistrationQuality.defaultMinimumOverlap,
                                threads: Int? = nil) throws -> RegistrationResult {
        let start = Date()
        let transform = try Elastix.register(fixed: fixed, moving: moving, kind: kind, threads: threads)
        let before = RegistrationQuality.nmi(fixed: fixed, moving: moving, transform: .identity)
        let after = RegistrationQuality.nmi(fixed: fixed, moving: moving, transform: transform)
        let quality = RegistrationQuality(nmiBefore: before.nmi, nmiAfter: after.nmi, overlapFraction: after.overlap,
                                          minimumNMI: minimumNMI, minimumOverlap: minimumOverlap)
        return RegistrationResult(kind: kind, fixedToMoving: transform, quality: quality, seconds: Date().timeIntervalSince(start),
                                  tool: "elastix (Parameters/\(kind.rawValue).txt)")
    }
}
