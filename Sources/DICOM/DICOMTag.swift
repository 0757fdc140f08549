/// A DICOM attribute tag (group, element), printed as "(0028,0010)".
public struct DICOMTag: Hashable, Codable, Sendable, CustomStringConvertible {
    public var group: UInt16
    public var element: UInt16

    public init(_ group: UInt16, _ element: UInt16) {
        self.group = group
        self.element = element
    }

    public var description: String {
        "(" + hex4(group) + "," + hex4(element) + ")"
    }

    private func hex4(_ value: UInt16) -> String {
        let s = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - s.count) + s
    }
}

/// The attributes SegStation reads, named as in PS3.6.
extension DICOMTag {
    // Identification
    static let sopClassUID = DICOMTag(0x0008, 0x0016)
    static let sopInstanceUID = DICOMTag(0x0008, 0x0018)
    static let studyDate = DICOMTag(0x0008, 0x0020)
    static let seriesDate = DICOMTag(0x0008, 0x0021)
    static let acquisitionDate = DICOMTag(0x0008, 0x0022)
    static let studyTime = DICOMTag(0x0008, 0x0030)
    static let seriesTime = DICOMTag(0x0008, 0x0031)
    static let accessionNumber = DICOMTag(0x0008, 0x0050)
    static let modality = DICOMTag(0x0008, 0x0060)
    static let manufacturer = DICOMTag(0x0008, 0x0070)
    static let imageType = DICOMTag(0x0008, 0x0008)
    static let studyDescription = DICOMTag(0x0008, 0x1030)
    static let seriesDescription = DICOMTag(0x0008, 0x103E)
    static let manufacturerModelName = DICOMTag(0x0008, 0x1090)
    static let frameType = DICOMTag(0x0008, 0x9007)
    static let patientName = DICOMTag(0x0010, 0x0010)
    static let patientID = DICOMTag(0x0010, 0x0020)
    static let patientBirthDate = DICOMTag(0x0010, 0x0030)
    static let patientSex = DICOMTag(0x0010, 0x0040)
    static let bodyPartExamined = DICOMTag(0x0018, 0x0015)
    static let sliceThickness = DICOMTag(0x0018, 0x0050)
    static let spacingBetweenSlices = DICOMTag(0x0018, 0x0088)
    static let echoTime = DICOMTag(0x0018, 0x0081)
    static let echoNumbers = DICOMTag(0x0018, 0x0086)
    static let gantryDetectorTilt = DICOMTag(0x0018, 0x1120)
    static let effectiveEchoTime = DICOMTag(0x0018, 0x9082)
    static let mrEchoSequence = DICOMTag(0x0018, 0x9114)
    static let mrImageFrameTypeSequence = DICOMTag(0x0018, 0x9226)
    static let ctImageFrameTypeSequence = DICOMTag(0x0018, 0x9329)
    static let studyInstanceUID = DICOMTag(0x0020, 0x000D)
    static let seriesInstanceUID = DICOMTag(0x0020, 0x000E)
    static let studyID = DICOMTag(0x0020, 0x0010)
    static let seriesNumber = DICOMTag(0x0020, 0x0011)
    static let acquisitionNumber = DICOMTag(0x0020, 0x0012)
    static let instanceNumber = DICOMTag(0x0020, 0x0013)
    static let imagePositionPatient = DICOMTag(0x0020, 0x0032)
    static let imageOrientationPatient = DICOMTag(0x0020, 0x0037)
    static let frameOfReferenceUID = DICOMTag(0x0020, 0x0052)
    static let temporalPositionIdentifier = DICOMTag(0x0020, 0x0100)
    static let stackID = DICOMTag(0x0020, 0x9056)
    static let inStackPositionNumber = DICOMTag(0x0020, 0x9057)
    static let frameContentSequence = DICOMTag(0x0020, 0x9111)
    static let planePositionSequence = DICOMTag(0x0020, 0x9113)
    static let planeOrientationSequence = DICOMTag(0x0020, 0x9116)
    static let temporalPositionIndex = DICOMTag(0x0020, 0x9128)
    // Image pixel module
    static let samplesPerPixel = DICOMTag(0x0028, 0x0002)
    static let photometricInterpretation = DICOMTag(0x0028, 0x0004)
    static let numberOfFrames = DICOMTag(0x0028, 0x0008)
    static let rows = DICOMTag(0x0028, 0x0010)
    static let columns = DICOMTag(0x0028, 0x0011)
    static let pixelSpacing = DICOMTag(0x0028, 0x0030)
    static let bitsAllocated = DICOMTag(0x0028, 0x0100)
    static let bitsStored = DICOMTag(0x0028, 0x0101)
    static let pixelRepresentation = DICOMTag(0x0028, 0x0103)
    static let pixelPaddingValue = DICOMTag(0x0028, 0x0120)
    static let pixelPaddingRangeLimit = DICOMTag(0x0028, 0x0121)
    static let rescaleIntercept = DICOMTag(0x0028, 0x1052)
    static let rescaleSlope = DICOMTag(0x0028, 0x1053)
    static let lossyImageCompression = DICOMTag(0x0028, 0x2110)
    static let lossyImageCompressionRatio = DICOMTag(0x0028, 0x2112)
    static let lossyImageCompressionMethod = DICOMTag(0x0028, 0x2114)
    static let pixelMeasuresSequence = DICOMTag(0x0028, 0x9110)
    static let pixelValueTransformationSequence = DICOMTag(0x0028, 0x9145)
    static let sharedFunctionalGroupsSequence = DICOMTag(0x5200, 0x9229)
    static let perFrameFunctionalGroupsSequence = DICOMTag(0x5200, 0x9230)
    static let pixelData = DICOMTag(0x7FE0, 0x0010)
    // File meta and DICOMDIR
    static let mediaStorageSOPClassUID = DICOMTag(0x0002, 0x0002)
    static let mediaStorageSOPInstanceUID = DICOMTag(0x0002, 0x0003)
    static let transferSyntaxUID = DICOMTag(0x0002, 0x0010)
    static let directoryRecordSequence = DICOMTag(0x0004, 0x1220)
    static let directoryRecordType = DICOMTag(0x0004, 0x1430)
    static let referencedFileID = DICOMTag(0x0004, 0x1500)
}
