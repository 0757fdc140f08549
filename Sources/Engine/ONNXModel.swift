import Foundation
import Core

/// An ONNX model loaded into the engine's graph form. Loading checks the whole file: protobuf
/// structure, opset (11 to 20), operator support, graph connectivity (no cycles, no undefined
/// values). Nothing is executed at load time.
public struct ONNXModel: Sendable {
    /// Opsets of the default ("ai.onnx") domain the engine implements.
    public static let supportedOpsets = 11...20

    public let graph: Graph
    public let opset: Int
    public let irVersion: Int64
    public let producer: String

    /// Loads a `.onnx` file. Errors: `.io` (unreadable), `.malformedModel`, `.unsupported`,
    /// `.unsupportedOperator` (names the first unsupported node).
    public init(path: String) throws {
        try InputFile.requireRegular(path, role: "ONNX model")
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EngineError.io(path: path, reason: "file not found or unreadable")
        }
        try self.init(data: data)
    }

    public init(data: Data) throws {
        guard !data.isEmpty else { throw EngineError.malformedModel("empty file") }
        let header = try data.withUnsafeBytes { try ONNXDecoder.model($0) }
        guard let opset = header.opsets[""] else { throw EngineError.malformedModel("no opset_import for the default ONNX domain") }
        guard ONNXModel.supportedOpsets.contains(opset) else {
            throw EngineError.unsupported("opset \(opset); the engine implements opsets \(ONNXModel.supportedOpsets.lowerBound) to \(ONNXModel.supportedOpsets.upperBound) (re-export with opset_version=17)")
        }
        let graph = header.graph!
        for n in graph.nodes where !n.domain.isEmpty || !ShapeInference.supported.contains(n.opType) {
            let name = n.domain.isEmpty ? n.opType : "\(n.domain).\(n.opType)"
            throw EngineError.unsupportedOperator(op: name, node: n.name, opset: opset)
        }
        try self.init(graph: graph, opset: opset, irVersion: header.irVersion, producer: header.producer)
    }

    /// A model from an already built graph (tests, programmatic models).
    public init(graph: Graph, opset: Int, irVersion: Int64 = 8, producer: String = "") throws {
        self.graph = graph; self.opset = opset; self.irVersion = irVersion; self.producer = producer
    }

    public var inputs: [ValueInfo] { graph.inputs }
    public var outputs: [ValueInfo] { graph.outputs }

    /// Number of float parameters held in initializers.
    public var parameterCount: Int { graph.initializers.values.filter { $0.elementType == .float32 }.reduce(0) { $0 + $1.count } }

    /// How many nodes use each operator type.
    public var operatorCounts: [String: Int] { graph.nodes.reduce(into: [:]) { $0[$1.opType, default: 0] += 1 } }
}
