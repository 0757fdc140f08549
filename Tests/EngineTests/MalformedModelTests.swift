import Core
import XCTest
import TestSupport
import Engine

/// Broken models give a typed error naming the problem; nothing crashes.
final class MalformedModelTests: XCTestCase {
    func load(_ name: String) -> EngineError? {
        do { _ = try ONNXModel(path: Fixtures.path(name)); return nil } catch let e as EngineError { return e } catch { XCTFail("untyped error \(error)"); return nil }
    }

    func testMissingInitializerNamesTheValue() {
        let e = load("bad_missing_initializer.onnx")
        XCTAssertEqual(e?.category, .badInput)
        XCTAssertTrue(e?.description.contains("missing_weight") ?? false, e?.description ?? "no error")
    }

    func testCycleIsRejected() {
        let e = load("bad_cycle.onnx")
        XCTAssertTrue(e?.description.contains("cycle") ?? false, e?.description ?? "no error")
    }

    func testAbsurdDimsAreRejected() {
        let e = load("bad_absurd_dims.onnx")
        XCTAssertTrue(e?.description.contains("absurd") ?? false, e?.description ?? "no error")
    }

    func testShortRawDataIsRejected() {
        let e = load("bad_short_raw_data.onnx")
        XCTAssertTrue(e?.description.contains("raw_data holds 20 bytes") ?? false, e?.description ?? "no error")
    }

    func testUnsupportedOperatorNamesOpNodeAndOpset() {
        XCTAssertEqual(load("bad_unsupported_op.onnx"), .unsupportedOperator(op: "Einsum", node: "my_einsum", opset: 17))
    }

    func testExternalDataIsRejectedClearly() {
        let e = load("bad_external_data.onnx")
        XCTAssertEqual(e?.category, .unsupported)
        XCTAssertTrue(e?.description.contains("external file") ?? false, e?.description ?? "no error")
    }

    func testOldOpsetIsRejected() {
        XCTAssertTrue(load("bad_opset.onnx")?.description.contains("opset 9") ?? false)
    }

    func testWrongAttributeTypeFailsAtPlanning() throws {
        let model = try ONNXModel(path: Fixtures.path("bad_wrong_attribute_type.onnx"))
        let session = try InferenceSession(model: model, backend: .reference)
        XCTAssertThrowsError(try session.run(["x0": Tensor(shape: [1, 1, 5, 5], repeating: 1)])) { e in
            XCTAssertTrue("\(e)".contains("kernel_shape"), "\(e)")
        }
    }

    func testChannelMismatchFailsAtPlanning() throws {
        let model = try ONNXModel(path: Fixtures.path("bad_conv_channels.onnx"))
        for backend in Backend.allCases {
            let session = try InferenceSession(model: model, backend: backend)
            XCTAssertThrowsError(try session.run(["x0": Tensor(shape: [1, 1, 5, 5], repeating: 1)])) { e in
                XCTAssertEqual((e as? EngineError)?.category, .badInput, "\(e)")
            }
        }
    }

    /// Every prefix of a valid model must be rejected (onnx writes opset_import after the graph).
    func testEveryTruncationIsRejected() throws {
        let data = try Data(contentsOf: Fixtures.folder.appendingPathComponent("conv2d.onnx"))
        for n in 0..<data.count {
            XCTAssertThrowsError(try ONNXModel(data: data.prefix(n)), "prefix \(n)") { XCTAssertTrue($0 is EngineError) }
        }
        XCTAssertNoThrow(try ONNXModel(data: data))
    }

