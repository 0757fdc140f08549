import Core

/// Why two studies could not be registered (and so their lesions not matched).
public enum RegistrationError: CategorizedError {
    /// The `elastix` program is not installed (Debian `elastix`) or not executable.
    case toolMissing(String)
    /// elastix ran and failed, or wrote a transform SegStation cannot read: the message names the
    /// file or the parameter, with the end of elastix's log.
    case failed(String)
    /// Registration finished but its quality is below the threshold: lesions are not matched.
    case rejected(RegistrationQuality)

    public var category: ErrorCategory {
        switch self {
        case .toolMissing: return .unsupported
        case .failed, .rejected: return .badInput
        }
    }

    public var description: String {
        switch self {
        case .toolMissing(let m), .failed(let m): return m
        case .rejected(let q):
            return "registration rejected: \(q.summary); lesions are not matched across studies whose images could not be aligned"
        }
    }
}
