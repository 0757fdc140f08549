/// Errors of the inference engine. The engine knows nothing medical; callers map `category`
/// ("badInput", "notFound", "unsupported", "outputFailed", "invalidArgument") to their own codes.
public enum EngineError: Error, CustomStringConvertible, Equatable {
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

    /// Category name matching `Imaging.ErrorCategory` raw values, for exit-code mapping in the CLI.
    public var category: String {
        switch self {
        case .malformedModel, .invalidNode, .badNpy: return "badInput"
        case .unsupportedOperator, .unsupported: return "unsupported"
        case .invalidInput: return "invalidArgument"
        case .io: return "notFound"
        case .writeFailed: return "outputFailed"
        case .backend: return "unsupported"
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
