/// What kind of failure an error is, so the CLI can map every layer's error type to a documented
/// exit code (see README "Exit codes") without knowing the layer's cases.
public enum ErrorCategory: String, Sendable, Codable, CaseIterable {
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

    /// The process exit code of this category (README "Exit codes").
    public var exitCode: Int32 {
        switch self {
        case .badInput: return ExitStatus.badInput
        case .notFound: return ExitStatus.notFound
        case .unsupported: return ExitStatus.unsupported
        case .outputFailed: return ExitStatus.outputFailed
        case .invalidArgument: return ExitStatus.usage
        }
    }
}

/// An error that names its category. Every layer's error type conforms.
public protocol CategorizedError: Error, CustomStringConvertible {
    var category: ErrorCategory { get }
}

/// SegStation's documented exit codes (README "Exit codes"), after BSD sysexits where one fits.
public enum ExitStatus {
    public static let success: Int32 = 0
    /// An unexpected internal failure (a bug): please report it.
    public static let internalError: Int32 = 1
    /// Bad command-line usage (swift-argument-parser's validation errors use it too).
    public static let usage: Int32 = 64
    /// The input exists but is malformed, inconsistent or absurd.
    public static let badInput: Int32 = 65
    /// The input does not exist or holds nothing usable.
    public static let notFound: Int32 = 66
    /// Well-formed input that SegStation does not support.
    public static let unsupported: Int32 = 69
    /// An output file or database could not be written.
    public static let outputFailed: Int32 = 73
}
