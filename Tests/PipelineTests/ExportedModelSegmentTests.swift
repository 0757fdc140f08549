import Core
import Engine
import Imaging
import TestSupport
import VolumeIO
import XCTest
@testable import Pipeline

/// The exports of Scripts/engine/export_models.py (MONAI UNETR and SwinUNETR, torchvision DeepLabV3
/// with ResNet-50 and MobileNetV3 backbones; small fixtures with random weights, in
/// Tests/EngineTests/Fixtures) wrapped as model packages and run through `segment` end to end.
///
/// Each package's patch is the fixture's input size, the scan IS the fixture's recorded input (spacing
/// 1 mm, LPS axes, no normalisation, no crop), so the sliding window has one window and the saved
/// probabilities must be the softmax of onnxruntime's recorded output (`.out0.npy`), and the mask its
/// argmax. That checks the pipeline's axis order, channel order and output handling for each
/// architecture, on top of ModelExportTests' engine-level equality.
final class ExportedModelSegmentTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = try TestData.temporaryDirectory("exported-models") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    static func fixture(_ file: String) -> URL {
        TestData.repositoryRoot.appendingPathComponent("Tests/EngineTests/Fixtures/\(file)")
    }

    func testUNETRThroughSegment() throws { try check("model_unetr", dimensionality: "3d") }
    func testSwinUNETRThroughSegment() throws { try check("model_swinunetr", dimensionality: "3d") }
    func testDeepLabV3ResNet50ThroughSegment() throws { try check("model_deeplabv3_resnet50", dimensionality: "2d") }
    func testDeepLabV3MobileNetV3ThroughSegment() throws { try check("model_deeplabv3_mobilenetv3", dimensionality: "2d") }

    /// A package around `name`.onnx: tensor axes N,C,k,j,i (3D) or k,C,j,i (2D), so that the
    /// tensor's last axis is the volume's fastest (i) and the recorded input maps onto the scan as is.
    func package(_ name: String, dimensionality: String, channels: Int, classes: Int, patchIJK: [Int]) throws -> URL {
        let dir = folder.appendingPathComponent("package-\(name)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.fixture("\(name).onnx"), to: dir.appendingPathComponent("model.onnx"))
        let sha = try XCTUnwrap(Digest.sha256Hex(ofFile: dir.appendingPathComponent("model.onnx")))
        let is2D = dimensionality == "2d"
        let inputs: [[String: Any]] = (0..<channels).map { c in
            ["name": "C\(c)", "modality": "CT", "normalization": ["kind": "none"]]
        }
        let labels: [[String: Any]] = (1..<classes).map { v in
            ["value": v, "name": "Class \(v)", "colorRGB": [255, 40 * v, 0],
             "category": ["code": "49755003", "scheme": "SCT", "meaning": "Morphologically Altered Structure"],
             "type": ["code": "108369006", "scheme": "SCT", "meaning": "Neoplasm"]]
        }
        let manifest: [String: Any] = [
            "schemaVersion": 1, "name": "export-" + name.replacingOccurrences(of: "_", with: "-"), "version": "1.0.0",
            "description": "Test package around the \(name) export (random weights).", "licence": "CC0-1.0",
            "network": ["file": "model.onnx", "format": "onnx", "opset": 17, "sha256": sha, "inputName": "input",
                        "outputName": "output", "tensorAxes": is2D ? ["k", "C", "j", "i"] : ["N", "C", "k", "j", "i"]],
            "inputs": inputs, "orientation": "LPS", "targetSpacingMM": [1.0, 1.0, 1.0],
            "dimensionality": dimensionality, "sliceAxis": is2D ? "k" : NSNull(), "patchSizeIJK": patchIJK,
            "cropToForeground": false,
            "slidingWindow": ["stepFraction": 0.5, "importance": "gaussian", "sigmaFraction": 0.125, "padValue": 0.0],
            "mirrorAxes": [String](),
            "output": ["kind": "logits", "classes": classes, "aggregation": "weighted-mean-logits", "decision": "argmax"],
            "labels": labels,
        ]
        let data = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys])
        try data.write(to: dir.appendingPathComponent("manifest.json"))
        return dir
    }

    func check(_ name: String, dimensionality: String) throws {
        let input = try Npy.read(path: Self.fixture("\(name).in0.npy").path)
        let output = try Npy.read(path: Self.fixture("\(name).out0.npy").path)
        let channels = input.shape[1], classes = output.shape[1]
        // Spatial sizes in tensor order (k, j, i for 3D; j, i for 2D) -> the scan's (i, j, k).
        let spatial = Array(input.shape.dropFirst(2))
        let size = spatial.count == 3 ? SIMD3(spatial[2], spatial[1], spatial[0]) : SIMD3(spatial[1], spatial[0], 1)
        let voxels = size.x * size.y * size.z
        XCTAssertEqual(output.shape.dropFirst(2).reduce(1, *), voxels, "\(name): output grid equals input grid")
        let geometry = VolumeGeometry(size: size, spacingMM: Vector3(1, 1, 1), originLPS: Vector3(-10, 20, 5), direction: .identity)
        let values = input.floatValues, scores = output.floatValues
        let paths = try (0..<channels).map { c -> String in
            let path = folder.appendingPathComponent("\(name)-c\(c).nii.gz").path
            try VolumeFile.write(Volume(geometry: geometry, voxels: Array(values[(c * voxels)..<((c + 1) * voxels)])), to: path)
            return path
        }
        let pkg = try package(name, dimensionality: dimensionality, channels: channels, classes: classes,
                              patchIJK: [size.x, size.y, size.z])
        var request = SegmentRequest(inputs: paths, model: pkg.path, outputFolder: folder.appendingPathComponent("out-\(name)").path,
                                     databasePath: folder.appendingPathComponent("studies.sqlite").path, writeDICOM: false, reportFormats: [])
        request.saveProbabilities = true
        _ = try SegmentJob.run(request)

        let mask = try VolumeFile.readLabels(folder.appendingPathComponent("out-\(name)/mask.nii.gz").path)
        XCTAssertEqual(mask.geometry.size, size)
        let probabilityPath = folder.appendingPathComponent("out-\(name)/probabilities.nii.gz").path
        let saved = try (1..<classes).map { try VolumeFile.read(probabilityPath, volumeIndex: $0 - 1).voxels }
        // Ties are judged against the output's scale, as ModelExportTests judges values (1e-4 relative).
        let scale = scores.map(abs).max() ?? 1
        var maxError: Float = 0, compared = 0, ties = 0
        var lowest = Float.infinity, highest = -Float.infinity
        for v in 0..<voxels {
            let logits = (0..<classes).map { scores[$0 * voxels + v] }
            let top = logits.max()!
            let exps = logits.map { exp($0 - top) }
            let total = exps.reduce(0, +)
            for c in 1..<classes { maxError = max(maxError, abs(saved[c - 1][v] - exps[c] / total)) }
            lowest = min(lowest, exps[1] / total); highest = max(highest, exps[1] / total)
            let sorted = logits.sorted(by: >)
            if sorted[0] - sorted[1] < 1e-4 * scale { ties += 1; continue }   // float-order ties
            let expected = UInt8(logits.firstIndex(of: top)!)
            XCTAssertEqual(mask.voxels[v], expected, "\(name): voxel \(v), logits \(logits)")
            if mask.voxels[v] != expected { break }
            compared += 1
        }
        XCTAssertLessThan(maxError, 1e-4, "\(name): saved probabilities vs softmax of onnxruntime's output")
        XCTAssertEqual(compared + ties, voxels, "\(name): every voxel but the near-ties has onnxruntime's argmax")
        XCTAssertLessThan(ties, voxels / 20, "\(name): near-ties")
        // The random-weight network's output must vary over the scan far more than the error allowed,
        // or the checks prove little (DeepLabV3's random heads vary by ~0.005 only).
        XCTAssertGreaterThan(highest - lowest, 1e-3, "\(name): class-1 probability is not constant")
        XCTAssertLessThan(maxError, (highest - lowest) / 20, "\(name): error against the output's variation")
        print("\(name): max probability error \(maxError), class-1 probability range \(lowest)...\(highest), \(ties) near-ties")
    }
}
