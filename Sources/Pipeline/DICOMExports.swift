import Foundation
import Imaging
import DICOM
import Inference
import Lesions

/// DICOM-SEG (and, once available, SR TID 1500) for a run whose first input is DICOM.
enum DICOMExports {
    static func write(scan: LoadedScan, labels: LabelMap, manifest: ModelManifest, measurements: [LabelMeasurements],
                      into artefacts: inout ArtefactList) throws {
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
        try artefacts.add(.seg, "seg.dcm") { url in
            _ = try SEGWriter(options: options).write(labelMap: labels, segments: segments, over: source, to: url)
        }
    }
}
