import Foundation
import Imaging

enum InstanceParser {
    /// SOP class prefixes of objects that are not cross-sectional scans.
    static let nonImageClasses: [(prefix: String, name: String)] = [
        ("1.2.840.10008.5.1.4.1.1.66.4", "Segmentation (SEG)"),
        ("1.2.840.10008.5.1.4.1.1.66", "raw data / registration"),
        ("1.2.840.10008.5.1.4.1.1.481.", "radiotherapy object (RT)"),
        ("1.2.840.10008.5.1.4.1.1.88.59", "key object selection (KO)"),
        ("1.2.840.10008.5.1.4.1.1.88.", "structured report (SR)"),
        ("1.2.840.10008.5.1.4.1.1.11.", "presentation state (PR)"),
        ("1.2.840.10008.5.1.4.1.1.9.", "waveform"),
        ("1.2.840.10008.5.1.4.1.1.104.", "encapsulated document"),
        ("1.2.840.10008.5.1.4.1.1.7", "secondary capture"),
        ("1.2.840.10008.1.3.10", "media directory (DICOMDIR / Philips DIRFILE)"),
    ]

    static func parse(_ file: DICOMFile) throws -> ParseOutcome {
        let ds = file.dataset
        let path = file.path
        let sopClass = ds.string(.sopClassUID) ?? file.meta.string(.mediaStorageSOPClassUID)
        if ds.has(.directoryRecordSequence) { return .directory(directoryReferences(ds, path: path)) }
        if let sopClass, let match = nonImageClasses.first(where: { sopClass.hasPrefix($0.prefix) }) {
            return .skipped("\(match.name), SOP class \(sopClass)")
        }
        guard ds.has(.pixelData) else {
            if sopClass != nil && (ds.has(.rows) || ds.has(.imagePositionPatient)) {
                throw DICOMError.missingAttribute(file: path, tag: .pixelData, name: "PixelData")
            }
            return .skipped("no PixelData \(DICOMTag.pixelData): not an image (SOP class \(sopClass ?? "unknown"))")
        }
        let photometric = ds.string(.photometricInterpretation) ?? "MONOCHROME2"
        let pixel = try file.pixelInfo()
        guard photometric == "MONOCHROME1" || photometric == "MONOCHROME2" else {
            return .skipped("PhotometricInterpretation \(DICOMTag.photometricInterpretation) is \(photometric); only greyscale images are loaded")
        }
        let frames = try FrameParser(file: file, pixel: pixel, isMonochrome1: photometric == "MONOCHROME1").frames()
        guard !frames.isEmpty else {
            return .skipped("no ImageOrientationPatient \(DICOMTag.imageOrientationPatient) / ImagePositionPatient \(DICOMTag.imagePositionPatient): not a cross-sectional image")
        }
        // Missing UIDs stay empty here; DICOMScanner derives them once the series are grouped.
        let studyUID = ds.string(.studyInstanceUID) ?? ""
        let seriesUID = ds.string(.seriesInstanceUID) ?? ""
        return .image(ParsedInstance(
            path: path,
            patient: DICOMPatient(id: ds.string(.patientID), name: ds.string(.patientName),
                                  birthDate: ds.string(.patientBirthDate), sex: ds.string(.patientSex)),
            study: DICOMStudyInfo(studyInstanceUID: studyUID, studyID: ds.string(.studyID), date: ds.string(.studyDate),
                                  time: ds.string(.studyTime), description: ds.string(.studyDescription),
                                  accessionNumber: ds.string(.accessionNumber)),
            series: DICOMSeriesInfo(seriesInstanceUID: seriesUID, seriesNumber: ds.int(.seriesNumber), modality: ds.string(.modality),
                                    description: ds.string(.seriesDescription), bodyPartExamined: ds.string(.bodyPartExamined),
                                    date: ds.string(.seriesDate), time: ds.string(.seriesTime),
                                    manufacturer: ds.string(.manufacturer), manufacturerModelName: ds.string(.manufacturerModelName),
                                    frameOfReferenceUID: ds.string(.frameOfReferenceUID), sopClassUID: sopClass),
            frames: frames))
    }

    /// Files referenced by IMAGE-like records of a DICOMDIR, resolved against its folder.
    static func directoryReferences(_ ds: DICOMItem, path: String) -> [String] {
        let folder = (path as NSString).deletingLastPathComponent
        var result = [String]()
        for record in ds.items(.directoryRecordSequence) {
            let components = record.strings(.referencedFileID).filter { !$0.isEmpty }
            guard !components.isEmpty else { continue }
            result.append(resolve(components, in: folder))
        }
        return result
    }

    /// Joins DICOMDIR path components, matching case-insensitively when the exact name is absent.
    static func resolve(_ components: [String], in folder: String) -> String {
        var current = folder
        for component in components {
            let exact = (current as NSString).appendingPathComponent(component)
            if FileManager.default.fileExists(atPath: exact) { current = exact; continue }
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: current)) ?? []
            if let match = entries.first(where: { $0.caseInsensitiveCompare(component) == .orderedSame }) {
                current = (current as NSString).appendingPathComponent(match)
            } else {
                current = exact
            }
        }
        return current
    }
}
