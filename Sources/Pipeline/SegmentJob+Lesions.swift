import Foundation
import Imaging
import Lesions

/// The lesions of a run: the small-lesion clean-up (`--min-lesion-ml`), then the instances
/// (connected components, the watershed split, or an instances model's detections) measured.
extension SegmentJob {
    struct MeasuredLesions {
        var measurements: [LabelMeasurements]
        /// Lesions removed by `--min-lesion-ml` (components, or an instances model's instances).
        var removed: Int
        /// The instance map (lesion ids) when the lesions are not the mask's connected components:
        /// recorded as `instances.nii.gz`, so `report` and `track` find the same lesions again.
        var instanceMap: Volume<Int32>?
    }

    /// Cleans `result` (its labels, and its instances for an instances model) and measures its lesions.
    /// Records the seconds of the clean-up and of the measurement in `result.timings` ("cleanupSeconds",
    /// "measureSeconds").
    static func measureLesions(_ result: inout SegmentationResult, request: SegmentRequest, image: Volume<Float>) throws -> MeasuredLesions {
        let clock = Date()
        var removed = 0
        if request.minLesionML > 0, let instances = result.instances {
            let kept = try instances.keeping { !isSmall(voxels: $0.voxelCount, result.labels.geometry, minLesionML: request.minLesionML) }
            removed = instances.scores.count - kept.scores.count
            (result.instances, result.labels) = (kept, kept.classMap)
            result.notes.append("removed \(removed) instance(s) smaller than \(request.minLesionML) mL (--min-lesion-ml)")
        } else if request.minLesionML > 0 {
            (result.labels, removed) = try removingSmallLesions(result.labels, minLesionML: request.minLesionML)
            result.notes.append("removed \(removed) connected component(s) smaller than \(request.minLesionML) mL (--min-lesion-ml)")
        }
        if request.minLesionML > 0 { result.timings["cleanupSeconds"] = Date().timeIntervalSince(clock) }
        let measureClock = Date()
        var splitting = result.instances.map { InstanceSplitting.detected($0) } ?? request.splitting
        var instanceMap: Volume<Int32>?
        if let chosen = splitting, chosen != .connectedComponents(.twentySix) {
            // Split once; the measurement takes the split as given.
            let labeling = try chosen.instances(of: result.labels)
            instanceMap = labeling.instances
            if case .detected = chosen {} else { splitting = .given(labeling) }
        }
        result.instances = nil
        let measurements = try LesionAnalyzer.measure(labels: result.labels, image: image, splitting: splitting)
        result.timings["measureSeconds"] = Date().timeIntervalSince(measureClock)
        return MeasuredLesions(measurements: measurements, removed: removed, instanceMap: instanceMap)
    }

    /// Sets to 0 every connected component (26-connected, per label) below `minLesionML` mL.
    /// - Returns: the cleaned map and the number of components removed.
    static func removingSmallLesions(_ labels: LabelMap, minLesionML: Double) throws -> (LabelMap, Int) {
        var removed = 0
        let cleaned = LabelOperations.keeping(labels, connectivity: .twentySix) { c, _ in
            let keep = !isSmall(voxels: c.voxelCount, labels.geometry, minLesionML: minLesionML)
            if !keep { removed += 1 }
            return keep
        }
        return (cleaned, removed)
    }

    /// Whether a lesion of `voxels` voxels is below `minLesionML` mL: the same rule as
    /// LabelOperations.removingComponents (a lesion of exactly the threshold is kept).
    static func isSmall(voxels: Int, _ geometry: VolumeGeometry, minLesionML: Double) -> Bool {
        Double(voxels) * geometry.voxelVolumeMM3 < minLesionML * 1000 * (1 - 1e-12)
    }

}
