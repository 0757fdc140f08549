import Foundation
import Imaging
import Inference
import Lesions

extension Segmenter {
    /// What an instances model cannot do: test-time augmentation and a probability map.
    /// - Throws: `InferenceError.unsupported` naming the option.
    static func requireSupported(_ manifest: ModelManifest, tta: Bool, saveProbabilities: Bool) throws {
        guard manifest.decision == .instances else { return }
        guard !tta else { throw InferenceError.unsupported("test-time augmentation (--tta) is not defined for an instances model") }
        guard !saveProbabilities else {
            throw InferenceError.unsupported("an instances model has no per-voxel probabilities to save (--save-probabilities)")
        }
    }

    /// An instance model's segmentation (docs/INSTANCES.md): the detector on every slice
    /// (`InstancePredictor`; slices larger than the patch tiled with `slidingWindow.stepFraction`), the slices' detections linked into 3D instances
    /// (`SliceInstanceLinking`, `output.instances.minSliceOverlap`), the instance map restored onto
    /// the first channel's grid. The result's `labels` is the class map; `instances` every instance
    /// with its class and score.
    func segmentInstances(prepared: PreparedInput, progress: ((Int, Int) -> Void)?) throws -> SegmentationResult {
        let manifest = package.manifest
        guard let detector = network as? SliceDetector else {
            throw InferenceError.modelPackage("model '\(manifest.name)' is an instances model but its network is not a detector")
        }
        try Self.requireSupported(manifest, tta: tta, saveProbabilities: saveProbabilities)
        var timings: [String: Double] = [:]
        var clock = Date()
        func lap(_ name: String) { timings[name] = Date().timeIntervalSince(clock); clock = Date() }
        let settings = manifest.instanceSettings
        let predictor = InstancePredictor(detector: detector, settings: settings, patch: try manifest.tensorPatch(),
                                          padValue: try manifest.preprocessingPlan().padValue,
                                          labelValues: Set(manifest.labels.map(\.value)),
                                          tileStepFraction: manifest.slidingWindow.stepFraction)
        let detected = try predictor.predict(prepared.tensor, progress: progress)
        lap("inferenceSeconds")
        // Linking runs in tensor order: d0 (the slice axis) is the volume's k, d2 its i.
        let s = detected.shape
        let map = Volume<Int32>(geometry: VolumeGeometry(size: SIMD3(s[2], s[1], s[0])), voxels: detected.ids)
        let detections = detected.detections.enumerated().map { index, d in
            SliceDetection(id: Int32(index + 1), slice: d.slice, label: d.label, score: d.score)
        }
        let (linkedMap, linked) = try SliceInstanceLinking.link(detectionMap: map, detections: detections, minOverlap: settings.minSliceOverlap)
        lap("linkingSeconds")
        let restored = try Preprocessor.restore(instances: linkedMap.voxels, from: prepared)
        let instances = try DetectedInstances(instanceMap: restored, labels: linked.map(\.label),
                                              scores: linked.map { InstanceScore(mean: $0.scoreMean, max: $0.scoreMax) })
        lap("restoreSeconds")
        var notes = prepared.notes
        notes.append("instances model: \(detections.count) slice detection(s) kept, linked into \(linked.count) instance(s)")
        if let reason = (detector as? EngineDetector)?.fallbackReason {
            notes.append("the detector ran on the reference backend (slower): the fast backend refused it (\(reason))")
        }
        return SegmentationResult(labels: instances.classMap, probabilities: nil, instances: instances, notes: notes, timings: timings)
    }
}
