import Core
import Foundation
import Imaging
import DICOM
import Inference
import Lesions

/// DICOM-SEG and SR TID 1500 (one measurement group per lesion) for a run whose first input is DICOM.
enum DICOMExports {
    static func write(scan: LoadedScan, labels: LabelMap, manifest: ModelManifest, measurements: [LabelMeasurements],
                      into artefacts: inout ArtefactList) throws {
        guard let dicom = scan.dicom else { return }
        let source = try SEGSourceSeries.read(URL(fileURLWithPath: scan.sourcePath), seriesInstanceUID: dicom.stack.series.seriesInstanceUID)
        var options = SEGWriteOptions(softwareVersion: SegStationVersion.string, algorithmName: manifest.name, algorithmVersion: manifest.version)
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
                                                  options: MeasurementReportOptions(modelName: manifest.name, softwareVersion: SegStationVersion.string), to: url)
        }
    }
}
