import ArgumentParser
import Foundation
import Imaging
import DICOM
import VolumeIO
import Pipeline

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert any readable scan to NIfTI or NRRD (chosen by the output's extension).",
        discussion: """
        Output: .nii, .nii.gz, .hdr (NIfTI-1, float32) or .nrrd (gzip NRRD, LPS). The geometry is kept \
        exactly: NIfTI gets the index-to-RAS affine in its sform (and qform when orthonormal). \
        A gantry-tilted CT keeps its true geometry as a sheared sform by default \
        (--tilt resample-orthogonal resamples onto an orthogonal grid). Unevenly spaced slices are an \
        error unless --uneven-spacing resample is given. A DICOM-SEG file converts to a label map (segment \
        numbers as values) on the SEG's own frame grid, or on the source series' grid with --seg-source DIR. \
        The file is written under a temporary name and renamed.
        """
    )

    @Argument(help: "DICOM file or folder, DICOMDIR, NIfTI or NRRD file.")
    var path: String

    @Option(name: .shortAndLong, help: "Output file: .nii, .nii.gz, .hdr or .nrrd.")
    var output: String

    @Option(help: "SeriesInstanceUID to convert when the input holds several series.")
    var series: String?

    @Option(help: "Stack index within the series (see `inspect`); required when the series holds several stacks.")
    var stack: Int?

    @Option(help: "Volume of a 4D NIfTI to read (0-based).")
    var volumeIndex = 0

    @OptionGroup var reading: SeriesReadingOptions

    @Option(help: "For a DICOM-SEG input: the source series folder whose grid the label map is written on.")
    var segSource: String?

    @Flag(help: "Print a JSON summary of what was written.")
    var json = false

    func validate() throws {
        guard VolumeFile.format(of: output) != nil else {
            throw ValidationError("output '\(output)' must end in .nii, .nii.gz, .hdr or .nrrd")
        }
    }

    struct Summary: Encodable {
        var input: String
        var output: String
        var size: [Int]
        var spacingMM: [Double]
        var orientation: String
        var warnings: [String]
    }

    func run() throws {
        let options = reading.loadOptions
        let g: VolumeGeometry
        var warnings: [String] = []
        if let seg = segmentation() {
            let grid = try segSource.map { try SEGSourceSeries.read(URL(fileURLWithPath: $0), options: options) } ?? seg.ownFrameGrid()
            let labels = try seg.labelMap(on: grid)
            try VolumeFile.write(labels, to: output)
            g = labels.geometry
        } else {
            let scan = try ScanInput.load(path, selection: ScanSelection(seriesInstanceUID: series, stackIndex: stack,
                                                                          volumeIndex: volumeIndex, dicomOptions: options))
            warnings = scan.warnings
            for w in warnings { Output.warning(w) }
            try VolumeFile.write(scan.volume, to: output)
            g = scan.volume.geometry
        }
        let summary = Summary(input: path, output: output, size: [g.size.x, g.size.y, g.size.z],
                              spacingMM: [g.spacingMM.x, g.spacingMM.y, g.spacingMM.z], orientation: g.orientationCode, warnings: warnings)
        if json { try Output.json(summary) } else { Output.line("wrote \(output): \(g)") }
    }
}

extension ConvertCommand {
    /// The input as a DICOM Segmentation, or nil when it is anything else (a folder, an image, NIfTI).
    func segmentation() -> SEGDocument? {
        var isDirectory: ObjCBool = false
        guard VolumeFile.format(of: path) == nil, FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
              !isDirectory.boolValue else { return nil }
        return try? SEGDocument(contentsOf: URL(fileURLWithPath: path))
    }
}
