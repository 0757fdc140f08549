import XCTest
import TestSupport
@testable import Engine

/// The fast backend against the reference backend on random shapes, with sentinel-guarded buffers,
/// and checks that the U-Net fixtures really run on oneDNN primitives (not fallbacks).
final class FastBackendTests: XCTestCase {
    var rng = SplitMix(seed: 42)

    func randomTensor(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, floats: (0..<shape.reduce(1, *)).map { _ in Float(rng.nextDouble() * 2 - 1) })
    }

    func testUNetFixturesCompileToOneDNNPrimitives() throws {
        for (name, shape) in [("unet3d", [1, 1, 16, 16, 16]), ("unet2d", [1, 1, 32, 32])] {
            let s = try InferenceSession(model: try ONNXModel(path: Fixtures.path(name + ".onnx")), backend: .fast)
            let labels = try s.fastStepLabels(inputShapes: ["input": shape])
            XCTAssertFalse(labels.contains { $0.contains("(reference)") }, "\(name): \(labels)")
            XCTAssertTrue(labels.contains("Conv"), "\(name): \(labels)")
            XCTAssertTrue(labels.contains("ConvTranspose"), "\(name): \(labels)")
            XCTAssertTrue(labels.contains { $0.hasPrefix("InstanceNormalization") }, "\(name): \(labels)")
            XCTAssertTrue(labels.contains("Concat"), "\(name): \(labels)")
        }
    }

    /// Residual units fuse Conv + Add + Relu into one convolution with sum and eltwise post-ops.
    func testResidualAddIsFusedAsSumPostOp() throws {
        let s = try InferenceSession(model: try ONNXModel(path: Fixtures.path("residual3d.onnx")), backend: .fast)
        let labels = try s.fastStepLabels(inputShapes: ["input": [1, 2, 8, 8, 8]])
        XCTAssertEqual(labels.filter { $0 == "Conv+sum+act" }.count, 2, "\(labels)")
        XCTAssertFalse(labels.contains { $0.hasPrefix("Add") }, "\(labels)")
    }

    /// Builds a one-node graph and compares backends.
    func compare(_ node: Node, inputs: [String: [Int]], initializers: [String: Tensor] = [:], opset: Int = 17,
                 file: StaticString = #filePath, line: UInt = #line) throws {
        let infos = inputs.keys.sorted().map { ValueInfo(name: $0, dataType: 1, dims: nil) }
        let g = try Graph(name: "t", nodes: [node], initializers: initializers, inputs: infos,
                          outputs: node.outputs.map { ValueInfo(name: $0, dataType: 1, dims: nil) })
        let model = try ONNXModel(graph: g, opset: opset)
        let feeds = inputs.mapValues { randomTensor($0) }
        let ref = try InferenceSession(model: model, backend: .reference).run(feeds)
        let fastSession = try InferenceSession(model: model, backend: .fast, threads: 2)
        let fast = try fastSession.run(feeds)
        let again = try fastSession.run(feeds)
        for o in node.outputs {
            let a = Agreement(fast[o]!, ref[o]!)
            XCTAssertEqual(fast[o]!.shape, ref[o]!.shape, "\(node.opType)", file: file, line: line)
            XCTAssertLessThanOrEqual(a.relativeError, 1e-5, "\(node.opType) \(inputs)", file: file, line: line)
            XCTAssertEqual(fast[o], again[o], "\(node.opType): second run differs (stale buffers?)", file: file, line: line)
        }
    }

    func testRandomConvolutions() throws {
        for _ in 0..<12 {
            let dims = Int(rng.next() % 2) + 2
            let cin = Int(rng.next() % 5) + 1, group = [1, 1, cin][Int(rng.next() % 3)]
            let cout = group * (Int(rng.next() % 4) + 1)
            let k = [1, 3, 3, 5][Int(rng.next() % 4)], s = Int(rng.next() % 2) + 1, d = Int(rng.next() % 2) + 1
            let spatial = (0..<dims).map { _ in Int(rng.next() % 6) + k * d + 2 }
            let pads = (0..<(2 * dims)).map { _ in Int(rng.next() % 3) }
            let w = randomTensor([cout, cin / group] + [Int](repeating: k, count: dims))
            let b = randomTensor([cout])
            let node = Node(name: "c", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["y"],
                            attributes: ["pads": .ints(pads.map(Int64.init)), "strides": .ints([Int64](repeating: Int64(s), count: dims)),
                                         "dilations": .ints([Int64](repeating: Int64(d), count: dims)), "group": .int(Int64(group))])
            try compare(node, inputs: ["x": [Int(rng.next() % 2) + 1, cin] + spatial], initializers: ["w": w, "b": b])
        }
    }

    func testRandomTransposedConvolutions() throws {
        for _ in 0..<8 {
            let dims = Int(rng.next() % 2) + 2
            let cin = Int(rng.next() % 4) + 1, cout = Int(rng.next() % 4) + 1
            let k = Int(rng.next() % 3) + 2, s = Int(rng.next() % 2) + 1
            let spatial = (0..<dims).map { _ in Int(rng.next() % 5) + 2 }
            let w = randomTensor([cin, cout] + [Int](repeating: k, count: dims))
            let node = Node(name: "t", opType: "ConvTranspose", inputs: ["x", "w"], outputs: ["y"],
                            attributes: ["strides": .ints([Int64](repeating: Int64(s), count: dims))])
            try compare(node, inputs: ["x": [1, cin] + spatial], initializers: ["w": w])
        }
    }

    func testNormalisationEltwiseBinaryPoolResize() throws {
        for n in [1, 3] {
            let c = 5
            try compare(Node(name: "in", opType: "InstanceNormalization", inputs: ["x", "s", "b"], outputs: ["y"]),
                        inputs: ["x": [n, c, 6, 7, 5]], initializers: ["s": randomTensor([c]), "b": randomTensor([c])])
        }
        for op in ["Relu", "Sigmoid", "Tanh", "Elu", "LeakyRelu", "Abs"] {
            try compare(Node(name: op, opType: op, inputs: ["x"], outputs: ["y"]), inputs: ["x": [2, 3, 5, 7]])
        }
        for op in ["Add", "Sub", "Mul", "Div", "Max", "Min"] {
            try compare(Node(name: op, opType: op, inputs: ["x", "z"], outputs: ["y"]), inputs: ["x": [2, 3, 5, 7], "z": [2, 3, 5, 7]])
            try compare(Node(name: op, opType: op, inputs: ["x", "z"], outputs: ["y"]), inputs: ["x": [2, 3, 5, 7], "z": [1, 3, 1, 1]])
        }
        try compare(Node(name: "mp", opType: "MaxPool", inputs: ["x"], outputs: ["y"], attributes: ["kernel_shape": .ints([2, 2, 2]), "strides": .ints([2, 2, 2])]),
                    inputs: ["x": [1, 3, 6, 7, 8]])
        try compare(Node(name: "ap", opType: "AveragePool", inputs: ["x"], outputs: ["y"], attributes: ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])]),
                    inputs: ["x": [1, 3, 9, 8]])
        for mode in ["linear", "nearest"] {
            try compare(Node(name: "r", opType: "Resize", inputs: ["x", "", "sc"], outputs: ["y"],
                             attributes: ["mode": .string(mode), "coordinate_transformation_mode": .string(mode == "linear" ? "half_pixel" : "asymmetric"), "nearest_mode": .string("floor")]),
                        inputs: ["x": [1, 3, 4, 5, 6]], initializers: ["sc": Tensor(shape: [5], floats: [1, 1, 2, 2, 2])])
        }
    }

    /// Conv -> InstanceNormalization -> LeakyRelu runs the blocked-layout kernel (padded channels,
    /// several samples, a large mean) and must match the reference.
    func testBlockedInstanceNormAfterConvolution() throws {
        for (n, c) in [(1, 16), (2, 20), (3, 5)] {
            let w = randomTensor([c, 3, 3, 3, 3]), b = Tensor(shape: [c], floats: (0..<c).map { Float($0) * 50 })
            let nodes = [
                Node(name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["c"], attributes: ["pads": .ints([1, 1, 1, 1, 1, 1])]),
                Node(name: "in", opType: "InstanceNormalization", inputs: ["c", "s", "t"], outputs: ["i"]),
                Node(name: "act", opType: "LeakyRelu", inputs: ["i"], outputs: ["y"], attributes: ["alpha": .float(0.01)]),
            ]
            let g = try Graph(name: "t", nodes: nodes, initializers: ["w": w, "b": b, "s": randomTensor([c]), "t": randomTensor([c])],
                              inputs: [ValueInfo(name: "x", dataType: 1, dims: nil)], outputs: [ValueInfo(name: "y", dataType: 1, dims: nil)])
            let model = try ONNXModel(graph: g, opset: 17)
            let feeds = ["x": randomTensor([n, 3, 6, 5, 7])]
            let fast = try InferenceSession(model: model, backend: .fast, threads: 2)
            XCTAssertTrue(try fast.fastStepLabels(inputShapes: ["x": [n, 3, 6, 5, 7]]).contains("InstanceNormalization+act"))
            let a = Agreement(try fast.run(feeds)["y"]!, try InferenceSession(model: model, backend: .reference).run(feeds)["y"]!)
            XCTAssertLessThanOrEqual(a.relativeError, 1e-4, "n \(n) c \(c)")
        }
    }

    /// Regression (issue 16, SwinUNETR 2.1e-4 from onnxruntime): over a 96^3 volume oneDNN 2.6's
    /// batch-normalisation statistics underestimate the variance by ~4e-4 (relative), so the fast
    /// backend computes instance statistics itself on plain and channels-last values. Input straight
    /// from the graph (plain on every CPU), and after a 1x1 convolution (channels-last where oneDNN
    /// picks it, e.g. AVX-512 Xeons), each against the reference backend (exact within 1e-6 of float64).
    func testInstanceNormStatisticsOverALargeVolume() throws {
        let c = 4, volume = [96, 96, 96]
        let x = Tensor(shape: [1, 1] + volume, floats: (0..<(96 * 96 * 96)).map { _ in Float(rng.nextDouble() * 2 - 1) })
        let cases: [(String, [Node], [String: Tensor], [String: Tensor])] = [
            ("plain input", [Node(name: "in", opType: "InstanceNormalization", inputs: ["x", "s", "t"], outputs: ["y"])], [:],
             ["x": Tensor(shape: [1, c] + volume, floats: (0..<(c * 96 * 96 * 96)).map { i in Float(rng.nextDouble() * 2 - 1) + Float(i % c) })]),
            ("after a convolution", [Node(name: "conv", opType: "Conv", inputs: ["x", "w"], outputs: ["v"]),
                                     Node(name: "in", opType: "InstanceNormalization", inputs: ["v", "s", "t"], outputs: ["y"])],
             ["w": Tensor(shape: [c, 1, 1, 1, 1], floats: [0.1, -0.96, 0.04, 0.36])], ["x": x]),
        ]
        for (name, nodes, weights, feeds) in cases {
            let g = try Graph(name: "t", nodes: nodes, initializers: weights.merging(["s": randomTensor([c]), "t": randomTensor([c])]) { a, _ in a },
                              inputs: [ValueInfo(name: "x", dataType: 1, dims: nil)], outputs: [ValueInfo(name: "y", dataType: 1, dims: nil)])
            let model = try ONNXModel(graph: g, opset: 17)
            let fast = try InferenceSession(model: model, backend: .fast, threads: 2)
            if name == "plain input" {
                XCTAssertTrue(try fast.fastStepLabels(inputShapes: ["x": feeds["x"]!.shape]).contains("InstanceNormalization statistics"))
            }
            let a = Agreement(try fast.run(feeds)["y"]!, try InferenceSession(model: model, backend: .reference).run(feeds)["y"]!)
            XCTAssertLessThanOrEqual(a.relativeError, 1e-5, name)
        }
    }

    /// The exported exact GELU in both orders of its two products runs as one oneDNN `gelu_erf`
    /// (SwinUNETR's export has `Mul(x, Mul(0.5, 1 + erf))`); with another factor it is not fused.
    func testGeluChainInBothOrders() throws {
        let constants = ["r2": Tensor(shape: [], floats: [1.4142135]), "one": Tensor(shape: [], floats: [1]),
                         "half": Tensor(shape: [], floats: [0.5]), "quarter": Tensor(shape: [], floats: [0.25])]
        let head = [Node(name: "div", opType: "Div", inputs: ["x", "r2"], outputs: ["d"]),
                    Node(name: "erf", opType: "Erf", inputs: ["d"], outputs: ["e"]),
                    Node(name: "add", opType: "Add", inputs: ["e", "one"], outputs: ["a"])]
        let tails: [(String, [Node], Bool)] = [
            ("x first", [Node(name: "m1", opType: "Mul", inputs: ["x", "a"], outputs: ["m"]), Node(name: "m2", opType: "Mul", inputs: ["m", "half"], outputs: ["y"])], true),
            ("half first", [Node(name: "m1", opType: "Mul", inputs: ["half", "a"], outputs: ["m"]), Node(name: "m2", opType: "Mul", inputs: ["x", "m"], outputs: ["y"])], true),
            ("another factor", [Node(name: "m1", opType: "Mul", inputs: ["quarter", "a"], outputs: ["m"]), Node(name: "m2", opType: "Mul", inputs: ["x", "m"], outputs: ["y"])], false),
        ]
        for (name, tail, fused) in tails {
            let g = try Graph(name: "t", nodes: head + tail, initializers: constants,
                              inputs: [ValueInfo(name: "x", dataType: 1, dims: nil)], outputs: [ValueInfo(name: "y", dataType: 1, dims: nil)])
            let model = try ONNXModel(graph: g, opset: 17)
            let feeds = ["x": Tensor(shape: [2, 64, 48], floats: (0..<(2 * 64 * 48)).map { _ in Float(rng.nextDouble() * 8 - 4) })]
            let fast = try InferenceSession(model: model, backend: .fast, threads: 2)
            XCTAssertEqual(try fast.fastStepLabels(inputShapes: ["x": [2, 64, 48]]).contains("Gelu"), fused, name)
            let a = Agreement(try fast.run(feeds)["y"]!, try InferenceSession(model: model, backend: .reference).run(feeds)["y"]!)
            XCTAssertLessThanOrEqual(a.relativeError, 1e-5, name)
        }
    }

    /// Chains where values die and buffers get reused and overwritten in place.
    func testBufferReuseAcrossAChain() throws {
        let fixtures = try Fixtures.manifest().filter { ["unet3d", "residual2d", "residual3d", "atrous"].contains($0.name) }
        XCTAssertEqual(fixtures.count, 4)
        for f in fixtures {
            let s = try InferenceSession(model: try ONNXModel(path: Fixtures.path(f.name + ".onnx")), backend: .fast)
            var feeds: [String: Tensor] = [:]
            for i in f.inputs { feeds[i.name] = try Npy.read(path: Fixtures.path(i.file)) }
            let first = try s.run(feeds)
            let second = try s.run(feeds)
            XCTAssertEqual(first, second, f.name)
        }
    }

    /// Guard bytes around every activation buffer must survive a run (no out-of-bounds writes).
    func testSentinelGuardsSurviveARun() throws {
        for f in try Fixtures.manifest().filter({ ["unet2d", "unet3d", "conv2d_groups", "resize3d_linear", "concat"].contains($0.name) }) {
            let s = try InferenceSession(model: try ONNXModel(path: Fixtures.path(f.name + ".onnx")), backend: .fast)
            var feeds: [String: Tensor] = [:]
            for i in f.inputs { feeds[i.name] = try Npy.read(path: Fixtures.path(i.file)) }
            _ = try s.run(feeds)
            XCTAssertTrue(try s.fastSentinelsIntact(inputShapes: feeds.mapValues(\.shape)), f.name)
        }
    }
}
