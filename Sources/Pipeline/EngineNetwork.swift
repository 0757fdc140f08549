import Engine
import Inference

/// The Engine's ONNX session as the sliding-window predictor's `PatchNetwork`.
public final class EngineNetwork: PatchNetwork {
    public let session: InferenceSession
    public let inputName: String
    public let outputName: String

    /// Loads the package's network on the given backend and thread count.
    public init(package: ModelPackage, backend: Backend = .fast, threads: Int? = nil) throws {
        let model = try ONNXModel(path: package.networkURL.path)
        guard let firstInput = model.inputs.first, let firstOutput = model.outputs.first else {
            throw InferenceError.modelPackage("\(package.networkURL.path) declares no graph input or output")
        }
        let input = package.manifest.network.inputName ?? firstInput.name
        guard model.inputs.contains(where: { $0.name == input }) else {
            throw InferenceError.modelPackage("network has no input '\(input)'; it has \(model.inputs.map(\.name))")
        }
        inputName = input
        outputName = package.manifest.network.outputName ?? firstOutput.name
        session = try InferenceSession(model: model, backend: backend, threads: threads)
    }

    public func predict(_ input: [Float], shape: [Int]) throws -> [Float] {
        let outputs = try session.run([inputName: Tensor(shape: shape, floats: input)])
        guard let output = outputs[outputName] else {
            throw InferenceError.networkOutput("the network produced no output '\(outputName)'")
        }
        return output.floatValues
    }
}
