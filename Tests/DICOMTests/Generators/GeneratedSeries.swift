import DICOM
import Foundation
import Imaging
import TestSupport

/// Small image series written by SegStation's own DICOM writer (DCMTK), for the loading-rule tests.
enum GeneratedSeries {
    /// A 16x12x`slices` MR series (1 mm voxels, axial) with a bright block in the middle.
    static func write(to folder: URL, slices: Int = 8, origin: Vector3 = Vector3(-8, -6, 0), patientID: String = "GEN-1",
                      studyUID: String = "2.25.1001", seriesUID: String? = nil, frameOfReferenceUID: String = "2.25.1003") throws {
        let g = VolumeGeometry(size: SIMD3(16, 12, slices), spacingMM: Vector3(1, 1, 2), originLPS: origin, direction: .identity)
        var v = Volume<Float>(geometry: g, repeating: 10)
        for k in 0..<slices { for j in 4..<8 { for i in 5..<11 { v[i, j, k] = 200 } } }
        var d = DICOMSeriesDescription(patientID: patientID, patientName: patientID.isEmpty ? "" : "Gen^Patient", studyInstanceUID: studyUID,
                                       studyDate: "20240102", seriesDescription: "generated", frameOfReferenceUID: frameOfReferenceUID)
        if let seriesUID { d.seriesInstanceUID = seriesUID }
        try DICOMSeriesWriter.write(v, to: folder, description: d)
    }

    /// The files of a written series, sorted.
    static func files(_ folder: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil).sorted { $0.path < $1.path }
    }
}
