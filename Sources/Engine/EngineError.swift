import Core

/// Errors of the inference engine. The engine knows nothing medical; its errors name their
/// `ErrorCategory` like every layer's.
public enum EngineError: CategorizedError, Equatable {
    /// The model file is not valid protobuf/ONNX (truncated, wrong wire type, bad reference).
    case malformedModel(String)
    /// A well-formed model uses something the engine does not implement.
    case unsupportedOperator(op: String, node: String, opset: Int)
    /// A well-formed model uses an unsupported feature (external data, opset, data type...).
    case unsupported(String)
    /// A node's inputs or attributes are inconsistent (shapes that do not broadcast, bad axes...).
    case invalidNode(node: String, op: String, reason: String)
    /// The caller's inputs do not match the model (missing input, wrong shape, wrong rank).
    case invalidInput(String)
    /// A `.npy` file could not be read (missing, truncated, not float32, not C order).
    case badNpy(path: String, reason: String)
    /// A file could not be read.
    case io(path: String, reason: String)
    /// An output file could not be written.
    case writeFailed(path: String, reason: String)
    /// oneDNN refused a primitive or failed while running it.
    case backend(String)

    public var category: ErrorCategory {
        switch self {
        case .malformedModel, .invalidNode, .badNpy: return .badInput
        case .unsupportedOperator, .unsupported, .backend: return .unsupported
        case .invalidInput: return .invalidArgument
        case .io: return .notFound
        case .writeFailed: return .outputFailed
        }
    }

    public var description: String {
        switch self {
        case .malformedModel(let s): return "malformed ONNX model: \(s)"
        case .unsupportedOperator(let op, let node, let opset):
            return "unsupported operator \(op) (node '\(node)', opset \(opset))"
        case .unsupported(let s): return "unsupported: \(s)"
        case .invalidNode(let node, let op, let reason): return "invalid \(op) node '\(node)': \(reason)"
        case .invalidInput(let s): return "invalid input: \(s)"
        case .badNpy(let path, let reason): return "bad .npy file \(path): \(reason)"
        case .io(let path, let reason): return "cannot read \(path): \(reason)"
        case .writeFailed(let path, let reason): return "cannot write \(path): \(reason)"
        case .backend(let s): return "oneDNN backend: \(s)"
        }
    }
}
