import XCTest
import TestSupport
@testable import Engine

/// The skip connection written in place: producers of a channel Concat write into its slabs and the
/// Concat disappears from the steps, with results equal to the reference backend; where the
/// conditions fail (batch > 1, unaligned channels, an input read in place elsewhere) the copying
/// Concat runs and results are equal too. In-place slabs need the channel-blocked layout, so these
/// run with `ConvolutionLayout.blocked`; the default (`.onednn`) is checked against the reference below.
final class ConcatInPlaceTests: XCTestCase {
    var rng = SplitMix(seed: 7)

    func randomTensor(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { _ in Float(rng.nextDouble() * 2 - 1) })
    }

    /// x -> Conv -> InstanceNorm -> LeakyRelu = skip; skip -> Conv(stride 2) -> ConvTranspose = up;
    /// Concat(up, skip) (or (skip, up)) -> Conv -> y (x has 16 channels so every convolution runs on
    /// the blocked layout). With `secondReader`, a Relu reads the skip
    /// too and its result is added to y (a second reader of the skip).
    func unetLevel(channels c: Int, upFirst: Bool, secondReader: Bool = false) throws -> ONNXModel {
        var nodes = [
            Node(name: "c1", opType: "Conv", inputs: ["x", "w1", "b1"], outputs: ["c1"], attributes: ["pads": .ints([1, 1, 1, 1, 1, 1])]),
            Node(name: "n1", opType: "InstanceNormalization", inputs: ["c1", "s1", "t1"], outputs: ["n1"]),
            Node(name: "a1", opType: "LeakyRelu", inputs: ["n1"], outputs: ["skip"], attributes: ["alpha": .float(0.01)]),
            Node(name: "down", opType: "Conv", inputs: ["skip", "w2"], outputs: ["d"],
                 attributes: ["pads": .ints([1, 1, 1, 1, 1, 1]), "strides": .ints([2, 2, 2])]),
            Node(name: "up", opType: "ConvTranspose", inputs: ["d", "w3"], outputs: ["up"], attributes: ["strides": .ints([2, 2, 2])]),
            Node(name: "cat", opType: "Concat", inputs: upFirst ? ["up", "skip"] : ["skip", "up"], outputs: ["cat"], attributes: ["axis": .int(1)]),
            Node(name: "c4", opType: "Conv", inputs: ["cat", "w4"], outputs: [secondReader ? "y0" : "y"], attributes: ["pads": .ints([1, 1, 1, 1, 1, 1])]),
        ]
        if secondReader {
            nodes.append(Node(name: "r", opType: "Relu", inputs: ["skip"], outputs: ["r"]))
            nodes.append(Node(name: "rc", opType: "Conv", inputs: ["r", "w5"], outputs: ["rc"]))
            nodes.append(Node(name: "sum", opType: "Add", inputs: ["y0", "rc"], outputs: ["y"]))
        }
        let inits: [String: Tensor] = [
            "w1": randomTensor([c, 16, 3, 3, 3]), "b1": randomTensor([c]), "s1": randomTensor([c]), "t1": randomTensor([c]),
            "w2": randomTensor([2 * c, c, 3, 3, 3]), "w3": randomTensor([2 * c, c, 2, 2, 2]),
            "w4": randomTensor([3, 2 * c, 3, 3, 3]), "w5": randomTensor([3, c, 1, 1, 1]),
        ]
        let g = try Graph(name: "level", nodes: nodes, initializers: inits, inputs: [ValueInfo(name: "x", dataType: 1, dims: nil)],
                          outputs: [ValueInfo(name: "y", dataType: 1, dims: nil)])
        return try ONNXModel(graph: g, opset: 17)
    }

    func check(_ model: ONNXModel, shape: [Int], expectInPlace: Bool, file: StaticString = #filePath, line: UInt = #line) throws {
        let feeds = ["x": randomTensor(shape)]
        let fast = try InferenceSession(model: model, backend: .fast, threads: 2, layout: .blocked)
        let labels = try fast.fastStepLabels(inputShapes: ["x": shape])
        XCTAssertEqual(!labels.contains("Concat"), expectInPlace, "\(shape): \(labels)", file: file, line: line)
        XCTAssertFalse(labels.contains { $0.contains("(reference)") }, "\(labels)", file: file, line: line)
        let first = try fast.run(feeds)["y"]!, second = try fast.run(feeds)["y"]!
        let ref = try InferenceSession(model: model, backend: .reference).run(feeds)["y"]!
        XCTAssertLessThanOrEqual(Agreement(first, ref).relativeError, 1e-4, "\(shape)", file: file, line: line)
        XCTAssertEqual(first, second, "second run differs (stale slab?)", file: file, line: line)
        XCTAssertTrue(try fast.fastSentinelsIntact(inputShapes: ["x": shape]), file: file, line: line)
    }

    /// The default layout (oneDNN's choice for this CPU: channels-last brgconv on AVX-512 Xeons, with
    /// reorders where a transposed convolution's layout meets it) on the same levels: equal to the
    /// reference backend, no reference fallback, guards intact.
    func testOneDNNLayoutMatchesTheReference() throws {
        for (model, shape) in [(try unetLevel(channels: 16, upFirst: true), [1, 16, 8, 6, 10]),
                               (try unetLevel(channels: 32, upFirst: false), [1, 16, 6, 8, 4]),
                               (try unetLevel(channels: 16, upFirst: true, secondReader: true), [1, 16, 8, 8, 8])] {
            let feeds = ["x": randomTensor(shape)]
            let fast = try InferenceSession(model: model, backend: .fast, threads: 2)
            XCTAssertEqual(fast.layout, .onednn)
            let labels = try fast.fastStepLabels(inputShapes: ["x": shape])
            XCTAssertFalse(labels.contains { $0.contains("(reference)") }, "\(labels)")
            let ref = try InferenceSession(model: model, backend: .reference).run(feeds)["y"]!
            XCTAssertLessThanOrEqual(Agreement(try fast.run(feeds)["y"]!, ref).relativeError, 1e-4, "\(shape)")
            XCTAssertTrue(try fast.fastSentinelsIntact(inputShapes: ["x": shape]))
        }
    }

    /// Whether the upsampling half can land in its slab on this CPU. With AVX-512 (16-channel blocks)
    /// oneDNN 2.6's transposed convolution writes the blocked layout; with AVX2 (8-channel blocks) it
    /// has only a reference kernel there and runs `gemm` on the plain layout (seen with
    /// ONEDNN_VERBOSE on an AMD EPYC Zen 3), so the Concat copies. The values are checked either way.
    var upsamplingWritesBlocked: Bool { DNNL.channelBlock == 16 }

    func testSkipAndUpsamplingWriteIntoTheConcatBuffer() throws {
        try check(try unetLevel(channels: 16, upFirst: true), shape: [1, 16, 8, 6, 10], expectInPlace: upsamplingWritesBlocked)
        try check(try unetLevel(channels: 32, upFirst: false), shape: [1, 16, 6, 8, 4], expectInPlace: upsamplingWritesBlocked)
    }

    func testSecondReaderOfTheSkipStillSeesItsValues() throws {
        try check(try unetLevel(channels: 16, upFirst: true, secondReader: true), shape: [1, 16, 8, 8, 8], expectInPlace: upsamplingWritesBlocked)
    }

    /// DeepLabV3's ASPP in small: a 1x1 branch and the image-pooling branch (GlobalAveragePool -> 1x1 Conv
    /// -> Relu -> Resize back to the map), concatenated and projected.
    func aspp(channels c: Int, size: Int) throws -> ONNXModel {
        let nodes = [
            Node(name: "b0", opType: "Conv", inputs: ["x", "w0"], outputs: ["b0"]),
            Node(name: "r0", opType: "Relu", inputs: ["b0"], outputs: ["a"]),
            Node(name: "gap", opType: "GlobalAveragePool", inputs: ["x"], outputs: ["g"]),
            Node(name: "b1", opType: "Conv", inputs: ["g", "w1"], outputs: ["b1"]),
            Node(name: "r1", opType: "Relu", inputs: ["b1"], outputs: ["r1"]),
            Node(name: "up", opType: "Resize", inputs: ["r1", "", "", "sizes"], outputs: ["p"],
                 attributes: ["mode": .string("linear"), "coordinate_transformation_mode": .string("half_pixel")]),
            Node(name: "cat", opType: "Concat", inputs: ["a", "p"], outputs: ["cat"], attributes: ["axis": .int(1)]),
            Node(name: "proj", opType: "Conv", inputs: ["cat", "w2"], outputs: ["y"]),
        ]
        let inits: [String: Tensor] = [
            "w0": randomTensor([c, 16, 1, 1]), "w1": randomTensor([c, 16, 1, 1]), "w2": randomTensor([3, 2 * c, 1, 1]),
            "sizes": Tensor(shape: [4], ints: [1, Int64(c), Int64(size), Int64(size)]),
        ]
        let g = try Graph(name: "aspp", nodes: nodes, initializers: inits, inputs: [ValueInfo(name: "x", dataType: 1, dims: nil)],
                          outputs: [ValueInfo(name: "y", dataType: 1, dims: nil)])
        return try ONNXModel(graph: g, opset: 17)
    }

    /// The pooling branch's Resize writes its slab like the convolutions (session 20: it used to stop the
    /// whole Concat from being placed, and MobileNetV3's ASPP copied 5 x 256 x 32 x 32 floats per run).
    func testResizeBranchWritesIntoTheConcatBuffer() throws {
        try check(try aspp(channels: 16, size: 8), shape: [1, 16, 8, 8], expectInPlace: true)
        try check(try aspp(channels: 32, size: 6), shape: [1, 16, 6, 6], expectInPlace: true)
        // 8 channels per branch: not placed (multiples of 16 only), the copying Concat runs.
        try check(try aspp(channels: 8, size: 8), shape: [1, 16, 8, 8], expectInPlace: false)
    }

    func testFallsBackToCopyingConcat() throws {
        // Two samples: a channel range is not one contiguous slab.
        try check(try unetLevel(channels: 16, upFirst: true), shape: [2, 16, 8, 8, 8], expectInPlace: false)
        // 8 channels: with 16-channel blocks the layout pads to 16 and slabs would overlap padding;
        // the plan takes channel counts that are multiples of 16 only, on any CPU.
        try check(try unetLevel(channels: 8, upFirst: true), shape: [1, 16, 8, 8, 8], expectInPlace: false)
    }
}
