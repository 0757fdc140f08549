import Safety
/// What kind of failure an error is, so the CLI can map every layer's error type to a documented
/// exit code (see README "Exit codes") without knowing the layer's cases.
public enum ErrorCategory: String, Sendable, Codable {
    /// The input exists but is malformed, inconsistent or absurd (truncated file, bad tag, dims of 2^31).
    case badInput
    /// The input does not exist or holds nothing usable (empty folder, no image series).
    case notFound
    /// Well-formed input using something SegStation does not support (a transfer syntax, an ONNX operator).
    case unsupported
    /// The output could not be written (permissions, disk full).
    case outputFailed
    /// A caller passed invalid arguments (bad orientation code, negative spacing).
    case invalidArgument
}

/// An error that names its category. Every layer's error type conforms.
public protocol CategorizedError: Error, CustomStringConvertible {
    var category: ErrorCategory { get }
}

extension ImagingError: CategorizedError {
    public var category: ErrorCategory {
        switch self {
        case .invalidGeometry, .mismatchedGrids: return .badInput
        case .invalidArgument: return .invalidArgument
        }
    }
}

extension SafetyError: CategorizedError {
    public var category: ErrorCategory { ErrorCategory(rawValue: categoryName) ?? .badInput }
}
