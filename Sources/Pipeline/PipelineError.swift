import Core

/// Errors of the pipeline itself: outputs it could not write, inputs it could not find, requests
/// that make no sense (an unknown report format).
public enum PipelineError: CategorizedError {
    case output(String)
    case notFound(String)
    case invalidArgument(String)

    public var category: ErrorCategory {
        switch self {
        case .output: return .outputFailed
        case .notFound: return .notFound
        case .invalidArgument: return .invalidArgument
        }
    }
    public var description: String {
        switch self {
        case .output(let m), .notFound(let m), .invalidArgument(let m): return m
        }
    }
}
