import Core
import DICOM
import Foundation
import Lesions
import StudyStore

/// The TID 1500 SR of a recorded DICOM run, written with its lesions' tracked identities (`track`):
/// each tracked lesion's group carries Tracking Identifier "Lesion N" and the tracking UID of its
/// identity, the same at every study of the patient, so that a PACS or viewer can follow the lesion.
public enum TrackedSR {
    /// Writes the SR of `run` to `url` (atomically) over the run's SEG artefact and its DICOM source series.
    /// - Returns: the SR's SOP Instance UID.
    /// - Throws: `PipelineError.invalidArgument` when the run's input is not DICOM, `.notFound` without a
    ///   SEG artefact, and the loaders', SEG reader's and SR writer's errors.
    @discardableResult
    public static func write(store: StudyStore, run: RunID, to url: URL) throws -> String {
        let materials = try RunMaterials.load(store, runID: run)
        guard let dicom = materials.scans[0].dicom else {
            throw PipelineError.invalidArgument("the input of run \(run) is not DICOM: an SR needs its DICOM source series")
        }
        guard let seg = materials.detail.artefacts.first(where: { $0.kind == .seg }) else {
            throw PipelineError.notFound("run \(run) recorded no DICOM-SEG artefact for the SR to reference")
        }
        let source = try SEGSourceSeries(stack: dicom.stack)
        let document = try SEGDocument(contentsOf: URL(fileURLWithPath: seg.path))
        let tracked = try store.trackedLesions(run: run)
        let labels = materials.detail.labels
        var segments = try MeasurementItems.segments(of: document, on: source, image: materials.image)
        for (n, segment) in segments.enumerated() {
            // The segment's label value: by the segment's label text, or the only label of a one-label run.
            let text = document.segments.first { $0.labelValue == segment.number }?.label.lowercased()
            guard let value = labels.first(where: { $0.name.lowercased() == text })?.value
                    ?? (labels.count == 1 && segments.count == 1 ? labels[0].value : nil) else { continue }
            for t in tracked where t.lesion.labelValue == value {
                segments[n].identities[t.lesion.lesionIndex] = (t.number, t.trackingUID)
            }
        }
        let items = MeasurementItems.items(segments, modality: dicom.stack.series.modality)
        let options = MeasurementReportOptions(modelName: materials.detail.run.modelName, softwareVersion: SegStationVersion.string)
        return try MeasurementReportWriter.write(items, seg: URL(fileURLWithPath: seg.path), source: source, options: options, to: url)
    }
}
