import Imaging

/// How a semantic label map becomes instances (lesions): connected components, or the watershed
/// split that keeps touching lesions apart (docs/INSTANCES.md).
public enum InstanceSplitting: Sendable, Equatable {
    case connectedComponents(Connectivity)
    case watershed(minDistanceMM: Double, minNeckDepthMM: Double)

    /// The instances of `map` (every non-zero label), numbered in memory order of the first voxel.
    public func instances(of map: LabelMap) throws -> ComponentLabeling {
        switch self {
        case .connectedComponents(let connectivity):
            return ConnectedComponents.label(map, connectivity: connectivity)
        case .watershed(let minDistanceMM, let minNeckDepthMM):
            return try WatershedSplit.split(map, minDistanceMM: minDistanceMM, minNeckDepthMM: minNeckDepthMM)
        }
    }
}

extension InstanceEvaluation {
    /// Instance metrics of two semantic maps split the same way (only `label` when given).
    public static func compare(prediction: LabelMap, reference: LabelMap, label: UInt8? = nil,
                               splitting: InstanceSplitting) throws -> InstanceMetrics {
        func only(_ map: LabelMap) -> LabelMap { label.map { l in map.map { $0 == l ? l : 0 } } ?? map }
        return try compare(prediction: try splitting.instances(of: only(prediction)).instances,
                           reference: try splitting.instances(of: only(reference)).instances)
    }
}
