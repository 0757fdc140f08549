import Core
import Imaging

/// Errors of the Reports layer.
public enum ReportError: Error, Equatable, CategorizedError {
    /// The input model breaks an invariant (mismatched grids, non-finite number, bad date).
    case invalidInput(String)
    /// cairo could not draw or encode (message is cairo's status string).
    case renderFailed(String)
    /// A file or folder could not be written (path and reason).
    case writeFailed(path: String, reason: String)

    public var category: ErrorCategory {
        switch self {
        case .invalidInput: return .badInput
        case .renderFailed, .writeFailed: return .outputFailed
        }
    }

    public var description: String {
        switch self {
        case .invalidInput(let m): return "report input: \(m)"
        case .renderFailed(let m): return "report rendering failed: \(m)"
        case .writeFailed(let path, let reason): return "cannot write report file \(path): \(reason)"
        }
    }
}
