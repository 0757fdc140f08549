internal import CDCMTKBridge
import Foundation

extension DICOMError {
    /// The error for a failed SEG/SR bridge call: `status` is an `ssseg_status`, `error` its message.
    static func bridge(_ status: Int32, _ error: ssseg_error, file: String) -> DICOMError {
        let message = cString(error.message)
        switch UInt32(status) {
        case SSSEG_UNSUPPORTED.rawValue: return .unsupported(file: file, reason: message)
        case SSSEG_OUTPUT_FAILED.rawValue: return .outputFailed(file: file, reason: message)
        case SSSEG_INVALID_ARGUMENT.rawValue: return .invalidArgument(message)
        default: return .badInput(file: file, detail: message)
        }
    }
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
