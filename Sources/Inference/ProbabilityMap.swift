import Core
import Foundation
import Imaging

/// Per-voxel probabilities of one prediction on the input's grid (`segment --save-probabilities`).
///
/// One volume per label: for `argmax` models the softmax probabilities of classes 1...n (background,
/// one minus their sum, is left out, so volume v holds label v + 1: the convention of `export-seg
/// --fractional`); for `regions` models the sigmoid of each region, in manifest order (volume r holds
/// `output.regions[r]`). nnU-Net turns the blended logits into probabilities the same way (softmax or
/// sigmoid after the sliding-window average); an ensemble's averaged probabilities are kept as they are.
public struct ProbabilityMap: Sendable {
    public var geometry: VolumeGeometry
    /// The label value each volume stands for (for regions: the region's `label`).
    public var labels: [Int]
    /// Volume 0, then volume 1, ...: `labels.count x geometry.voxelCount` values, i fastest.
    public var voxels: [Float]

    public init(geometry: VolumeGeometry, labels: [Int], voxels: [Float]) {
        precondition(voxels.count == labels.count * geometry.voxelCount)
        self.geometry = geometry; self.labels = labels; self.voxels = voxels
    }

    /// Volume `index` (0-based) as a volume of its own.
    public func volume(_ index: Int) -> Volume<Float> {
        let n = geometry.voxelCount
        return Volume(geometry: geometry, voxels: Array(voxels[(index * n)..<((index + 1) * n)]))
    }
}

/// Which of a network's blended output channels become probability volumes, and how.
public struct ProbabilityExtraction: Sendable, Equatable {
    /// What the blended scores are: logits, or probabilities already (`kind` "probabilities", ensembles).
    public var scores: ModelManifest.ScoreKind
    public var decision: ModelManifest.Decision
    public var classes: Int
    /// Label values of the kept channels, in channel order.
    public var labels: [Int]

    /// The manifest's rule: argmax keeps classes 1..<classes (label = class index), regions keep
    /// every channel (label = the region's label).
    public init(manifest: ModelManifest, scores: ModelManifest.ScoreKind) {
        self.scores = scores
        decision = manifest.decision
        classes = manifest.output.classes
        if decision == .regions, let regions = manifest.output.regions {
            labels = regions.map(\.label)
        } else {
            labels = Array(1..<max(classes, 1))
        }
    }

    /// The first output channel kept (argmax drops the background channel 0).
    var firstChannel: Int { decision == .regions ? 0 : 1 }

    /// Probabilities of the kept channels of one blended d0-slice `scores[c * plane + v]`:
    /// `[labels.count * plane]`.
    func probabilities(slice scores: [Float], plane: Int) throws -> [Float] {
        let p = try FoldEnsemble.probabilities(scores, batch: 1, classes: classes, kind: self.scores, decision: decision)
        return Array(p[(firstChannel * plane)..<((firstChannel + labels.count) * plane)])
    }

    /// Refuses, before inference, probability maps that would not fit the memory budget: the kept
    /// channels in tensor order and on the original grid, plus the restoration's temporaries (the
    /// model grid twice and the original grid once).
    public func requireWithinBudget(tensorVoxels: Int, modelGridVoxels: Int, originalVoxels: Int) throws {
        let k = labels.count
        let parts = [MemoryBudget.product([k, tensorVoxels]), MemoryBudget.product([k, originalVoxels]),
                     MemoryBudget.product([2, modelGridVoxels]), Optional(originalVoxels)]
        let floats = MemoryBudget.sum(parts)
        try MemoryBudget.require(bytes: floats.flatMap { MemoryBudget.product([$0, 4]) },
                                 for: "the probability map (\(k) float32 volume(s) of \(originalVoxels) voxels, --save-probabilities)",
                                 input: "the prediction of \(tensorVoxels) voxels after preprocessing")
    }
}

extension SlidingWindowPredictor {
    /// Labels as `predictLabels`, and the probabilities of `extraction`'s channels, both in tensor
    /// order: probabilities `[labels.count, d0, d1, d2]`. The blended scores are turned into
    /// probabilities slice by slice, so only the kept channels are held for the whole volume.
    public func predictLabelsAndProbabilities(_ input: ChannelArray, decision: LabelDecision, extraction: ProbabilityExtraction,
                                              progress: ((Int, Int) -> Void)? = nil) throws -> (labels: [UInt8], probabilities: ChannelArray) {
        var labels = [UInt8](repeating: 0, count: input.voxelsPerChannel)
        var probabilities = ChannelArray(channels: extraction.labels.count, shape: input.shape)
        let plane = input.shape[1] * input.shape[2]
        try run(input, progress: progress) { x0, scores in
            decision.apply(scores, classes: options.classes, plane: plane, into: &labels, base: x0 * plane)
            let p = try extraction.probabilities(slice: scores, plane: plane)
            for c in 0..<extraction.labels.count {
                let dst = (c * input.shape[0] + x0) * plane
                probabilities.values.replaceSubrange(dst..<(dst + plane), with: p[(c * plane)..<((c + 1) * plane)])
            }
        }
        return (labels, probabilities)
    }
}
