import Core
import Imaging

/// Errors of the inference layer: model packages, preprocessing, prediction.
public enum InferenceError: CategorizedError, Equatable {
    /// The model package (manifest, network file) is missing or inconsistent.
    case modelPackage(String)
    /// The inputs do not fit the model (channel count, grids).
    case inputs(String)
    /// The network returned something other than the manifest promised.
    case networkOutput(String)
    /// A valid request this version does not run (e.g. a slice larger than an instance model's patch).
    case unsupported(String)

    public var category: ErrorCategory {
        switch self {
        case .modelPackage: return .badInput
        case .inputs: return .invalidArgument
        case .networkOutput: return .badInput
        case .unsupported: return .unsupported
        }
    }

    public var description: String {
        switch self {
        case .modelPackage(let m): return "model package: \(m)"
        case .inputs(let m): return "inputs: \(m)"
        case .networkOutput(let m): return "network output: \(m)"
        case .unsupported(let m): return "unsupported: \(m)"
        }
    }
}
