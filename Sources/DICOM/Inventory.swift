import Imaging

/// What a scan of a folder, file or DICOMDIR found: studies -> series -> stacks, plus the files
/// that were skipped and why. Codable for `segstation inspect --json`.
public struct DICOMInventory: Codable, Sendable {
    /// The scanned path.
    public var root: String
    /// Number of files examined.
    public var fileCount: Int
    public var studies: [DICOMStudy]
    /// Files that are not loadable images (non-image objects, colour, unreadable), with reasons.
    public var skipped: [DICOMSkippedFile]

    /// Every stack of every series, in inventory order.
    public var allStacks: [DICOMStack] { studies.flatMap { $0.series.flatMap(\.stacks) } }

    /// The stack `index` (0-based, within its series) of the series `seriesInstanceUID`; with no
    /// UID the inventory must hold exactly one series.
    /// - Throws: `DICOMError.invalidArgument` naming the available series/stacks.
    public func stack(seriesInstanceUID: String? = nil, index: Int = 0) throws -> DICOMStack {
        let allSeries = studies.flatMap(\.series)
        let series: DICOMSeries
        if let uid = seriesInstanceUID {
            guard let found = allSeries.first(where: { $0.info.seriesInstanceUID == uid }) else {
                throw DICOMError.invalidArgument("no series \(uid); found \(allSeries.map(\.info.seriesInstanceUID).joined(separator: ", "))")
            }
            series = found
        } else {
            guard allSeries.count == 1 else {
                throw DICOMError.invalidArgument("\(allSeries.count) series found; choose one by SeriesInstanceUID: \(allSeries.map(\.info.seriesInstanceUID).joined(separator: ", "))")
            }
            series = allSeries[0]
        }
        guard series.stacks.indices.contains(index) else {
            throw DICOMError.invalidArgument("series \(series.info.seriesInstanceUID) has \(series.stacks.count) stacks; stack \(index) requested")
        }
        return series.stacks[index]
    }

    /// The same inventory without per-slice lists (for compact JSON output).
    public func withoutSlices() -> DICOMInventory {
        var copy = self
        for s in copy.studies.indices {
            for r in copy.studies[s].series.indices {
                for k in copy.studies[s].series[r].stacks.indices { copy.studies[s].series[r].stacks[k].slices = [] }
            }
        }
        return copy
    }
}

public struct DICOMStudy: Codable, Sendable {
    public var info: DICOMStudyInfo
    public var patient: DICOMPatient
    public var series: [DICOMSeries]
}

public struct DICOMSeries: Codable, Sendable {
    public var info: DICOMSeriesInfo
    /// Transfer syntax UIDs of the series' files.
    public var transferSyntaxUIDs: [String]
    /// Stacks, the largest first.
    public var stacks: [DICOMStack]
    /// Series-level warnings (e.g. mixed image sizes).
    public var warnings: [DICOMWarning]
}

/// A set of slices that form one volume: same orientation, size, echo, temporal position and
/// image type, sorted along the slice normal by ImagePositionPatient.
public struct DICOMStack: Codable, Sendable {
    /// Index within the series (what `--stack N` selects).
    public var index: Int
    public var label: String
    public var patient: DICOMPatient
    public var study: DICOMStudyInfo
    public var series: DICOMSeriesInfo
    public var rows: Int
    public var columns: Int
    public var sliceCount: Int
    /// In-plane spacing (JSON: [between columns (along i), between rows (along j)]), mm.
    public var pixelSpacingMM: PixelSpacing
    /// Mean distance between consecutive slice positions, mm (nil for one slice).
    public var sliceSpacingMM: Double?
    /// ImageOrientationPatient: direction of i (along a row) and j (down a column), LPS.
    public var rowDirectionLPS: Vector3
    public var columnDirectionLPS: Vector3
    /// Orientation code of the stack as loaded (e.g. "LPS" for axial head-first supine).
    public var orientationCode: String
    /// Angle between the slice-to-slice step and the slice normal, degrees (0 without tilt).
    public var tiltDegrees: Double
    public var isLocalizer: Bool
    public var isDerived: Bool
    public var warnings: [DICOMWarning]
    /// Transfer syntax UIDs used by the slices.
    public var transferSyntaxUIDs: [String]
    /// Slices in load order (ascending along the slice normal).
    public var slices: [DICOMSlice]
    /// Identifiers absent or empty in the files and derived from their fingerprint (attribute
    /// keywords such as "StudyInstanceUID"; see `DerivedIdentity`).
    public var derivedIdentifiers: [String] = []
    /// SliceThickness (0018,0050) of the first slice, mm.
    public var sliceThicknessMM: Double? = nil
    /// ImageType (0008,0008) values of the first slice (e.g. ["ORIGINAL", "PRIMARY", "AXIAL"]); empty when absent.
    public var imageType: [String] = []
    /// What sets this stack apart within its series ("echo time 4.92 ms", "ImageType ORIGINAL\\PRIMARY\\B0"...).
    public var distinguishingAttributes: [String] = []
}

/// A condition worth reporting that does not stop scanning.
public struct DICOMWarning: Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable {
        case gantryTilt, unevenSpacing, missingSlices, duplicatePositions, nonCollinearPositions
        case mixedSizes, missingPixelSpacing
        /// A bad file or slice left out under `--skip-bad-slices` (the message names it).
        case badSliceSkipped
    }
    public var kind: Kind
    public var message: String
    public var description: String { "\(kind.rawValue): \(message)" }
}

public struct DICOMSkippedFile: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// Not an image to load: a non-DICOM file, DICOMDIR/DIRFILE, SR, PR, KO, RT objects, colour...
        case notImage
        /// A DICOM file that cannot be read (truncated, corrupt header, nesting too deep): the loading
        /// commands refuse the folder unless `--skip-bad-slices`.
        case unreadable
    }
    public var path: String
    public var reason: String
    public var kind: Kind = .notImage
}
