import Core
import Imaging

/// Errors of DICOM-SEG and SR reading and writing. Each names the file (or argument) and what was
/// expected versus found.
public enum SEGError: CategorizedError, Equatable {
    /// A path that does not exist, or a folder without a usable source series.
    case notFound(String)
    /// The file is not DICOM, or is a DICOM object that is malformed or inconsistent
    /// (missing functional groups, wrong frame count, bad attribute values).
    case badInput(file: String, detail: String)
    /// A SEG frame references a source instance (or frame) that is not in the given source series.
    case unknownReferencedInstance(file: String, frame: Int, sopInstanceUID: String)
    /// Well-formed input that SegStation does not handle (e.g. a SEG plane not parallel to the source).
    case unsupported(file: String, detail: String)
    /// The caller's arguments are inconsistent (no segments, labels outside 1...255, wrong mask count).
    case invalidArgument(String)
    /// The output could not be written.
    case outputFailed(file: String, detail: String)

    public var category: ErrorCategory {
        switch self {
        case .notFound: return .notFound
        case .badInput, .unknownReferencedInstance: return .badInput
        case .unsupported: return .unsupported
        case .invalidArgument: return .invalidArgument
        case .outputFailed: return .outputFailed
        }
    }

    public var description: String {
        switch self {
        case .notFound(let m): return "not found: \(m)"
        case .badInput(let f, let d): return "\(f): \(d)"
        case .unknownReferencedInstance(let f, let frame, let uid):
            return "\(f): frame \(frame) references SOP instance \(uid), which is not in the source series"
        case .unsupported(let f, let d): return "\(f): unsupported: \(d)"
        case .invalidArgument(let m): return "invalid argument: \(m)"
        case .outputFailed(let f, let d): return "\(f): cannot write: \(d)"
        }
    }
}
