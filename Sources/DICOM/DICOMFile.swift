internal import CDCMTKBridge
import Foundation
import Imaging

/// One open DICOM file (a DCMTK `DcmFileFormat` behind the bridge). Values longer than 4 KiB,
/// such as pixel data, stay on disk until `decodeStoredValues` is called. Not thread-safe: use
/// one instance per thread.
final class DICOMFile {
    let path: String
    private let handle: OpaquePointer

    /// Opens and parses the file (after `NestingGuard`). Throws `DICOMError` naming the file on any failure.
    init(path: String) throws {
        self.path = path
        _ = DCMTKLog.routed
        // DCMTK parses nested sequences recursively: refuse absurd nesting before it overflows the stack.
        if let reason = NestingGuard.check(path) { throw DICOMError.malformed(file: path, reason: reason) }
        var status = ssdcm_status()
        guard let opened = ssdcm_open(path, &status) else {
            throw DICOMError.bridge(status, file: path)
        }
        handle = opened
    }

    deinit { ssdcm_close(handle) }

    var dataset: DICOMItem { DICOMItem(pointer: ssdcm_dataset(handle), owner: self) }
    var meta: DICOMItem { DICOMItem(pointer: ssdcm_meta(handle), owner: self) }
    var sizeBytes: UInt64 { ssdcm_file_size(handle) }
    /// The transfer syntax UID the data set was encoded in.
    var transferSyntaxUID: String { String(cString: ssdcm_transfer_syntax(handle)) }

    /// The validated image pixel module (sizes checked against the PixelData element).
    func pixelInfo() throws -> PixelInfo {
        var info = ssdcm_pixel_info()
        var status = ssdcm_status()
        guard ssdcm_pixel_info_read(handle, &info, &status) == Int32(SSDCM_OK.rawValue) else { throw DICOMError.bridge(status, file: path) }
        return PixelInfo(rows: Int(info.rows), columns: Int(info.columns), frames: Int(info.frames),
                         bitsAllocated: Int(info.bits_allocated), bitsStored: Int(info.bits_stored),
                         isSigned: info.pixel_representation == 1, isEncapsulated: info.encapsulated != 0)
    }

    /// All frames' stored values (BitsStored applied, sign-extended), frame after frame.
    func decodeStoredValues(_ info: PixelInfo) throws -> [Int32] {
        let count = info.rows * info.columns * info.frames
        var values = [Int32](repeating: 0, count: count)
        var status = ssdcm_status()
        let ok = values.withUnsafeMutableBufferPointer { buffer in
            ssdcm_decode_frames(handle, buffer.baseAddress, UInt64(count), &status)
        }
        guard ok == Int32(SSDCM_OK.rawValue) else { throw DICOMError.bridge(status, file: path) }
        return values
    }
}

/// The image pixel module of one file, validated by the bridge.
struct PixelInfo: Equatable {
    var rows: Int
    var columns: Int
    var frames: Int
    var bitsAllocated: Int
    var bitsStored: Int
    var isSigned: Bool
    var isEncapsulated: Bool
}

/// An item inside an open file (the data set, the meta header or a sequence item). Keeps its
/// file alive.
struct DICOMItem {
    let pointer: UnsafeRawPointer?
    let owner: DICOMFile

    func has(_ tag: DICOMTag) -> Bool { ssdcm_value_count(pointer, tag.group, tag.element) >= 0 }

    /// The whole value with surrounding spaces and NULs trimmed; nil when absent or empty.
    func string(_ tag: DICOMTag) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        let length = ssdcm_string(pointer, tag.group, tag.element, &buffer, buffer.count)
        guard length >= 0 else { return nil }
        if length >= buffer.count {
            buffer = [CChar](repeating: 0, count: length + 1)
            _ = ssdcm_string(pointer, tag.group, tag.element, &buffer, buffer.count)
        }
        let text = String(cBuffer: buffer)
            .trimmingCharacters(in: CharacterSet.whitespaces.union(CharacterSet(charactersIn: "\0")))
        return text.isEmpty ? nil : text
    }

    /// The values of a multi-valued string (split at backslashes, each trimmed).
    func strings(_ tag: DICOMTag) -> [String] {
        guard let s = string(tag) else { return [] }
        return s.split(separator: "\\", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }

    func double(_ tag: DICOMTag, index: Int = 0) -> Double? {
        var value = 0.0
        return ssdcm_float64(pointer, tag.group, tag.element, UInt32(index), &value) != 0 ? value : nil
    }

    /// All values as doubles; nil when absent, empty, or any value is not a number.
    func doubles(_ tag: DICOMTag) -> [Double]? {
        let count = Int(ssdcm_value_count(pointer, tag.group, tag.element))
        guard count > 0 else { return nil }
        var result = [Double]()
        for i in 0..<count {
            guard let v = double(tag, index: i), v.isFinite else { return nil }
            result.append(v)
        }
        return result
    }

    func int(_ tag: DICOMTag, index: Int = 0) -> Int? {
        var value: Int64 = 0
        return ssdcm_int64(pointer, tag.group, tag.element, UInt32(index), &value) != 0 ? Int(value) : nil
    }

    /// The raw bytes of a byte-valued (OB/UN/OW) attribute; nil when absent.
    func bytes(_ tag: DICOMTag) -> [UInt8]? {
        let length = ssdcm_bytes(pointer, tag.group, tag.element, nil, 0)
        guard length >= 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: length)
        if length > 0 { _ = ssdcm_bytes(pointer, tag.group, tag.element, &buffer, buffer.count) }
        return buffer
    }

    func items(_ tag: DICOMTag) -> [DICOMItem] {
        let count = Int(ssdcm_sequence_count(pointer, tag.group, tag.element))
        guard count > 0 else { return [] }
        return (0..<count).compactMap { i in
            ssdcm_sequence_item(pointer, tag.group, tag.element, UInt32(i)).map { DICOMItem(pointer: $0, owner: owner) }
        }
    }

    func firstItem(_ tag: DICOMTag) -> DICOMItem? { items(tag).first }
}
