import Foundation
import XCTest
@testable import Engine

/// Full-size torchvision maskrcnn_resnet50_fpn (v1) and maskrcnn_resnet50_fpn_v2 at 512x512 against
/// onnxruntime on 3 inputs, by issue 17's rule (`DetectionComparison`). The models (170+ MB each)
/// are never committed: `python3 Scripts/engine/export_maskrcnn.py --full --out DIR` writes them with
/// onnxruntime's outputs and `maskrcnn_full_manifest.json`; the tests read DIR from
/// `SEGSTATION_MASKRCNN_FULL` and skip when it is unset. The reference backend's plain loops take
/// minutes per image at this size: run it in a release build
/// (`swift test -c release --filter MaskRCNNFullTests`).
final class MaskRCNNFullTests: XCTestCase {
    func folder() throws -> URL {
        guard let dir = ProcessInfo.processInfo.environment["SEGSTATION_MASKRCNN_FULL"], !dir.isEmpty else {
            throw XCTSkip("SEGSTATION_MASKRCNN_FULL is unset: export the full-size models with "
                          + "`python3 Scripts/engine/export_maskrcnn.py --full --out DIR` and set it to DIR")
        }
        return URL(fileURLWithPath: dir)
    }

    /// Every manifest entry of `dir` (model name and input k) on `backend`; prints each comparison.
    func check(_ backend: Backend) throws {
        let dir = try folder()
        let data = try Data(contentsOf: dir.appendingPathComponent("maskrcnn_full_manifest.json"))
        let entries = try JSONDecoder().decode([Fixtures.Entry].self, from: data)
        XCTAssertEqual(Set(entries.map(\.name)), ["maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_v2"])
        var sessions: [String: InferenceSession] = [:]
        for entry in entries {
            let path = { (f: String) in dir.appendingPathComponent(f).path }
            let session = try sessions[entry.name] ?? InferenceSession(model: try ONNXModel(path: path(entry.name + ".onnx")), backend: backend, threads: 2)
            sessions[entry.name] = session
            var expected: [String: Tensor] = [:]
            for o in entry.outputs { expected[o.name] = try Npy.read(path: path(o.file)) }
            let image = try Npy.read(path: path(entry.inputs[0].file))
            let start = Date()
            let got = try Detections(try session.run(["image": image]))
            let seconds = Date().timeIntervalSince(start)
            // torchvision's defaults: score threshold 0.05, box NMS 0.5, at most 100 detections.
            let c = DetectionComparison(got, try Detections(expected), scoreThreshold: 0.05, nmsThreshold: 0.5, maxDetections: 100)
            print("\(entry.name) \(entry.inputs[0].file) \(backend): \(got.count) detections (onnxruntime \(try Detections(expected).count)), "
                  + "\(c.summary), \(String(format: "%.1f", seconds)) s")
            XCTAssertEqual(c.problems, [], "\(entry.name) \(entry.inputs[0].file) \(backend)")
            XCTAssertGreaterThan(c.matched, 0)
        }
    }

    func testFastBackendMatchesOnnxruntime() throws { try check(.fast) }

    func testReferenceBackendMatchesOnnxruntime() throws { try check(.reference) }
}
