import ArgumentParser
import DICOM

/// How every command that reads a DICOM series treats irregular input: the same flags, names and
/// defaults on `convert`, `segment`, `export-seg` and `export-sr` (docs/DICOM.md, "Loading rules").
struct SeriesReadingOptions: ParsableArguments {
    @Option(help: "Uneven slice spacing: fail (default) or resample (linear, onto even steps).")
    var unevenSpacing: DICOMLoadOptions.UnevenSpacing = .fail

    @Option(help: "Gantry tilt: shear (default; exact voxels, sheared direction) or resample-orthogonal.")
    var tilt: DICOMLoadOptions.Tilt = .shear

    @Flag(help: "Leave out unreadable files and slices that do not fit the series (each named in a warning) instead of refusing the input.")
    var skipBadSlices = false

    var loadOptions: DICOMLoadOptions {
        DICOMLoadOptions(unevenSpacing: unevenSpacing, tilt: tilt, skipBadSlices: skipBadSlices)
    }
}

extension DICOMLoadOptions.UnevenSpacing: ExpressibleByArgument {}
extension DICOMLoadOptions.Tilt: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "shear": self = .shear
        case "resample-orthogonal", "resampleOrthogonal": self = .resampleOrthogonal
        default: return nil
        }
    }
    public static var allValueStrings: [String] { ["shear", "resample-orthogonal"] }
}
