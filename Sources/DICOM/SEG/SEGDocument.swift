internal import CDCMTKBridge
import Foundation
import Imaging

/// A DICOM Segmentation object read from a file (BINARY, FRACTIONAL or LABELMAP), by any writer.
/// Frame pixels are decoded on demand; map them onto a source series with `SEGDocument+Masks`.
public final class SEGDocument {
    public enum Kind: Equatable, Sendable {
        case binary
        /// Values 0...maxValue (maxValue = 100% probability or occupancy).
        case fractional(maxValue: Int)
        /// Pixel values are segment numbers (DICOM Supplement 243).
        case labelMap
    }

    public struct Frame: Sendable, Equatable {
        /// The segment of a BINARY/FRACTIONAL frame; nil for LABELMAP frames.
        public var segmentNumber: Int?
        public var positionLPS: Vector3?
        /// First source image of the Derivation Image Sequence.
        public var referencedSOPInstanceUID: String?
        public var referencedFrameNumber: Int?
    }

    public let path: String
    public let kind: Kind
    public let rows: Int
    public let columns: Int
    /// The Segment Sequence in file order; each `labelValue` is the Segment Number, `color` the
    /// Recommended Display CIELab Value as sRGB (nil when absent).
    public let segments: [SegmentDescription]
    public let frames: [Frame]
    public let rowDirectionLPS: Vector3?
    public let columnDirectionLPS: Vector3?
    /// Along the row direction, along the column direction (mm).
    public let pixelSpacingMM: PixelSpacing?
    public let frameOfReferenceUID: String
    public let sopInstanceUID: String
    public let seriesInstanceUID: String
    public let studyInstanceUID: String
    /// The first Referenced Series Sequence item's Series Instance UID ("" when absent).
    public let referencedSeriesInstanceUID: String
    private let handle: OpaquePointer

    /// Reads and checks a SEG: Number of Frames against the per-frame functional groups and the pixel
    /// data length, a segment number for every BINARY/FRACTIONAL frame, known Segmentation Type.
    /// - Throws: `DICOMError.notFound`, `.badInput` (malformed), `.unsupported` (e.g. compressed LABELMAP).
    public init(contentsOf url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { throw DICOMError.notFound(path: url.path, reason: "does not exist") }
        _ = DCMTKLog.routed
        if let reason = NestingGuard.check(url.path) { throw DICOMError.badInput(file: url.path, detail: reason) }
        var error = ssdcm_status()
        guard let doc = ssseg_document_read(url.path, &error) else { throw DICOMError.bridge(error, file: url.path) }
        handle = doc
        path = url.path
        var info = ssseg_document_info()
        ssseg_document_get_info(doc, &info)
        switch info.type {
        case 1: kind = .binary
        case 2: kind = .fractional(maxValue: Int(info.max_fractional_value))
        default: kind = .labelMap
        }
        rows = Int(info.rows); columns = Int(info.columns)
        frameOfReferenceUID = cString(info.for_uid); sopInstanceUID = cString(info.sop_instance_uid)
        seriesInstanceUID = cString(info.series_uid); studyInstanceUID = cString(info.study_uid)
        referencedSeriesInstanceUID = cString(info.referenced_series_uid)
        let o = cDoubles(info.orientation, count: 6)
        rowDirectionLPS = info.has_orientation != 0 ? Vector3(o[0], o[1], o[2]) : nil
        columnDirectionLPS = info.has_orientation != 0 ? Vector3(o[3], o[4], o[5]) : nil
        let ps = cDoubles(info.pixel_spacing, count: 2)
        pixelSpacingMM = info.has_pixel_spacing != 0 ? PixelSpacing(dicom: [ps[0], ps[1]]) : nil
        segments = (0..<info.segment_count).map { i in
            var s = ssseg_segment_info()
            _ = ssseg_document_segment(doc, i, &s)
            let text = { (value: String) in value.isEmpty ? nil : value }
            return SegmentDescription(labelValue: Int(s.number), label: cString(s.label), description: text(cString(s.description)),
                                      color: s.has_cielab != 0 ? RGBColor(dicomLab: [s.cielab.0, s.cielab.1, s.cielab.2]) : nil,
                                      category: CodedConcept(value: cString(s.category_value), scheme: cString(s.category_scheme), meaning: cString(s.category_meaning)),
                                      type: CodedConcept(value: cString(s.type_value), scheme: cString(s.type_scheme), meaning: cString(s.type_meaning)),
                                      algorithmType: SegmentAlgorithmType(rawValue: cString(s.algorithm_type)), algorithmName: text(cString(s.algorithm_name)))
        }
        let isLabelMap = info.type == 3
        frames = (0..<info.frame_count).map { i in
            var f = ssseg_frame_info()
            _ = ssseg_document_frame(doc, i, &f)
            let p = cDoubles(f.position, count: 3)
            let uid = cString(f.ref_sop_instance_uid)
            return Frame(segmentNumber: isLabelMap ? nil : Int(f.segment_number),
                         positionLPS: f.has_position != 0 ? Vector3(p[0], p[1], p[2]) : nil,
                         referencedSOPInstanceUID: uid.isEmpty ? nil : uid,
                         referencedFrameNumber: f.ref_frame_number > 0 ? Int(f.ref_frame_number) : nil)
        }
    }

    deinit { ssseg_document_free(handle) }

    /// The pixels of frame `index` (0-based), row-major: BINARY 0/1, FRACTIONAL raw values,
    /// LABELMAP segment numbers.
    public func pixels(ofFrame index: Int) throws -> [UInt16] {
        precondition(frames.indices.contains(index), "frame \(index) out of range")
        var out = [UInt16](repeating: 0, count: rows * columns)
        var error = ssdcm_status()
        let status = out.withUnsafeMutableBufferPointer { ssseg_document_frame_pixels(handle, Int32(index), $0.baseAddress, &error) }
        guard status == 0 else { throw DICOMError.bridge(status, error, file: path) }
        return out
    }
}
