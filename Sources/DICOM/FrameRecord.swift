import Foundation
import Imaging

/// One image frame with everything grouping and loading need.
struct FrameRecord {
    var slice: DICOMSlice
    /// Direction of increasing column index (first triplet of ImageOrientationPatient), LPS.
    var rowDirection: Vector3
    /// Direction of increasing row index (second triplet), LPS.
    var columnDirection: Vector3
    /// PixelSpacing (0028,0030), 1 mm each when absent.
    var pixelSpacingMM: PixelSpacing
    var pixelSpacingMissing: Bool
    var rows: Int
    var columns: Int
    /// Split keys: echo, temporal position, image/frame type, stack ID.
    var echoKey: String?
    var temporalKey: Int?
    var typeKey: String
    var stackID: String?
    var isLocalizer: Bool
    var isDerived: Bool
    var sliceThicknessMM: Double?
    var gantryTiltDegrees: Double?
    /// EchoTime (0018,0081) or EffectiveEchoTime (0018,9082), ms; ImageType (0008,0008) or FrameType
    /// (0008,9007) as written: shown where they tell the stacks of a series apart.
    var echoTimeMS: Double? = nil
    var imageType = ""

    var normal: Vector3 { cross(rowDirection, columnDirection) }
}

/// The header of one image file, frames expanded.
struct ParsedInstance {
    var path: String
    var patient: DICOMPatient
    var study: DICOMStudyInfo
    var series: DICOMSeriesInfo
    var frames: [FrameRecord]
}

enum ParseOutcome {
    case image(ParsedInstance)
    /// A valid DICOM object that is not a loadable image (reason for the inventory note).
    case skipped(String)
    /// A DICOMDIR: the referenced files (absolute paths).
    case directory([String])
}
