import ArgumentParser
import Core
import DICOM
import Foundation
import Imaging
import VolumeIO

struct ExportSegCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-seg",
        abstract: "Write a DICOM-SEG from a label map (NIfTI/NRRD) over its source DICOM series.",
        discussion: """
        One segment per label value present in MASK (or listed in --labels: a model manifest or its \
        `labels` array). A mask on another grid is resampled (nearest) onto the exact source frames, \
        including tilted and unevenly spaced series. BINARY by default; with --fractional PROBS \
        (one probability volume per label, volume v = label v+1, values 0...1) a FRACTIONAL SEG. \
        Empty frames are omitted; the file is written under a temporary name and renamed.
        """
    )

    @Option(help: "Label map (.nii, .nii.gz, .nrrd): 0 background, 1...255 labels.")
    var mask: String

    @Option(help: "Source DICOM folder (or enhanced multi-frame file).")
    var source: String

    @Option(name: .shortAndLong, help: "Output SEG file.")
    var output: String

    @Option(help: "Segment labels, colours and codes (JSON; a model manifest or its labels array).")
    var labels: String?

    @Option(help: "Probabilities (NIfTI/NRRD, 4D: one volume per label) for a FRACTIONAL SEG.")
    var fractional: String?

    @Option(help: "SeriesInstanceUID when the source folder holds several series.")
    var series: String?

    @Option(help: "Stack index within the series (see `inspect`); required when the series holds several stacks.")
    var stack: Int?

    @OptionGroup var reading: SeriesReadingOptions

    @Option(help: "Algorithm (model) name written into each segment.")
    var algorithm = "SegStation"

    @Option(help: "Algorithm (model) version.")
    var algorithmVersion = SegStationVersion.string

    @Flag(help: "Print a JSON summary.")
    var json = false

    struct Summary: Encodable {
        var output: String
        var seriesInstanceUID: String
        var sopInstanceUID: String
        var frames: Int
        var segments: [String: Int]
    }

    func run() throws {
        // Refused before any work: -o must name a file in an existing folder (exit 73).
        try InputFile.requireWritableFileTarget(output, flag: "-o")
        if let labels { try InputFile.requireRegular(labels, role: "--labels") }
        let sourceSeries = try SEGSourceSeries.read(URL(fileURLWithPath: source), seriesInstanceUID: series, stackIndex: stack,
                                                    options: reading.loadOptions)
        let described = try labels.map { try SegmentDescription.list(fromLabelsFile: URL(fileURLWithPath: $0)) } ?? []
        let labelMap = try VolumeFile.readLabels(mask)
        var options = SEGWriteOptions(softwareVersion: SegStationVersion.string, algorithmName: algorithm, algorithmVersion: algorithmVersion)
        options.modelName = algorithm
        let writer = SEGWriter(options: options)
        let url = URL(fileURLWithPath: output)
        let result: SEGWriteResult
        if let fractional {
            var present = Set(labelMap.voxels.filter { $0 != 0 }.map(Int.init))
            present.formUnion(described.map(\.labelValue))
            var pairs = [(segment: SegmentDescription, probability: Volume<Float>)]()
            for value in present.sorted() {
                let segment = described.first { $0.labelValue == value } ?? .placeholder(for: value)
                pairs.append((segment, try VolumeFile.read(fractional, volumeIndex: value - 1)))
            }
            result = try writer.write(probabilities: pairs, over: sourceSeries, to: url)
        } else {
            result = try writer.write(labelMap: labelMap, segments: described, over: sourceSeries, to: url)
        }
        let summary = Summary(output: output, seriesInstanceUID: result.seriesInstanceUID, sopInstanceUID: result.sopInstanceUID,
                              frames: result.frameCount,
                              segments: Dictionary(uniqueKeysWithValues: result.segmentNumbers.map { (String($0.key), Int($0.value)) }))
        if json { try Output.json(summary) } else {
            Output.line("wrote \(output): \(result.segmentNumbers.count) segments, \(result.frameCount) frames")
        }
    }
}
