internal import CDCMTKBridge
import Core
import Foundation
import Imaging

/// Identifiers and descriptions for a series written from a volume.
public struct DICOMSeriesDescription: Sendable {
    public var modality: String = "MR"
    public var patientID: String
    public var patientName: String
    public var patientBirthDate: String = ""
    public var patientSex: String = ""
    public var studyInstanceUID: String
    public var studyDate: String
    public var studyTime: String = "120000"
    public var studyID: String = "1"
    public var studyDescription: String = ""
    public var accessionNumber: String = ""
    public var seriesInstanceUID: String = DICOMUID.make()
    public var seriesNumber: Int = 1
    public var seriesDescription: String
    public var sequenceName: String = ""
    public var frameOfReferenceUID: String
    public var bodyPart: String = ""

    public init(patientID: String, patientName: String, studyInstanceUID: String, studyDate: String,
                seriesDescription: String, frameOfReferenceUID: String) {
        self.patientID = patientID; self.patientName = patientName; self.studyInstanceUID = studyInstanceUID
        self.studyDate = studyDate; self.seriesDescription = seriesDescription; self.frameOfReferenceUID = frameOfReferenceUID
    }
}

public enum DICOMUID {
    /// A new UID (DCMTK's generator under its site root).
    public static func make() -> String {
        var buffer = [CChar](repeating: 0, count: 128)
        ssdcm_new_uid(nil, &buffer, buffer.count)
        return String(cBuffer: buffer)
    }
}

/// Writes a volume as a classic single-frame CT or MR series (16-bit signed, one file per k slice).
///
/// Slice `k` holds voxels `(i, j, k)`: DICOM column index = i, row index = j, so
/// ImageOrientationPatient = (direction i, direction j) and ImagePositionPatient = centre of voxel
/// (0, 0, k). Values are stored as `round((v - intercept) / slope)` with slope and intercept chosen
/// so the volume's range fills int16 (slope 1 and intercept 0 when the values are integers that fit).
public enum DICOMSeriesWriter {
    /// Writes into `folder` (created; must not exist) via a temporary sibling folder renamed at the end,
    /// so no half-written series is ever visible. Returns the SOP Instance UIDs in slice order.
    @discardableResult
    public static func write(_ volume: Volume<Float>, to folder: URL, description: DICOMSeriesDescription) throws -> [String] {
        let g = volume.geometry
        try g.validate()
        guard g.size.x <= 65535, g.size.y <= 65535 else {
            throw DICOMError.invalidArgument("slices of \(g.size.x)x\(g.size.y) exceed DICOM's 65535 rows/columns")
        }
        guard !FileManager.default.fileExists(atPath: folder.path) else {
            throw DICOMError.invalidArgument("\(folder.path) already exists; choose a new folder for the series")
        }
        let (slope, intercept) = rescale(for: volume.voxels)
        let temporary = TemporaryName.beside(folder)
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        var uids: [String] = []
        do {
            let plane = g.size.x * g.size.y
            let d = description
            let sopClass = d.modality == "CT" ? "1.2.840.10008.5.1.4.1.1.2" : "1.2.840.10008.5.1.4.1.1.4"
            for k in 0..<g.size.z {
                let stored: [Int16] = volume.voxels[(k * plane)..<((k + 1) * plane)].map {
                    Int16(clampingDouble: (Double($0) - intercept) / slope)
                }
                let uid = DICOMUID.make()
                let position = g.indexToPatient(Vector3(0, 0, Double(k)))
                let path = temporary.appendingPathComponent(String(format: "slice%04d.dcm", k)).path
                var status = ssdcm_status()
                let code: Int32 = try withCStrings([sopClass, d.modality, d.patientID, d.patientName, d.patientBirthDate, d.patientSex,
                                                    d.studyInstanceUID, d.studyDate, d.studyTime, d.studyID, d.studyDescription,
                                                    d.accessionNumber, d.seriesInstanceUID, d.seriesDescription, d.frameOfReferenceUID,
                                                    uid, d.sequenceName, d.bodyPart]) { s in
                    stored.withUnsafeBufferPointer { pixels in
                        var spec = ssdcm_slice_spec()
                        spec.sop_class_uid = s[0]; spec.modality = s[1]; spec.patient_id = s[2]; spec.patient_name = s[3]
                        spec.patient_birth_date = s[4]; spec.patient_sex = s[5]; spec.study_uid = s[6]; spec.study_date = s[7]
                        spec.study_time = s[8]; spec.study_id = s[9]; spec.study_description = s[10]; spec.accession_number = s[11]
                        spec.series_uid = s[12]; spec.series_description = s[13]; spec.frame_of_reference_uid = s[14]
                        spec.sop_instance_uid = s[15]; spec.sequence_name = s[16]; spec.body_part = s[17]
                        spec.series_number = Int32(d.seriesNumber); spec.instance_number = Int32(k + 1)
                        spec.rows = UInt32(g.size.y); spec.columns = UInt32(g.size.x)
                        spec.pixel_spacing_mm = (g.spacingMM.y, g.spacingMM.x)
                        spec.slice_thickness_mm = g.spacingMM.z
                        spec.position_lps = (position.x, position.y, position.z)
                        let r = g.direction.c0, c = g.direction.c1
                        spec.orientation = (r.x, r.y, r.z, c.x, c.y, c.z)
                        spec.rescale_slope = slope; spec.rescale_intercept = intercept
                        spec.pixels = pixels.baseAddress
                        return ssdcm_write_slice(&spec, path, &status)
                    }
                }
                guard code == 0 else { throw DICOMError.bridge(code, status, file: path) }
                uids.append(uid)
            }
            try AtomicFile.commit(temporary, to: folder)  // a failure is an output error (exit 73)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        return uids
    }

    /// Slope and intercept mapping the value range onto int16; identity for int16-representable integers.
    static func rescale(for values: [Float]) -> (Double, Double) {
        guard let lo = values.min(), let hi = values.max() else { return (1, 0) }
        if values.allSatisfy({ $0 == $0.rounded() }) && lo >= -32768 && hi <= 32767 { return (1, 0) }
        let span = max(Double(hi) - Double(lo), 1e-6)
        let slope = span / 65000
        let intercept = (Double(hi) + Double(lo)) / 2
        return (slope, intercept)
    }

    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>]) throws -> R) throws -> R {
        let pointers: [UnsafeMutablePointer<CChar>] = strings.map { strdup($0)! }
        defer { pointers.forEach { free($0) } }
        return try body(pointers.map { UnsafePointer($0) })
    }
}
