import Imaging

/// Patient identification as written in the files (PN values keep DICOM's `^` separators).
public struct DICOMPatient: Codable, Sendable, Equatable {
    public var id: String?
    public var name: String?
    public var birthDate: String?
    public var sex: String?
}

/// Study-level identifiers and descriptions. Dates are DICOM DA strings ("YYYYMMDD").
public struct DICOMStudyInfo: Codable, Sendable, Equatable {
    public var studyInstanceUID: String
    public var studyID: String?
    public var date: String?
    public var time: String?
    public var description: String?
    public var accessionNumber: String?
}

/// Series-level identifiers and descriptions.
public struct DICOMSeriesInfo: Codable, Sendable, Equatable {
    public var seriesInstanceUID: String
    public var seriesNumber: Int?
    public var modality: String?
    public var description: String?
    public var bodyPartExamined: String?
    public var date: String?
    public var time: String?
    public var manufacturer: String?
    public var manufacturerModelName: String?
    public var frameOfReferenceUID: String?
    public var sopClassUID: String?
}

/// One slice of a stack: where its pixels come from and how to scale them.
/// Later layers need `sopInstanceUID` and `frameNumber` to reference the source in DICOM-SEG.
public struct DICOMSlice: Codable, Sendable, Equatable {
    /// Path of the file.
    public var file: String
    /// 1-based frame number within the file (1 for single-frame images).
    public var frameNumber: Int
    public var sopInstanceUID: String
    public var sopClassUID: String?
    public var instanceNumber: Int?
    public var acquisitionNumber: Int?
    /// Image Position (Patient) of the first transmitted pixel, LPS mm.
    public var positionLPS: Vector3
    /// Modality LUT: value = stored * slope + intercept (per frame in enhanced objects).
    public var rescaleSlope: Double
    public var rescaleIntercept: Double
    /// PixelPaddingValue (0028,0120) and range limit (0028,0121), as stored values.
    public var paddingValue: Int?
    public var paddingRangeLimit: Int?
    /// Photometric interpretation MONOCHROME1 (stored values are inverted on load).
    public var isMonochrome1: Bool
    public var transferSyntaxUID: String
    /// Siemens mosaic: the 0-based tile holding this slice and the tiles per mosaic row (nil otherwise).
    public var mosaicTile: Int? = nil
    public var mosaicTilesPerRow: Int? = nil
    /// True when the file has no SOP Instance UID (data set or meta header) and `sopInstanceUID` was
    /// derived from the file's SHA-256 (see `DerivedIdentity`).
    public var sopInstanceUIDDerived = false
    /// Lossy Image Compression Ratio (0028,2112) and Method (0028,2114) when LossyImageCompression
    /// (0028,2110) is "01"; copied into DICOM-SEG.
    public var lossyCompressionRatio: String? = nil
    public var lossyCompressionMethod: String? = nil
}

/// In-plane pixel spacing, mm, the one type every DICOM reader and writer uses: `i` between columns
/// (the step along a row, the first ImageOrientationPatient direction), `j` between rows (along a
/// column). DICOM's PixelSpacing (0028,0030) lists the row spacing (`j`) first: `init(dicom:)` and
/// `dicomOrder` convert. Encoded in JSON as `[i, j]`.
public struct PixelSpacing: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    public var i: Double
    public var j: Double

    public init(i: Double, j: Double) { self.i = i; self.j = j }
    /// From PixelSpacing's two values as stored (between rows, between columns).
    public init(dicom values: [Double]) { self.init(i: values[1], j: values[0]) }

    /// The values in PixelSpacing's order (between rows, between columns).
    public var dicomOrder: (Double, Double) { (j, i) }
    public var smaller: Double { Swift.min(i, j) }
    public var description: String { String(format: "%.6g x %.6g", i, j) }

    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        self.init(i: try c.decode(Double.self), j: try c.decode(Double.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(i); try c.encode(j)
    }
}
