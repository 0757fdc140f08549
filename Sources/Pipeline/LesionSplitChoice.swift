import Inference
import Lesions

/// How a semantic model's mask becomes lesions, as a user chooses it: `segment` and `batch`'s `--split`,
/// `--min-distance-mm` and `--neck-depth-mm`, and a `serve` route's options `split`, `minDistanceMM` and
/// `neckDepthMM` (docs/INSTANCES.md, docs/SERVICE.md). One rule for both front ends: the valid values,
/// the defaults, the `InstanceSplitting` a job takes, and that an instances model takes no split. Each
/// front end names a problem's field as its users write it (a flag, a configuration key).
public struct LesionSplitChoice: Sendable, Equatable {
    public enum Method: String, Sendable, Codable, CaseIterable { case components, watershed }

    public static let defaultMinDistanceMM = 5.0
    public static let defaultNeckDepthMM = 1.0

    public var method: Method
    /// With `.watershed`: the smallest distance between two lesion centres (nil: `defaultMinDistanceMM`).
    public var minDistanceMM: Double?
    /// With `.watershed`: how far below the lower of two peaks the neck between them must lie to keep
    /// them apart (nil: `defaultNeckDepthMM`).
    public var neckDepthMM: Double?

    public init(method: Method = .components, minDistanceMM: Double? = nil, neckDepthMM: Double? = nil) {
        self.method = method; self.minDistanceMM = minDistanceMM; self.neckDepthMM = neckDepthMM
    }

    /// A value that is not valid; `field` is what the front end's message names.
    public enum Problem: Error, Equatable, Sendable {
        /// A distance given without the watershed method.
        case onlyWithWatershed(Field)
        /// `minDistanceMM` not a positive finite number.
        case minDistanceNotPositive
        /// `neckDepthMM` negative or not finite.
        case neckDepthNegative

        public enum Field: Sendable { case minDistance, neckDepth }
    }

    /// The first problem of these values, or nil when they are valid.
    public var problem: Problem? {
        if method != .watershed {
            if minDistanceMM != nil { return .onlyWithWatershed(.minDistance) }
            if neckDepthMM != nil { return .onlyWithWatershed(.neckDepth) }
        }
        if let d = minDistanceMM, !(d > 0 && d.isFinite) { return .minDistanceNotPositive }
        if let d = neckDepthMM, !(d >= 0 && d.isFinite) { return .neckDepthNegative }
        return nil
    }

    /// What the job takes (`SegmentRequest.splitting`, `BatchOptions.splitting`): nil for connected components.
    public var splitting: InstanceSplitting? {
        guard method == .watershed else { return nil }
        return .watershed(minDistanceMM: minDistanceMM ?? Self.defaultMinDistanceMM, minNeckDepthMM: neckDepthMM ?? Self.defaultNeckDepthMM)
    }

    /// Whether `manifest`'s model can take this choice: an instances model detects each lesion itself, so
    /// only the default (connected components, i.e. none) applies to it.
    public func applies(to manifest: ModelManifest) -> Bool {
        splitting == nil || manifest.decision != .instances
    }
}
