import ArgumentParser
import DICOM
import Foundation
import Safety
import Imaging
import Lesions
import Pipeline

struct ExportSRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-sr",
        abstract: "Write a DICOM SR TID 1500 measurement report for a SEG over its source series.",
        discussion: """
        One volumetric measurement group per segment of SEG: volume (mL), longest 3D diameter (mm, \
        SNOMED CT Long Axis) and mean intensity of IMAGE inside it (HU for CT, no unit otherwise), \
        measured by the Lesions layer on the loaded series; each group references its segment and the \
        source series. The observer is the device (SegStation, its version, the algorithm of the SEG).
        """
    )

    @Option(help: "The DICOM-SEG to report on.")
    var seg: String

    @Option(help: "The source DICOM folder of the SEG.")
    var image: String

    @Option(name: .shortAndLong, help: "Output SR file.")
    var output: String

    @Option(help: "SeriesInstanceUID when the image folder holds several series.")
    var series: String?

    func run() throws {
        try reportingErrors {
            // Refused before any work: -o must name a file in an existing folder (exit 73).
            try InputFile.requireWritableFileTarget(output, flag: "-o")
            let source = try SEGSourceSeries.read(URL(fileURLWithPath: image), seriesInstanceUID: series)
            let document = try SEGDocument(contentsOf: URL(fileURLWithPath: seg))
            let masks = try document.segmentMasks(on: source)
            let scan = try ScanInput.load(image, selection: ScanSelection(seriesInstanceUID: series ?? source.seriesInstanceUID))
            let isCT = scan.dicom?.stack.series.modality == "CT"
            var items = [LesionReportItem]()
            for segment in document.segments where segment.number > 0 {
                guard let mask = masks[segment.number] else { continue }
                let onImage = mask.geometry.isSameGrid(as: scan.volume.geometry, toleranceMM: 0.01)
                    ? Volume(geometry: scan.volume.geometry, voxels: mask.voxels)
                    : mask.resampled(onto: scan.volume.geometry, interpolation: .nearest, outside: 0)
                guard let total = try LesionAnalyzer.measure(labels: onImage, image: scan.volume, label: 1).first?.total else { continue }
                items.append(LesionReportItem(lesionIndex: items.count + 1, segmentNumber: segment.number, volumeML: total.volumeML,
                                              longestDiameterMM: total.shape.maximum3DDiameterMM, meanIntensity: total.intensity?.mean,
                                              intensityUnit: isCT ? .hounsfieldUnit : .noUnit,
                                              finding: segment.type.value.isEmpty ? .lesion : segment.type))
            }
            let algorithm = document.segments.first?.algorithmName ?? "SegStation"
            let options = MeasurementReportOptions(modelName: algorithm.isEmpty ? "SegStation" : algorithm, softwareVersion: SegStationVersion.string)
            let uid = try MeasurementReportWriter.write(items, seg: URL(fileURLWithPath: seg), source: source, options: options,
                                                        to: URL(fileURLWithPath: output))
            Output.line("wrote \(output) (\(items.count) measurement groups, SOP instance \(uid))")
        }
    }
}
