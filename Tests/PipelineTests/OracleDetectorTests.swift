import Core
import Engine
import Foundation
import Inference
import TestSupport
import XCTest
@testable import Pipeline

/// The oracle instance detector (Tests/PipelineTests/Fixtures/oracle-instances-2d, written by
/// Scripts/engine/make_oracle_detector.py): SegStation's engine gives onnxruntime's recorded outputs,
/// and the `instances` manifest is read strictly.
final class OracleDetectorTests: XCTestCase {
    static let package = TestData.repositoryRoot.appendingPathComponent("Tests/PipelineTests/Fixtures/oracle-instances-2d")

    func reference(_ slice: String, _ output: String) throws -> Tensor {
        try Npy.read(path: Self.package.appendingPathComponent("reference/\(slice).\(output).npy").path)
    }

    /// Both backends (the fast one falls back to the reference backend while it refuses data-dependent
    /// shapes) equal onnxruntime exactly on three slices: two touching values, one value, none.
    func testEngineEqualsOnnxruntime() throws {
        let package = try ModelPackage(folder: Self.package)
        for backend in Backend.allCases {
            let detector = try EngineDetector(package: package, backend: backend, threads: 1)
            for (slice, count) in [("touching", 2), ("single", 1), ("empty", 0)] {
                let image = try reference(slice, "image")
                let out = try detector.detect(image.floats, shape: image.shape)
                XCTAssertEqual(out.count, count, "\(slice) on \(backend)")
                XCTAssertEqual(out.boxes, try reference(slice, "boxes").floats, "\(slice) boxes on \(backend)")
                XCTAssertEqual(out.labels, try reference(slice, "labels").ints, "\(slice) labels on \(backend)")
                XCTAssertEqual(out.scores, try reference(slice, "scores").floats, "\(slice) scores on \(backend)")
                let masks = try reference(slice, "masks")
                XCTAssertEqual(masks.shape, [count, 1, image.shape[1], image.shape[2]])
                XCTAssertEqual(out.masks, masks.floats, "\(slice) masks on \(backend)")
                XCTAssertEqual([out.height, out.width], [image.shape[1], image.shape[2]])
            }
            XCTAssertEqual(detector.session.backend == .reference, backend == .reference || detector.fallbackReason != nil,
                           "a fast detector that fell back says why")
        }
    }

    /// The fixture's manifest with `edit` applied, loaded from a scratch copy.
    func load(_ edit: (inout [String: Any]) -> Void) throws -> ModelManifest {
        let folder = try TestData.temporaryDirectory("oracle-manifest")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try Data(contentsOf: Self.package.appendingPathComponent("manifest.json"))
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        edit(&json)
        let url = folder.appendingPathComponent("manifest.json")
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        return try ModelManifest.load(from: url)
    }

    func settings(_ json: inout [String: Any], _ change: (inout [String: Any]) -> Void) {
        var output = json["output"] as! [String: Any]
        var instances = output["instances"] as? [String: Any] ?? [:]
        change(&instances)
        output["instances"] = instances
        json["output"] = output
    }

    func assertRefused(_ expected: String, file: StaticString = #filePath, line: UInt = #line, _ edit: (inout [String: Any]) -> Void) {
        XCTAssertThrowsError(try load(edit), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(expected), "\(error)", file: file, line: line)
            XCTAssertEqual((error as? CategorizedError)?.category, .badInput, file: file, line: line)
        }
    }

    func testManifestSettingsAndDefaults() throws {
        let m = try load { _ in }
        XCTAssertEqual(m.decision, .instances)
        XCTAssertEqual(m.instanceSettings.scoreThreshold, 0.05)
        XCTAssertEqual(m.instanceSettings.outputs, InstanceSettings.OutputNames())
        XCTAssertEqual(try m.spatialTensorAxes(), [2, 1, 0])
        XCTAssertEqual(try m.tensorPatch(), [1, 24, 24])
        let defaults = try load { json in
            var output = json["output"] as! [String: Any]
            output["instances"] = nil
            json["output"] = output
        }
        XCTAssertEqual(defaults.instanceSettings, InstanceSettings())
        XCTAssertEqual([InstanceSettings().scoreThreshold, InstanceSettings().maskThreshold, InstanceSettings().nmsIoU,
                        InstanceSettings().minSliceOverlap], [0.5, 0.5, 0.5, 0.1])
        let renamed = try load { settings(&$0) { $0["outputs"] = ["masks": "mask_probs"] } }
        XCTAssertEqual(renamed.instanceSettings.outputs.masks, "mask_probs")
        XCTAssertEqual(renamed.instanceSettings.outputs.boxes, "boxes")
    }

    func testManifestRefusals() {
        assertRefused("output.instances.nmsIOU") { settings(&$0) { $0["nmsIOU"] = 0.3 } }
        assertRefused("output.instances.scoreThreshold") { settings(&$0) { $0["scoreThreshold"] = 1.5 } }
        assertRefused("output.instances.maskThreshold") { settings(&$0) { $0["maskThreshold"] = "high" } }
        assertRefused("output.instances.nmsIoU") { settings(&$0) { $0["nmsIoU"] = 0 } }
        assertRefused("output.instances.minSliceOverlap") { settings(&$0) { $0["minSliceOverlap"] = 0 } }
        assertRefused("output.instances.outputs.score") { settings(&$0) { $0["outputs"] = ["score": "s"] } }
        assertRefused("network.tensorAxes") { json in
            var network = json["network"] as! [String: Any]
            network["tensorAxes"] = ["k", "C", "j", "i"]
            json["network"] = network
        }
        assertRefused("output.kind") { json in
            var output = json["output"] as! [String: Any]
            output["kind"] = "logits"
            json["output"] = output
        }
        assertRefused("ensemble") { json in
            json["ensemble"] = [json["network"]!]
        }
        assertRefused("output.instances needs output.decision") { json in
            var output = json["output"] as! [String: Any]
            output["decision"] = "argmax"
            json["output"] = output
            var network = json["network"] as! [String: Any]
            network["tensorAxes"] = ["k", "C", "j", "i"]
            json["network"] = network
        }
    }

    /// A package whose network lacks an output the manifest names is refused at load, naming the key.
    func testMissingOutputIsNamed() throws {
        let folder = try TestData.temporaryDirectory("oracle-outputs")
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["model.onnx", "manifest.json"] {
            try FileManager.default.copyItem(at: Self.package.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        let url = folder.appendingPathComponent("manifest.json")
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        var output = json["output"] as! [String: Any]
        output["instances"] = ["outputs": ["masks": "mask_probs"]]
        json["output"] = output
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        XCTAssertThrowsError(try EngineDetector(package: try ModelPackage(folder: folder))) { error in
            XCTAssertTrue("\(error)".contains("output.instances.outputs.masks"), "\(error)")
        }
    }
}
