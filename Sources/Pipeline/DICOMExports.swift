import Foundation
import Imaging
import DICOM
import Inference
import Lesions

/// DICOM-SEG, SR TID 1500 and (with `segment --rtstruct`) an RT Structure Set for a run whose first input is DICOM.
enum DICOMExports {
    static func write(scan: LoadedScan, labels: LabelMap, manifest: ModelManifest, measurements: [LabelMeasurements],
                      rtstruct: Bool = false, into artefacts: inout ArtefactList) throws {
        guard let dicom = scan.dicom else { return }
        let source = try SEGSourceSeries.read(URL(fileURLWithPath: scan.sourcePath), seriesInstanceUID: dicom.stack.series.seriesInstanceUID)
        var options = SEGWriteOptions(softwareVersion: SegmentJob.segstationVersion, algorithmName: manifest.name, algorithmVersion: manifest.version)
        options.modelName = manifest.name
        let segments = manifest.labels.map { l in
            SegmentDescription(labelValue: UInt8(l.value), label: l.name, description: l.name,
                               color: RGBColor(red: UInt8(clamping: l.colorRGB[0]), green: UInt8(clamping: l.colorRGB[1]), blue: UInt8(clamping: l.colorRGB[2])),
                               category: CodedConcept(value: l.category.code, scheme: l.category.scheme, meaning: l.category.meaning),
                               type: CodedConcept(value: l.type.code, scheme: l.type.scheme, meaning: l.type.meaning))
        }
        var written: SEGWriteResult?
        try artefacts.add(.seg, "seg.dcm") { url in
            written = try SEGWriter(options: options).write(labelMap: labels, segments: segments, over: source, to: url)
        }
        guard let written else { return }
        if rtstruct { try writeRTStruct(labels: labels, segments: segments, manifest: manifest, source: source, into: &artefacts) }
        // TID 1500: one measurement group per lesion, referencing its segment in the SEG just written.
        let isCT = dicom.stack.series.modality == "CT"
        let items = measurements.flatMap { label -> [LesionReportItem] in
            guard let segment = written.segmentNumbers[UInt8(label.label)] else { return [] }
            return label.lesions.enumerated().map { index, m in
                LesionReportItem(lesionIndex: index + 1, segmentNumber: Int(segment), volumeML: m.volumeML,
                                 longestDiameterMM: m.shape.maximum3DDiameterMM, meanIntensity: m.intensity?.mean,
                                 intensityUnit: isCT ? .hounsfieldUnit : .noUnit)
            }
        }
        guard !items.isEmpty else { return }      // nothing segmented: a SEG without an SR
        let segURL = artefacts.folder.appendingPathComponent("seg.dcm")
        try artefacts.add(.sr, "sr.dcm") { url in
            _ = try MeasurementReportWriter.write(items, seg: segURL, source: source,
                                                  options: MeasurementReportOptions(modelName: manifest.name, softwareVersion: SegmentJob.segstationVersion), to: url)
        }
    }

    /// `rt.dcm`: one ROI per manifest label (name, colour; interpreted type from its category), contours
    /// over the same source frames as the SEG (docs/RTSTRUCT.md).
    static func writeRTStruct(labels: LabelMap, segments: [SegmentDescription], manifest: ModelManifest, source: SEGSourceSeries,
                              into artefacts: inout ArtefactList) throws {
        var options = RTStructWriteOptions(softwareVersion: SegmentJob.segstationVersion, algorithmName: "\(manifest.name) \(manifest.version)")
        options.modelName = manifest.name
        try artefacts.add(.rtstruct, "rt.dcm") { url in
            try RTStructWriter(options: options).write(labelMap: labels, rois: segments.map { RTROIDescription(segment: $0) }, over: source, to: url)
        }
    }
}
