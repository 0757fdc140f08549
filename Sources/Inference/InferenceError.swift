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

    public var category: ErrorCategory {
        switch self {
        case .modelPackage: return .badInput
        case .inputs: return .invalidArgument
        case .networkOutput: return .badInput
        }
    }

    public var description: String {
        switch self {
        case .modelPackage(let m): return "model package: \(m)"
        case .inputs(let m): return "inputs: \(m)"
        case .networkOutput(let m): return "network output: \(m)"
        }
    }
}
