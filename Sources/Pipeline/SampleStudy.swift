import Foundation
import Imaging
import DICOM
import VolumeIO

/// Writes the phantom as a DICOM study: `FLAIR/` and `T1c/` series (one study, one frame of
/// reference) and `reference-mask.nii.gz` (whole tumour).
public enum SampleStudy {
    public struct Written: Codable, Sendable {
        public var folder: String
        public var flairSeries: String
        public var t1cSeries: String
        public var referenceMask: String
        public var studyInstanceUID: String
    }

    public static func write(to folder: URL, phantom: SamplePhantom = SamplePhantom()) throws -> Written {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let studyUID = DICOMUID.make()
        let frame = DICOMUID.make()
        func description(_ name: String, number: Int) -> DICOMSeriesDescription {
            var d = DICOMSeriesDescription(patientID: "PHANTOM-0001", patientName: "Phantom^Brain", studyInstanceUID: studyUID,
                                           studyDate: "20260101", seriesDescription: "\(name) (SegStation phantom)", frameOfReferenceUID: frame)
            d.seriesNumber = number
            d.sequenceName = name
            d.studyDescription = "Brain tumour phantom"
            d.bodyPart = "BRAIN"
            return d
        }
        let flairFolder = folder.appendingPathComponent("FLAIR"), t1cFolder = folder.appendingPathComponent("T1c")
        try DICOMSeriesWriter.write(phantom.flair, to: flairFolder, description: description("FLAIR", number: 1))
        try DICOMSeriesWriter.write(phantom.t1c, to: t1cFolder, description: description("T1c", number: 2))
        let maskPath = folder.appendingPathComponent("reference-mask.nii.gz")
        try VolumeFile.write(phantom.wholeTumour, to: maskPath.path)
        return Written(folder: folder.path, flairSeries: flairFolder.path, t1cSeries: t1cFolder.path,
                       referenceMask: maskPath.path, studyInstanceUID: studyUID)
    }
}
