import Imaging

/// How a semantic label map becomes instances (lesions): connected components, or the watershed
/// split that keeps touching lesions apart, or the instances an instance model detected
/// (docs/INSTANCES.md).
public enum InstanceSplitting: Sendable, Equatable {
    case connectedComponents(Connectivity)
    case watershed(minDistanceMM: Double, minNeckDepthMM: Double)
    /// Instances given with the map (its class map is `DetectedInstances.classMap`); each lesion
    /// carries its detection score.
    case detected(DetectedInstances)
    /// Instances given with the map (e.g. a recorded run's instance map, read back by `report`).
    case given(ComponentLabeling)

    /// The instances of `map` (every non-zero label), numbered in memory order of the first voxel.
    public func instances(of map: LabelMap) throws -> ComponentLabeling {
        switch self {
        case .connectedComponents(let connectivity):
            return ConnectedComponents.label(map, connectivity: connectivity)
        case .watershed(let minDistanceMM, let minNeckDepthMM):
            return try WatershedSplit.split(map, minDistanceMM: minDistanceMM, minNeckDepthMM: minNeckDepthMM)
        case .detected(let detected):
            try Self.require(detected.labeling, covers: map)
            return detected.labeling
        case .given(let labeling):
            try Self.require(labeling, covers: map)
            return labeling
        }
    }

    /// Given instances must be exactly the map's non-zero voxels, each instance of one label.
    static func require(_ labeling: ComponentLabeling, covers map: LabelMap) throws {
        let labelOf: [Int] = [0] + labeling.components.map(\.label)
        var covers = labeling.instances.size == map.size
        for (id, value) in zip(labeling.instances.voxels, map.voxels) where labelOf[Int(id)] != Int(value) {
            covers = false
            break
        }
        guard covers else {
            throw LesionsError.invalidArgument("the instances do not cover the label map exactly (a clean-up changed the map but not the instances)")
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
