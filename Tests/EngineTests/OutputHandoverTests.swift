import XCTest
import TestSupport
@testable import Engine

/// Outputs the fast backend holds in a blocked layout are reordered straight into the tensors a run
/// returns (`FastExecutor.outputReorders`), not into an activation buffer that is then copied: a
/// DeepLabV3 segmentation map of 21 x 512 x 512 took 22 MB twice at the peak. The values equal the
/// reference backend's, an output that a later step also reads is still whole when it is reordered, and
/// a run does not change the tensors an earlier run returned.
final class OutputHandoverTests: XCTestCase {
    var rng = SplitMix(seed: 20)

    func randomTensor(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { _ in Float(rng.nextDouble() * 2 - 1) })
    }

    /// x -> Conv 3x3 (16 -> 24) = y (an output); y -> Relu -> Conv 1x1 (24 -> 16) = z (an output too).
    func twoOutputs() throws -> ONNXModel {
        let nodes = [
            Node(name: "c1", opType: "Conv", inputs: ["x", "w1", "b1"], outputs: ["y"], attributes: ["pads": .ints([1, 1, 1, 1])]),
            Node(name: "r", opType: "Relu", inputs: ["y"], outputs: ["r"]),
            Node(name: "c2", opType: "Conv", inputs: ["r", "w2"], outputs: ["z"]),
        ]
        let inits = ["w1": randomTensor([24, 16, 3, 3]), "b1": randomTensor([24]), "w2": randomTensor([16, 24, 1, 1])]
        let g = try Graph(name: "two", nodes: nodes, initializers: inits, inputs: [ValueInfo(name: "x", dataType: 1, dims: nil)],
                          outputs: [ValueInfo(name: "y", dataType: 1, dims: nil), ValueInfo(name: "z", dataType: 1, dims: nil)])
        return try ONNXModel(graph: g, opset: 17)
    }

    func testBlockedOutputsAreReorderedIntoTheReturnedTensors() throws {
        let model = try twoOutputs(), shape = [1, 16, 12, 10]
        let fast = try InferenceSession(model: model, backend: .fast, threads: 2, layout: .blocked)
        XCTAssertEqual(try fast.fastHandedOverOutputs(inputShapes: ["x": shape]), ["y", "z"])
        XCTAssertFalse(try fast.fastStepLabels(inputShapes: ["x": shape]).contains { $0.contains("(reference)") })
        let reference = try InferenceSession(model: model, backend: .reference)
        let x1 = randomTensor(shape), x2 = randomTensor(shape)
        let first = try fast.run(["x": x1])
        let expected1 = try reference.run(["x": x1]), expected2 = try reference.run(["x": x2])
        for name in ["y", "z"] {
            XCTAssertEqual(first[name]?.shape, expected1[name]?.shape, name)
            XCTAssertLessThanOrEqual(Agreement(try XCTUnwrap(first[name]), expected1[name]!).relativeError, 1e-4, name)
        }
        let kept = first
        let second = try fast.run(["x": x2])
        for name in ["y", "z"] {
            XCTAssertLessThanOrEqual(Agreement(try XCTUnwrap(second[name]), expected2[name]!).relativeError, 1e-4, name)
            XCTAssertEqual(first[name], kept[name], "\(name): the first run's tensor changed")
            XCTAssertNotEqual(first[name], second[name], name)
        }
        XCTAssertTrue(try fast.fastSentinelsIntact(inputShapes: ["x": shape]))
    }
}
