import Foundation
import Imaging
import Inference
import Lesions

/// What one segmentation produced, before any export.
public struct SegmentationResult {
    public var labels: LabelMap
    /// The probability map on the labels' grid, when asked for (`Segmenter.saveProbabilities`).
    public var probabilities: ProbabilityMap?
    /// An instance model's instances (the lesions), on the labels' grid; nil for semantic models.
    public var instances: DetectedInstances? = nil
    public var notes: [String]
    public var timings: [String: Double]
}

/// Runs a model package on channel volumes: preprocessing, sliding-window prediction, restoration
/// onto the first channel's grid. The network is supplied by the caller (the Engine adapter).
public struct Segmenter {
    public let package: ModelPackage
    public let network: PatchNetwork
    public var tta: Bool
    /// Also return the probability map (`segment --save-probabilities`; see `ProbabilityMap`).
    public var saveProbabilities: Bool

    public init(package: ModelPackage, network: PatchNetwork, tta: Bool = false, saveProbabilities: Bool = false) {
        self.package = package
        self.network = network
        self.tta = tta
        self.saveProbabilities = saveProbabilities
    }

    /// - Parameter channels: one volume per manifest input, in manifest order.
    /// - Parameter progress: called with (windows done, windows total).
    public func segment(channels: [Volume<Float>], progress: ((Int, Int) -> Void)? = nil) throws -> SegmentationResult {
        let clock = Date()
        let prepared = try prepare(channels: channels)
        let preprocessSeconds = Date().timeIntervalSince(clock)
        var result = try segment(prepared: prepared, progress: progress)
        result.timings["preprocessSeconds"] = preprocessSeconds
        return result
    }

    /// Preprocessing alone (reorient, resample, crop, normalise): `batch` runs it for the next case
    /// while the network works on the current one.
    public func prepare(channels: [Volume<Float>]) throws -> PreparedInput {
        try Self.prepare(channels: channels, package: package)
    }

    /// Preprocessing for `package` without a network (a prefetch thread has none).
    public static func prepare(channels: [Volume<Float>], package: ModelPackage) throws -> PreparedInput {
        try Preprocessor.prepare(channels: channels, plan: try package.manifest.preprocessingPlan())
    }

    /// Sliding-window prediction and restoration onto the first channel's grid of a prepared input.
    public func segment(prepared: PreparedInput, progress: ((Int, Int) -> Void)? = nil) throws -> SegmentationResult {
        let manifest = package.manifest
        if manifest.decision == .instances { return try segmentInstances(prepared: prepared, progress: progress) }
        var timings: [String: Double] = [:]
        var clock = Date()
        func lap(_ name: String) { timings[name] = Date().timeIntervalSince(clock); clock = Date() }

        let plan = try manifest.preprocessingPlan()
        var options = try manifest.slidingWindowOptions(tta: tta)
        options.padValue = plan.padValue
        let predictor = SlidingWindowPredictor(network: network, options: options)
        let scores: ModelManifest.ScoreKind = network is FoldEnsemble ? .probabilities : manifest.output.kind
        let decision = LabelDecision(manifest: manifest, scores: scores)
        var classIndexLabels: [UInt8]
        var probabilities: ChannelArray?
        if saveProbabilities {
            let extraction = ProbabilityExtraction(manifest: manifest, scores: scores)
            try extraction.requireWithinBudget(tensorVoxels: prepared.tensor.voxelsPerChannel,
                                               modelGridVoxels: prepared.modelGeometry.voxelCount,
                                               originalVoxels: prepared.originalGeometry.voxelCount)
            (classIndexLabels, probabilities) = try predictor.predictLabelsAndProbabilities(
                prepared.tensor, decision: decision, extraction: extraction, progress: progress)
        } else {
            classIndexLabels = try predictor.predictLabels(prepared.tensor, decision: decision, progress: progress)
        }
        lap("inferenceSeconds")
        // Argmax: class index c is label value c (the manifest requires labels[].value == 1...n);
        // regions: the label values of output.regions.
        let labels = try Preprocessor.restore(labels: classIndexLabels, from: prepared)
        classIndexLabels = []
        var map: ProbabilityMap?
        if let probabilities {
            let n = probabilities.voxelsPerChannel
            var voxels = [Float]()
            voxels.reserveCapacity(probabilities.channels * labels.geometry.voxelCount)
            for c in 0..<probabilities.channels {
                let channel = Array(probabilities.values[(c * n)..<((c + 1) * n)])
                voxels += try Preprocessor.restore(probabilities: channel, from: prepared).voxels
            }
            map = ProbabilityMap(geometry: labels.geometry, labels: ProbabilityExtraction(manifest: manifest, scores: scores).labels,
                                 voxels: voxels)
        }
        lap("restoreSeconds")
        return SegmentationResult(labels: labels, probabilities: map, notes: prepared.notes, timings: timings)
    }
}
