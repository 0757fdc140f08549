import Core
import Engine
import Inference
import Logging

/// The Engine's ONNX session as an instance model's `SliceDetector`: one slice `[C, H, W]` per run,
/// torchvision's four outputs read by the names in `output.instances.outputs`.
///
/// Detectors decide the number of detections during the run (data-dependent shapes). When the fast
/// backend refuses such a plan (`EngineError.unsupported`), the detector switches to the reference
/// backend for the rest of its life, with one log line; once the fast backend runs these plans the
/// switch simply never happens.
public final class EngineDetector: SliceDetector {
    static let log = Log.logger(.pipeline)
    public private(set) var session: InferenceSession
    public let inputName: String
    public let names: InstanceSettings.OutputNames
    /// Why the detector runs on the reference backend although the fast one was asked for (nil: it does not).
    public private(set) var fallbackReason: String?
    let model: ONNXModel

    /// Loads the package's network; checks that it has the input and the four outputs the manifest names.
    public init(package: ModelPackage, backend: Backend = .fast, threads: Int? = nil) throws {
        let path = package.networkURL.path
        model = try ONNXModel(path: path)
        let network = package.manifest.network
        names = package.manifest.instanceSettings.outputs
        guard let firstInput = model.inputs.first else { throw InferenceError.modelPackage("\(path) declares no graph input") }
        let input = network.inputName ?? firstInput.name
        guard model.inputs.contains(where: { $0.name == input }) else {
            throw InferenceError.modelPackage("network has no input '\(input)'; it has \(model.inputs.map(\.name))")
        }
        inputName = input
        let outputs = Set(model.outputs.map(\.name))
        for (key, name) in [("boxes", names.boxes), ("labels", names.labels), ("scores", names.scores), ("masks", names.masks)] where !outputs.contains(name) {
            throw InferenceError.modelPackage("network has no output '\(name)' (manifest output.instances.outputs.\(key)); it has \(model.outputs.map(\.name).sorted())")
        }
        session = try InferenceSession(model: model, backend: backend, threads: threads)
    }

    public func detect(_ slice: [Float], shape: [Int]) throws -> SliceDetectorOutput {
        let input = [inputName: Tensor(shape: shape, floats: slice)]
        let outputs: [String: Tensor]
        do {
            outputs = try session.run(input)
        } catch let error as EngineError where session.backend == .fast && error.category == .unsupported {
            Self.log.info("the fast backend does not run this detector; using the reference backend", metadata: ["reason": "\(error)"])
            fallbackReason = "\(error)"
            session = try InferenceSession(model: model, backend: .reference, threads: session.threads)
            outputs = try session.run(input)
        }
        func output(_ name: String) throws -> Tensor {
            guard let t = outputs[name] else { throw InferenceError.networkOutput("the network produced no output '\(name)'") }
            return t
        }
        let masks = try output(names.masks)
        guard masks.rank == 4, masks.shape[1] == 1 else {
            throw InferenceError.networkOutput("'\(names.masks)' has shape \(masks.shape); expected [N, 1, H, W]")
        }
        return SliceDetectorOutput(boxes: try output(names.boxes).floatValues, labels: try output(names.labels).intValues,
                                   scores: try output(names.scores).floatValues, masks: masks.floatValues,
                                   height: masks.shape[2], width: masks.shape[3])
    }
}
