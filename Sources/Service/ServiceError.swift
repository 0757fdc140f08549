import Core

/// Errors of the service layer: configuration, listener, queue, delivery and HTTP set-up.
public enum ServiceError: CategorizedError, Equatable {
    /// A configuration key is missing, has the wrong type or a value out of range; `key` is its dotted path.
    case config(key: String, problem: String)
    /// The configuration file cannot be read or is not JSON.
    case configFile(path: String, reason: String)
    /// The DICOM listener could not start (port in use, network error).
    case listener(String)
    /// A job, run or file that was asked for does not exist.
    case notFound(String)
    /// A request that cannot be honoured (bad job state, bad argument).
    case invalidArgument(String)
    /// An output (stored instance, report) could not be written.
    case output(String)
    /// An uploaded file that is refused: not a zip, an entry outside the job folder, a link (HTTP 400).
    case badUpload(String)
    /// An upload that expands past the configured limits (HTTP 413).
    case uploadTooLarge(String)

    public var category: ErrorCategory {
        switch self {
        case .config, .invalidArgument: return .invalidArgument
        case .configFile, .badUpload, .uploadTooLarge: return .badInput
        case .notFound: return .notFound
        case .listener, .output: return .outputFailed
        }
    }

    public var description: String {
        switch self {
        case .config(let key, let problem): return "configuration key '\(key)': \(problem)"
        case .configFile(let path, let reason): return "configuration file \(path): \(reason)"
        case .listener(let m), .notFound(let m), .invalidArgument(let m), .output(let m), .badUpload(let m), .uploadTooLarge(let m):
            return m
        }
    }
}
