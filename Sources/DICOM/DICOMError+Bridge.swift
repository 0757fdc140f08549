internal import CDCMTKBridge
import Foundation

extension DICOMError {
    /// The one mapping of the bridge's status convention (segstation_dcmtk.h, `ssdcm_code`) onto typed
    /// errors, for every bridge call: `code` is what the call returned (authoritative, as some calls
    /// return a code without a message), `status` its filled status.
    static func bridge(_ code: Int32, _ status: ssdcm_status, file: String) -> DICOMError {
        let message = cString(status.message)
        switch UInt32(bitPattern: code) {
        case SSDCM_IO.rawValue: return .unreadable(file: file, reason: message)
        case SSDCM_UNSUPPORTED.rawValue: return .unsupported(file: file, reason: message)
        case SSDCM_DECODE.rawValue: return .decodeFailed(file: file, reason: message)
        case SSDCM_TOO_LARGE.rawValue: return .tooLarge(file: file, reason: message)
        case SSDCM_BAD_INPUT.rawValue: return .badInput(file: file, detail: message)
        case SSDCM_OUTPUT_FAILED.rawValue: return .outputFailed(file: file, reason: message)
        case SSDCM_INVALID_ARGUMENT.rawValue: return .invalidArgument(message)
        default: return .malformed(file: file, reason: message)   // SSDCM_MALFORMED, SSDCM_MISSING
        }
    }

    /// `bridge(_:_:file:)` for a call that reports through its status only (it returned a handle or NULL).
    static func bridge(_ status: ssdcm_status, file: String) -> DICOMError { bridge(Int32(status.code), status, file: file) }
}

/// A Swift string from a fixed-size C character array (a tuple imported from C).
func cString<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
        let bytes = raw.prefix(while: { $0 != 0 })
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Doubles from a fixed-size C double array (a tuple imported from C).
func cDoubles<T>(_ tuple: T, count: Int) -> [Double] {
    withUnsafeBytes(of: tuple) { raw in Array(raw.bindMemory(to: Double.self).prefix(count)) }
}
