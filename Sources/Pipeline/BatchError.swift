import Core
import Imaging

/// Errors of the batch as a whole (a case's own failure is recorded in the summary instead).
public enum BatchError: CategorizedError, Equatable {
    case badInput(String)
    case notFound(String)
    case invalidArgument(String)
    case output(String)

    public var category: ErrorCategory {
        switch self {
        case .badInput: return .badInput
        case .notFound: return .notFound
        case .invalidArgument: return .invalidArgument
        case .output: return .outputFailed
        }
    }

    public var description: String {
        switch self {
        case .badInput(let m), .notFound(let m), .invalidArgument(let m), .output(let m): return m
        }
    }
}
