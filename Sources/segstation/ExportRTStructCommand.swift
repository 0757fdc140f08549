import ArgumentParser
import Core
import DICOM
import Foundation
import Imaging
import VolumeIO

struct ExportRTStructCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-rtstruct",
        abstract: "Write a DICOM RT Structure Set (contours for planning systems) from a label map over its source series.",
        discussion: """
        One ROI per label value present in MASK or listed in --labels (a model manifest or its `labels` \
        array: name, colorRGB, optional rtROIInterpretedType), numbered 1, 2, ... in ascending label value. \
        A mask on another grid is resampled (nearest) onto the exact source frames. Each frame is traced in \
        its own pixel grid (marching squares at the 0.5 iso-line) and every contour is placed through that \
        frame's own position, so tilted and unevenly spaced series are exact. Holes and islands are separate \
        CLOSED_PLANAR contours, combined by the even-odd rule. Vertices are reduced (Douglas-Peucker) to \
        --tolerance-mm. The file is owner-only (0600) and written under a temporary name, then renamed. \
        See docs/RTSTRUCT.md.
        """
    )

    @Option(help: "Label map (.nii, .nii.gz, .nrrd): 0 background, 1...255 labels.")
    var mask: String

    @Option(help: "Source DICOM folder (or enhanced multi-frame file).")
    var source: String

    @Option(name: .shortAndLong, help: "Output RTSTRUCT file.")
    var output: String

    @Option(help: "ROI names, colours and interpreted types (JSON; a model manifest or its labels array).")
    var labels: String?

    @Option(help: "SeriesInstanceUID when the source folder holds several series.")
    var series: String?

    @Option(help: "Stack index within the series (see `inspect`); required when the series holds several stacks.")
    var stack: Int?

    @OptionGroup var reading: SeriesReadingOptions

    @Option(name: .customLong("tolerance-mm"), help: "Vertex reduction tolerance in mm (0: drop only collinear vertices).")
    var toleranceMM = RTStructWriteOptions.defaultToleranceMM

    @Option(help: "Algorithm (model) name written as each ROI's generation description.")
    var algorithm = "SegStation"

    @Flag(help: "Print a JSON summary.")
    var json = false

    func validate() throws {
        guard toleranceMM.isFinite, toleranceMM >= 0, toleranceMM <= 10 else {
            throw ValidationError("--tolerance-mm must be 0...10 (mm)")
        }
    }

    struct Summary: Encodable {
        var output: String
        var seriesInstanceUID: String
        var sopInstanceUID: String
        /// ROI number per label value.
        var rois: [String: Int]
        var contours: Int
        var points: Int
        var toleranceMM: Double
    }

    func run() throws {
        OwnerOnly.apply()
        // Contours go on the exact source frames whatever the reading options (an uneven series needs
        // --uneven-spacing resample to be accepted, as by every reader; its frames are not resampled).
        let sourceSeries = try SEGSourceSeries.read(URL(fileURLWithPath: source), seriesInstanceUID: series, stackIndex: stack,
                                                    options: reading.loadOptions)
        let described = try labels.map { try RTROIDescription.list(fromLabelsFile: URL(fileURLWithPath: $0)) } ?? []
        let labelMap = try VolumeFile.readLabels(mask)
        var options = RTStructWriteOptions(softwareVersion: SegStationVersion.string, algorithmName: algorithm)
        options.modelName = algorithm
        options.toleranceMM = toleranceMM
        let result = try RTStructWriter(options: options).write(labelMap: labelMap, rois: described, over: sourceSeries,
                                                                to: URL(fileURLWithPath: output))
        let summary = Summary(output: output, seriesInstanceUID: result.seriesInstanceUID, sopInstanceUID: result.sopInstanceUID,
                              rois: Dictionary(uniqueKeysWithValues: result.roiNumbers.map { (String($0.key), $0.value) }),
                              contours: result.contourCount, points: result.pointCount, toleranceMM: toleranceMM)
        if json { try Output.json(summary) } else {
            Output.line("wrote \(output): \(result.roiNumbers.count) ROIs, \(result.contourCount) contours, \(result.pointCount) points")
        }
    }
}