    /// Random byte corruptions either load or throw a typed error; never crash.
    func testCorruptedBytesNeverCrash() throws {
        let data = try Data(contentsOf: Fixtures.folder.appendingPathComponent("conv2d_groups.onnx"))
        var rng = SplitMix(seed: 75)
        for _ in 0..<300 {
            var bytes = [UInt8](data)
            for _ in 0..<3 { bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            do {
                let m = try ONNXModel(data: Data(bytes))
                _ = try? InferenceSession(model: m, backend: .reference).run(["x0": Tensor(shape: [1, 6, 8, 8], repeating: 0.5)])
            } catch {
                XCTAssertTrue(error is EngineError, "\(error)")
            }
        }
    }

    func testWrongInputShapeIsInvalidArgument() throws {
        let session = try InferenceSession(model: try ONNXModel(path: Fixtures.path("conv2d.onnx")), backend: .reference)
        XCTAssertThrowsError(try session.run(["x0": Tensor(shape: [1, 2, 9, 11], repeating: 0)])) {
            XCTAssertEqual(($0 as? EngineError)?.category, .invalidArgument, "\($0)")
        }
        XCTAssertThrowsError(try session.run([:]))
    }

    func testNpyRoundTripAndErrors() throws {
        let t = Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, -6])
        XCTAssertEqual(try Npy.decode(Npy.encode(t)), t)
        let i = Tensor(shape: [4], ints: [1, -2, 3, 1 << 40])
        XCTAssertEqual(try Npy.decode(Npy.encode(i)), i)
        let bytes = Npy.encode(t)
        XCTAssertThrowsError(try Npy.decode(bytes.prefix(bytes.count - 1))) { XCTAssertTrue("\($0)".contains("truncated")) }
        XCTAssertThrowsError(try Npy.decode(Data("hello".utf8)))
        // A NumPy-written file from the fixtures.
        XCTAssertEqual(try Npy.read(path: Fixtures.path("conv2d.in0.npy")).shape, [1, 3, 9, 11])
    }
}

/// Absurd attribute values and shapes computed inside the graph give errors, not traps.
final class AbsurdShapeTests: XCTestCase {
    func plan(_ node: Node, _ inits: [String: Tensor], input: [Int] = [1, 1, 4, 4]) -> Error? {
        do {
            let g = try Graph(name: "t", nodes: [node], initializers: inits, inputs: [ValueInfo(name: "x", dataType: 1, dims: nil)],
                              outputs: [ValueInfo(name: "y", dataType: 1, dims: nil)])
            _ = try InferenceSession(model: try ONNXModel(graph: g, opset: 17), backend: .reference).outputShapes(inputShapes: ["x": input])
            return nil
        } catch { return error }
    }

    func testAbsurdValuesAreTypedErrors() {
        let cases: [(Node, [String: Tensor])] = [
            (Node(name: "e", opType: "Expand", inputs: ["x", "s"], outputs: ["y"]), ["s": Tensor(shape: [4], ints: [1 << 31, 1 << 31, 1 << 31, 1 << 31])]),
            (Node(name: "r", opType: "Reshape", inputs: ["x", "s"], outputs: ["y"]), ["s": Tensor(shape: [3], ints: [1 << 31, 1 << 31, -1])]),
            (Node(name: "s", opType: "Slice", inputs: ["x", "a", "b", "c", "d"], outputs: ["y"]),
             ["a": Tensor(shape: [1], ints: [0]), "b": Tensor(shape: [1], ints: [4]), "c": Tensor(shape: [1], ints: [3]), "d": Tensor(shape: [1], ints: [.max])]),
            (Node(name: "p", opType: "MaxPool", inputs: ["x"], outputs: ["y"], attributes: ["kernel_shape": .ints([1 << 40, 1 << 40])]), [:]),
            (Node(name: "c", opType: "ConstantOfShape", inputs: ["s"], outputs: ["y"]), ["s": Tensor(shape: [3], ints: [1 << 30, 1 << 30, 1 << 30])]),
            (Node(name: "z", opType: "Resize", inputs: ["x", "", "", "s"], outputs: ["y"]), ["s": Tensor(shape: [4], ints: [1 << 20, 1 << 20, 1 << 20, 1 << 20])]),
        ]
        for (node, inits) in cases {
            let e = plan(node, inits)
            if node.opType == "Slice" { XCTAssertNil(e, "a huge step is clamped, not an error"); continue }
            XCTAssertTrue(e is EngineError, "\(node.opType): \(String(describing: e))")
        }
    }
}
