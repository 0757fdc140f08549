import ArgumentParser
import Core
import DICOM
import Foundation
import Imaging
import Lesions
import Pipeline

struct ExportSRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-sr",
        abstract: "Write a DICOM SR TID 1500 measurement report for a SEG over its source series.",
        discussion: """
        One volumetric measurement group per lesion (26-connected component) of each segment of SEG, \
        as `segment` writes and the report shows: volume (mL), RECIST long and short axes (SNOMED CT Long \
        Axis, Short Axis), maximum 3D diameter (SNOMED CT Diameter, derivation Maximum) and mean intensity \
        of IMAGE inside it (HU for CT, no unit otherwise), measured by the \
        Lesions layer on the loaded series; each group references its segment and the source series. \
        IMAGE is read with the same rules as every other command (--stack, --uneven-spacing, --tilt, \
        --skip-bad-slices). The observer is the device (SegStation, its version, the algorithm of the SEG).
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

    @Option(help: "Stack index within the series (see `inspect`); required when the series holds several stacks.")
    var stack: Int?

    @OptionGroup var reading: SeriesReadingOptions

    func run() throws {
        // Refused before any work: -o must name a file in an existing folder (exit 73).
        try InputFile.requireWritableFileTarget(output, flag: "-o")
        // One read of the series: the loaded stack is the SR's source (no second reader).
        let scan = try ScanInput.load(image, selection: ScanSelection(seriesInstanceUID: series, stackIndex: stack,
                                                                      dicomOptions: reading.loadOptions))
        guard let loaded = scan.dicom else {
            throw ValidationError("--image must be the DICOM source series of the SEG; \(image) is not DICOM")
        }
        let source = try SEGSourceSeries(stack: loaded.stack)
        let document = try SEGDocument(contentsOf: URL(fileURLWithPath: seg))
        let items = MeasurementItems.items(try MeasurementItems.segments(of: document, on: source, image: scan.volume),
                                           modality: loaded.stack.series.modality)
        let algorithm = document.segments.first?.algorithmName ?? "SegStation"
        let options = MeasurementReportOptions(modelName: algorithm.isEmpty ? "SegStation" : algorithm, softwareVersion: SegStationVersion.string)
        let uid = try MeasurementReportWriter.write(items, seg: URL(fileURLWithPath: seg), source: source, options: options,
                                                    to: URL(fileURLWithPath: output))
        Output.line("wrote \(output) (\(items.count) measurement groups, SOP instance \(uid))")
    }
}
