import Core
import Foundation
import Imaging
import DICOM
import Inference
import Lesions

/// DICOM-SEG, SR TID 1500 and (with `segment --rtstruct`) an RT Structure Set for a run whose first input is
/// DICOM, over the stack the loader built.
enum DICOMExports {
    /// What can make the exports fail, checked before inference: the SEG source of the loaded stack
    /// and the manifest's labels within their DICOM VR limits (docs/DICOM-SEG.md).
    static func checkBeforeInference(scan: LoadedScan, manifest: ModelManifest) throws {
        guard let dicom = scan.dicom else { return }
        _ = try SEGSourceSeries(stack: dicom.stack)
        for segment in segmentDescriptions(manifest) {
            if let violation = segment.vrViolation {
                throw DICOMError.badInput(file: "model \(manifest.name) label \(segment.labelValue)", detail: violation)
            }
        }
    }

    /// One SEG segment per manifest label (name, colour, codes).
    static func segmentDescriptions(_ manifest: ModelManifest) -> [SegmentDescription] {
        manifest.labels.map { l in
            SegmentDescription(labelValue: l.value, label: l.name, description: l.name,
                               color: RGBColor(red: UInt8(clamping: l.colorRGB[0]), green: UInt8(clamping: l.colorRGB[1]), blue: UInt8(clamping: l.colorRGB[2])),
                               category: CodedConcept(value: l.category.code, scheme: l.category.scheme, meaning: l.category.meaning),
                               type: CodedConcept(value: l.type.code, scheme: l.type.scheme, meaning: l.type.meaning))
        }
    }

    static func write(scan: LoadedScan, labels: LabelMap, manifest: ModelManifest, measurements: [LabelMeasurements],
                      rtstruct: Bool = false, into artefacts: inout ArtefactList) throws {
        guard let dicom = scan.dicom else { return }
        // The stack the loader built and checked: the SEG and SR reference exactly the loaded slices and UIDs.
        let source = try SEGSourceSeries(stack: dicom.stack)
        var options = SEGWriteOptions(softwareVersion: SegStationVersion.string, algorithmName: manifest.name, algorithmVersion: manifest.version)
        options.modelName = manifest.name
        let segments = segmentDescriptions(manifest)
        var written: SEGWriteResult?
        try artefacts.add(.seg, "seg.dcm") { url in
            written = try SEGWriter(options: options).write(labelMap: labels, segments: segments, over: source, to: url)
        }
        guard let written else { return }
        if rtstruct { try writeRTStruct(labels: labels, segments: segments, manifest: manifest, source: source, into: &artefacts) }
        // TID 1500: one measurement group per lesion, referencing its segment in the SEG just written.
        let measured = measurements.compactMap { label -> MeasurementItems.Segment? in
            written.segmentNumbers[UInt8(label.label)].map { MeasurementItems.Segment(number: Int($0), lesions: label.lesions) }
        }
        let items = MeasurementItems.items(measured, modality: dicom.stack.series.modality)
        guard !items.isEmpty else { return }      // nothing segmented: a SEG without an SR
        let segURL = artefacts.folder.appendingPathComponent("seg.dcm")
        try artefacts.add(.sr, "sr.dcm") { url in
            _ = try MeasurementReportWriter.write(items, seg: segURL, source: source,
                                                  options: MeasurementReportOptions(modelName: manifest.name, softwareVersion: SegStationVersion.string), to: url)
        }
    }

    /// `rt.dcm`: one ROI per manifest label (name, colour; interpreted type from its category), contours
    /// over the same source frames as the SEG (docs/RTSTRUCT.md).
    static func writeRTStruct(labels: LabelMap, segments: [SegmentDescription], manifest: ModelManifest, source: SEGSourceSeries,
                              into artefacts: inout ArtefactList) throws {
        var options = RTStructWriteOptions(softwareVersion: SegStationVersion.string, algorithmName: "\(manifest.name) \(manifest.version)")
        options.modelName = manifest.name
        try artefacts.add(.rtstruct, "rt.dcm") { url in
            try RTStructWriter(options: options).write(labelMap: labels, rois: segments.map { RTROIDescription(segment: $0) }, over: source, to: url)
        }
    }
}
