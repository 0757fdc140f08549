import Foundation
import Imaging
import DICOM
import VolumeIO

/// One scan loaded from any supported input: a DICOM file/folder/DICOMDIR, NIfTI or NRRD.
public struct LoadedScan {
    public var volume: Volume<Float>
    /// Present for DICOM input: the stack, per-slice source instances and warnings.
    public var dicom: DICOMImage?
    public var sourcePath: String
    public var warnings: [String] { dicom?.warnings.map(\.description) ?? [] }
}

/// Which part of a DICOM input to load and how to treat irregular stacks.
public struct ScanSelection: Sendable {
    public var seriesInstanceUID: String?
    /// nil: the series must hold one stack apart from localizers (`DICOMInventory.select`).
    public var stackIndex: Int?
    public var volumeIndex: Int
    public var dicomOptions: DICOMLoadOptions

    public init(seriesInstanceUID: String? = nil, stackIndex: Int? = nil, volumeIndex: Int = 0, dicomOptions: DICOMLoadOptions = DICOMLoadOptions()) {
        self.seriesInstanceUID = seriesInstanceUID; self.stackIndex = stackIndex
        self.volumeIndex = volumeIndex; self.dicomOptions = dicomOptions
    }
}

public enum ScanInput {
    /// Loads `path`: NIfTI/NRRD by suffix, anything else as DICOM.
    public static func load(_ path: String, selection: ScanSelection = ScanSelection()) throws -> LoadedScan {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DICOMError.notFound(path: path, reason: "no such file or folder")
        }
        if VolumeFile.format(of: path) != nil {
            return LoadedScan(volume: try VolumeFile.read(path, volumeIndex: selection.volumeIndex), dicom: nil, sourcePath: path)
        }
        let inventory = try DICOMScanner.scan(path: path)
        let stack = try inventory.select(seriesInstanceUID: selection.seriesInstanceUID, stackIndex: selection.stackIndex,
                                         options: selection.dicomOptions)
        let image = try DICOMLoader.load(stack: stack, options: selection.dicomOptions)
        return LoadedScan(volume: image.volume, dicom: image, sourcePath: path)
    }
}
