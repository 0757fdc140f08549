import Foundation
import Imaging

extension SEGSourceSeries {
    /// The source series of a SEG or SR, read through the one scanner and the one set of loading rules
    /// (`DICOMScanner.scan`, `DICOMInventory.select`, `DICOMLoader.prepare`): headers only, the same
    /// stacks, bad-slice refusals and derived identities as `segment` and `convert`.
    ///
    /// One file without any patient geometry (no Image Position / Orientation (Patient) and no Pixel
    /// Spacing, e.g. pydicom-data's emri_small.dcm), which the scanner does not load as a volume, is
    /// taken on its index grid (`hasPatientGeometry == false`).
    /// - Throws: `DICOMError` (not found, bad slice, ambiguous stacks, inconsistent stack...).
    public static func read(_ url: URL, seriesInstanceUID: String? = nil, stackIndex: Int? = nil,
                            options: DICOMLoadOptions = DICOMLoadOptions()) throws -> SEGSourceSeries {
        let inventory: DICOMInventory
        do {
            inventory = try DICOMScanner.scan(path: url.path)
        } catch let error as DICOMError {
            if let grid = try indexGrid(url.path) { return grid }
            throw error
        }
        let selected = try inventory.select(seriesInstanceUID: seriesInstanceUID, stackIndex: stackIndex, options: options)
        return try SEGSourceSeries(stack: DICOMLoader.prepare(stack: selected, options: options))
    }

    /// A single file with pixel data and no patient geometry at all: frames in frame-number order on the
    /// index grid; nil for anything else (folders, files with any geometry attribute).
    static func indexGrid(_ path: String) throws -> SEGSourceSeries? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let file = try? DICOMFile(path: path) else { return nil }
        let ds = file.dataset
        let geometryTags: [DICOMTag] = [.imagePositionPatient, .imageOrientationPatient, .pixelSpacing,
                                        .sharedFunctionalGroupsSequence, .perFrameFunctionalGroupsSequence]
        guard ds.has(.pixelData), !geometryTags.contains(where: ds.has) else { return nil }
        let info = try file.pixelInfo()
        let sopClass = ds.string(.sopClassUID) ?? file.meta.string(.mediaStorageSOPClassUID) ?? ""
        guard let instance = ds.string(.sopInstanceUID) ?? file.meta.string(.mediaStorageSOPInstanceUID) else {
            throw DICOMError.missingAttribute(file: path, tag: .sopInstanceUID, name: "SOPInstanceUID")
        }
        let frames = (0..<info.frames).map { k in
            Frame(sopClassUID: sopClass, sopInstanceUID: instance, frameNumber: info.frames > 1 ? k + 1 : nil,
                  positionLPS: Vector3(0, 0, Double(k)), path: path)
        }
        func uid(_ tag: DICOMTag, _ role: String) -> String { ds.string(tag) ?? DerivedIdentity.uid(role + "|" + instance) }
        var source = SEGSourceSeries(frames: frames, rows: info.rows, columns: info.columns, rowDirectionLPS: Vector3(1, 0, 0),
                                     columnDirectionLPS: Vector3(0, 1, 0), pixelSpacingMM: PixelSpacing(i: 1, j: 1), sliceThicknessMM: nil,
                                     studyInstanceUID: uid(.studyInstanceUID, "study"), seriesInstanceUID: uid(.seriesInstanceUID, "series"),
                                     frameOfReferenceUID: uid(.frameOfReferenceUID, "for"), lossyRatio: nil, lossyMethod: nil,
                                     hasPatientGeometry: false)
        if ds.string(.lossyImageCompression) == "01" {
            source.lossyCompression = (ds.string(.lossyImageCompressionRatio) ?? "", ds.string(.lossyImageCompressionMethod) ?? "")
        }
        return source
    }
}
