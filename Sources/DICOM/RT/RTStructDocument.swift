internal import CDCMTKBridge
import Foundation
import Imaging

/// An RT Structure Set read with DCMTK's dcmrt: its ROIs in Structure Set ROI Sequence order, each with
/// its contours as written. Checks against a source series happen when rasterising (`labelMap(on:)`).
public struct RTStructDocument: Sendable {
    public struct Contour: Sendable, Equatable {
        /// Contour Number (3006,0048), or the 1-based position in the Contour Sequence when absent.
        public var number: Int
        /// Contour Geometric Type (3006,0042): CLOSED_PLANAR, OPEN_PLANAR, OPEN_NONPLANAR or POINT.
        public var geometricType: String
        /// Referenced SOP Instance UID (0008,1155) of the first Contour Image Sequence item, if any.
        public var referencedSOPInstanceUID: String?
        public var referencedFrameNumber: Int?
        /// Contour Data (3006,0050) as points (LPS, mm).
        public var pointsLPS: [Vector3]
    }

    public struct ROI: Sendable, Equatable {
        /// ROI Number (3006,0022).
        public var number: Int
        /// ROI Name (3006,0026).
        public var name: String
        /// Referenced Frame of Reference UID (3006,0024) of the Structure Set ROI item.
        public var frameOfReferenceUID: String
        /// ROI Display Color (3006,002A), if given.
        public var color: RGBColor?
        /// RT ROI Interpreted Type (3006,00A4), "" when absent or empty.
        public var interpretedType: String
        public var contours: [Contour]
    }

    public var path: String
    public var sopInstanceUID: String
    public var studyInstanceUID: String
    /// Frame of Reference UID (3006,0024) of the first Referenced Frame of Reference item ("" if absent).
    public var frameOfReferenceUID: String
    public var rois: [ROI]

    /// Reads `url`.
    /// - Throws: `DICOMError.notFound`, `.badInput` for a file that is not DICOM, not an RTSTRUCT, or whose
    ///   Number of Contour Points (3006,0046) does not match its Contour Data (3006,0050).
    public init(contentsOf url: URL) throws {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw DICOMError.notFound(path: path, reason: "does not exist") }
        var handle: OpaquePointer?
        var error = ssdcm_status()
        let status = ssrt_read(path, &handle, &error)
        guard status == 0, let handle else { throw DICOMError.bridge(status, error, file: path) }
        defer { ssrt_free(handle) }
        var info = ssrt_info()
        ssrt_info_get(handle, &info)
        self.path = path
        sopInstanceUID = cString(info.sop_instance_uid)
        studyInstanceUID = cString(info.study_uid)
        frameOfReferenceUID = cString(info.for_uid)
        var rois: [ROI] = []
        for r in 0..<info.roi_count {
            var roi = ssrt_roi_info()
            _ = ssrt_roi_get(handle, r, &roi)
            let name = cString(roi.name)
            var contours: [Contour] = []
            for c in 0..<roi.contour_count {
                var contour = ssrt_contour_info()
                _ = ssrt_contour_get(handle, r, c, &contour)
                let number = contour.number != 0 ? Int(contour.number) : Int(c) + 1
                let values = Int(contour.value_count)
                guard values % 3 == 0, contour.point_count == 0 || Int(contour.point_count) * 3 == values else {
                    throw DICOMError.badInput(file: path, detail: "ROI '\(name)' contour \(number): Number of Contour Points (3006,0046) is \(contour.point_count) but Contour Data (3006,0050) holds \(values) values")
                }
                let buffer = UnsafeBufferPointer(start: contour.points, count: values)
                let points = stride(from: 0, to: values, by: 3).map { Vector3(buffer[$0], buffer[$0 + 1], buffer[$0 + 2]) }
                guard points.allSatisfy({ $0.x.isFinite && $0.y.isFinite && $0.z.isFinite }) else {
                    throw DICOMError.badInput(file: path, detail: "ROI '\(name)' contour \(number): Contour Data (3006,0050) holds a non-finite value")
                }
                let reference = cString(contour.ref_sop_instance_uid)
                contours.append(Contour(number: number, geometricType: cString(contour.geometric_type),
                                        referencedSOPInstanceUID: reference.isEmpty ? nil : reference,
                                        referencedFrameNumber: contour.ref_frame_number > 0 ? Int(contour.ref_frame_number) : nil,
                                        pointsLPS: points))
            }
            rois.append(ROI(number: Int(roi.number), name: name, frameOfReferenceUID: cString(roi.for_uid),
                            color: roi.has_color != 0 ? RGBColor(red: roi.color.0, green: roi.color.1, blue: roi.color.2) : nil,
                            interpretedType: cString(roi.interpreted_type), contours: contours))
        }
        self.rois = rois
    }

    /// True when `url` is a DICOM file whose Modality is RTSTRUCT (for commands taking either kind of input).
    public static func isRTStruct(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { return false }
        return ssrt_is_rtstruct(url.path) == 1
    }
}
