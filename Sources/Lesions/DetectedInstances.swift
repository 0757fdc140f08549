import Imaging

/// A detector's score of one 3D instance: the mean and the maximum over the slice detections it is
/// linked from (`SliceInstanceLinking`).
public struct InstanceScore: Sendable, Codable, Equatable {
    public var mean: Double
    public var max: Double
    public init(mean: Double, max: Double) { self.mean = mean; self.max = max }
}

/// The instances of an instance model on the output grid: every instance one lesion, each with its
/// class label and detection score (docs/INSTANCES.md). Numbered like `ConnectedComponents`:
/// 1...n in memory order of the first voxel.
public struct DetectedInstances: Sendable, Equatable {
    public var labeling: ComponentLabeling
    /// `scores[id - 1]` is instance id's score.
    public var scores: [InstanceScore]

    /// Renumbers an instance map whose ids index `labels` and `scores` (id - 1); ids without voxels
    /// (resampled away, or removed) are dropped.
    /// - Throws: `LesionsError.invalidArgument` for an id without a label and score.
    public init(instanceMap: Volume<Int32>, labels: [Int], scores: [InstanceScore]) throws {
        precondition(labels.count == scores.count)
        var renumbered = [Int32](repeating: 0, count: labels.count + 1)
        var components: [Component] = []
        var newScores: [InstanceScore] = []
        var voxels = instanceMap.voxels
        for index in voxels.indices where voxels[index] != 0 {
            let old = Int(voxels[index])
            guard old > 0, old <= labels.count else {
                throw LesionsError.invalidArgument("instance map holds id \(old) but \(labels.count) instances are described")
            }
            if renumbered[old] == 0 {
                components.append(Component(id: Int32(components.count + 1), label: labels[old - 1], voxelCount: 0))
                newScores.append(scores[old - 1])
                renumbered[old] = Int32(components.count)
            }
            voxels[index] = renumbered[old]
            components[Int(renumbered[old]) - 1].voxelCount += 1
        }
        labeling = ComponentLabeling(instances: Volume(geometry: instanceMap.geometry, voxels: voxels), components: components)
        self.scores = newScores
    }

    /// The class map: every instance's voxels carry its label.
    public var classMap: LabelMap {
        let labelOf = [UInt8(0)] + labeling.components.map { UInt8(clamping: $0.label) }
        return labeling.instances.map { labelOf[Int($0)] }
    }

    /// Only the instances `keep` accepts, renumbered.
    public func keeping(_ keep: (Component) -> Bool) throws -> DetectedInstances {
        let kept = labeling.components.map(keep)
        let map = labeling.instances.map { $0 != 0 && kept[Int($0) - 1] ? $0 : 0 }
        return try DetectedInstances(instanceMap: map, labels: labeling.components.map(\.label), scores: scores)
    }
}
