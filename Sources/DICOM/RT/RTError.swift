import Imaging

/// Errors of RT Structure Set writing and reading. Each names the file, the ROI and contour, and the tag.
public enum RTError: CategorizedError, Equatable {
    /// A path that does not exist.
    case notFound(String)
    /// The file is not DICOM, not an RTSTRUCT, or is malformed or inconsistent with its source series
    /// (the detail names ROI, contour and tag).
    case badInput(file: String, detail: String)
    /// Well-formed input SegStation does not handle (e.g. more than 255 ROIs in one label map).
    case unsupported(file: String, detail: String)
    /// The caller's arguments are inconsistent (no ROI to write, an unknown `--roi`).
    case invalidArgument(String)
    /// The output could not be written.
    case outputFailed(file: String, detail: String)

    public var category: ErrorCategory {
        switch self {
        case .notFound: return .notFound
        case .badInput: return .badInput
        case .unsupported: return .unsupported
        case .invalidArgument: return .invalidArgument
        case .outputFailed: return .outputFailed
        }
    }

    public var description: String {
        switch self {
        case .notFound(let m): return "not found: \(m)"
        case .badInput(let f, let d): return "\(f): \(d)"
        case .unsupported(let f, let d): return "\(f): unsupported: \(d)"
        case .invalidArgument(let m): return "invalid argument: \(m)"
        case .outputFailed(let f, let d): return "\(f): cannot write: \(d)"
        }
    }
}
