import XCTest
import Engine

/// Small-width MONAI UNETR and SwinUNETR (v2), torchvision DeepLabV3 (ResNet-50 and
/// MobileNetV3-Large backbones) and a MONAI DynUNet with deep-supervision heads, exported by
/// Scripts/engine/export_models.py, against onnxruntime within 1e-4 of the output's scale.
final class ModelExportTests: XCTestCase {
    func entries() throws -> [Fixtures.Entry] { try Fixtures.manifest("models_manifest.json") }

    func testManifestListsEveryNetwork() throws {
        XCTAssertEqual(try entries().map(\.name).sorted(), ["model_deeplabv3_mobilenetv3", "model_deeplabv3_resnet50", "model_dynunet_ds",
                                                            "model_swinunetr", "model_unetr"])
    }

    func testFastBackendMatchesOnnxruntime() throws {
        for entry in try entries() { XCTAssertNoThrow(try assertMatchesFixture(entry, backend: .fast), entry.name) }
    }

    func testReferenceBackendMatchesOnnxruntime() throws {
        for entry in try entries() { XCTAssertNoThrow(try assertMatchesFixture(entry, backend: .reference), entry.name) }
    }

    /// The attention and MLP blocks run as oneDNN primitives on the fast backend: no reference
    /// fallback is left in UNETR and DeepLabV3.
    func testFastBackendHasNoReferenceFallbacksInUNETRAndDeepLab() throws {
        for name in ["model_unetr", "model_deeplabv3_resnet50"] {
            let entry = try XCTUnwrap(try entries().first { $0.name == name })
            let session = try InferenceSession(model: try ONNXModel(path: Fixtures.path(name + ".onnx")), backend: .fast, threads: 2)
            var feeds: [String: Tensor] = [:]
            for i in entry.inputs { feeds[i.name] = try Npy.read(path: Fixtures.path(i.file)) }
            let labels = try session.runProfiled(feeds).secondsByOperator.keys.sorted()
            XCTAssertFalse(labels.contains { $0.hasSuffix("(reference)") }, "\(name): \(labels)")
        }
    }
}
