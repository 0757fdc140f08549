import Engine
import Inference

/// The Engine's ONNX session as the sliding-window predictor's `PatchNetwork`.
public final class EngineNetwork: PatchNetwork {
    public let session: InferenceSession
    public let inputName: String
    public let outputName: String

    /// The package's network, or for an ensemble package all its folds as one `FoldEnsemble`
    /// (sharing the sliding-window pass), or for an instance model its `EngineDetector`.
    public static func load(package: ModelPackage, backend: Backend = .fast, threads: Int? = nil) throws -> PatchNetwork {
        let m = package.manifest
        if m.decision == .instances { return try EngineDetector(package: package, backend: backend, threads: threads) }
        let folds = try m.networks.map { try EngineNetwork(package: package, network: $0, backend: backend, threads: threads) }
        return folds.count == 1 ? folds[0] : FoldEnsemble(folds: folds, kind: m.output.kind, decision: m.decision, classes: m.output.classes)
    }

    /// Loads the package's (first) network on the given backend and thread count.
    public convenience init(package: ModelPackage, backend: Backend = .fast, threads: Int? = nil) throws {
        try self.init(package: package, network: package.manifest.network, backend: backend, threads: threads)
    }

    /// Loads one of the package's networks (`network` or an `ensemble` fold).
    public init(package: ModelPackage, network: ModelManifest.Network, backend: Backend = .fast, threads: Int? = nil) throws {
        let path = package.folder.appendingPathComponent(network.file).path
        let model = try ONNXModel(path: path)
        guard let firstInput = model.inputs.first, let firstOutput = model.outputs.first else {
            throw InferenceError.modelPackage("\(path) declares no graph input or output")
        }
        let input = network.inputName ?? firstInput.name
        guard model.inputs.contains(where: { $0.name == input }) else {
            throw InferenceError.modelPackage("network has no input '\(input)'; it has \(model.inputs.map(\.name))")
        }
        inputName = input
        outputName = network.outputName ?? firstOutput.name
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
