import Core

/// Errors of the pipeline itself: outputs it could not write, inputs it could not find, requests
/// that make no sense (an unknown report format).
public enum PipelineError: CategorizedError {
    case output(String)
    case notFound(String)
    case invalidArgument(String)
    /// The inputs cannot be used together (channels of different patients, studies or frames of reference).
    case badInput(String)

    public var category: ErrorCategory {
        switch self {
        case .badInput: return .badInput
        case .output: return .outputFailed
        case .notFound: return .notFound
        case .invalidArgument: return .invalidArgument
        }
    }
    public var description: String {
        switch self {
        case .output(let m), .notFound(let m), .invalidArgument(let m), .badInput(let m): return m
        }
    }
}
