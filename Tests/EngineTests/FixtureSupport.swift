import Foundation
import XCTest
import Engine
import TestSupport

/// The onnxruntime fixtures written by Scripts/engine/make_fixtures.py.
enum Fixtures {
    struct Entry: Decodable {
        struct File: Decodable { let name: String; let file: String }
        let name: String
        /// Allowed max|engine-ort| / max|ort| (ops_manifest.json); 1e-4 when absent.
        let tolerance: Float?
        let inputs: [File]
        let outputs: [File]
    }

    static var folder: URL { TestData.repositoryRoot.appendingPathComponent("Tests/EngineTests/Fixtures") }
    static func path(_ file: String) -> String { folder.appendingPathComponent(file).path }

    /// `manifest.json` (operator and synthetic-network fixtures), `torch_manifest.json`
    /// (networks exported from PyTorch by Scripts/engine/export_torch.py), `ops_manifest.json`
    /// (Scripts/engine/make_op_fixtures.py) or `models_manifest.json` (Scripts/engine/export_models.py).
    static func manifest(_ file: String = "manifest.json") throws -> [Entry] {
        let data = try Data(contentsOf: folder.appendingPathComponent(file))
        return try JSONDecoder().decode([Entry].self, from: data)
    }
}

/// Comparison against a reference output: max|a-b| / max|b| and channel-argmax agreement.
struct Agreement {
    var relativeError: Float
    /// Fraction of positions whose argmax over axis 1 agrees (1 when the tensor has no channel axis).
    var argmaxAgreement: Double

    init(_ got: Tensor, _ expected: Tensor) {
        let a = got.floatValues, b = expected.floatValues
        var maxDiff: Float = 0, maxRef: Float = 0
        for i in 0..<min(a.count, b.count) {
            let d = abs(a[i] - b[i])
            maxDiff = (d.isNaN || maxDiff.isNaN) ? .nan : max(maxDiff, d)
            maxRef = max(maxRef, abs(b[i]))
        }
        relativeError = maxRef > 0 ? maxDiff / maxRef : maxDiff
        argmaxAgreement = 1
        let s = expected.shape
        guard s.count >= 3, s[1] > 1 else { return }
        let c = s[1], inner = s[2...].reduce(1, *)
        var agree = 0, total = 0
        for n in 0..<s[0] { for i in 0..<inner {
            var ba = 0, bb = 0
            for k in 1..<c {
                if a[(n * c + k) * inner + i] > a[(n * c + ba) * inner + i] { ba = k }
                if b[(n * c + k) * inner + i] > b[(n * c + bb) * inner + i] { bb = k }
            }
            agree += ba == bb ? 1 : 0; total += 1
        } }
        // An empty output (no detection) has no position to disagree on.
        argmaxAgreement = total > 0 ? Double(agree) / Double(total) : 1
    }
}

/// Runs `entry` on the fast backend with the given threads and Winograd switch, checks every output
/// against onnxruntime's (relative error within the entry's tolerance, 1e-5 by default), and returns
/// the labels of the steps that ran (the profile's keys, sorted).
func fastProfileMatchingFixture(_ entry: Fixtures.Entry, threads: Int, winograd: Bool,
                                file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
    var feeds: [String: Tensor] = [:]
    for i in entry.inputs { feeds[i.name] = try Npy.read(path: Fixtures.path(i.file)) }
    let session = try InferenceSession(model: try ONNXModel(path: Fixtures.path(entry.name + ".onnx")), backend: .fast, threads: threads, winograd: winograd)
    let (outputs, seconds) = try session.runProfiled(feeds)
    for o in entry.outputs {
        let expected = try Npy.read(path: Fixtures.path(o.file))
        let got = try XCTUnwrap(outputs[o.name], entry.name, file: file, line: line)
        XCTAssertEqual(got.shape, expected.shape, entry.name, file: file, line: line)
        guard got.shape == expected.shape else { continue }
        XCTAssertLessThanOrEqual(Agreement(got, expected).relativeError, entry.tolerance ?? 1e-5,
                                 "\(entry.name) winograd \(winograd) threads \(threads): max|engine-ort|/max|ort|", file: file, line: line)
    }
    return seconds.keys.sorted()
}

func assertMatchesFixture(_ entry: Fixtures.Entry, backend: Backend, file: StaticString = #filePath, line: UInt = #line) throws {
    let model = try ONNXModel(path: Fixtures.path(entry.name + ".onnx"))
    let session = try InferenceSession(model: model, backend: backend, threads: 2)
    var feeds: [String: Tensor] = [:]
    for i in entry.inputs { feeds[i.name] = try Npy.read(path: Fixtures.path(i.file)) }
    let out = try session.run(feeds)
    for o in entry.outputs {
        let expected = try Npy.read(path: Fixtures.path(o.file))
        guard let got = out[o.name] else { XCTFail("\(entry.name): output \(o.name) missing", file: file, line: line); continue }
        XCTAssertEqual(got.shape, expected.shape, "\(entry.name) \(backend)", file: file, line: line)
        guard got.shape == expected.shape else { continue }
        let agreement = Agreement(got, expected)
        XCTAssertLessThanOrEqual(agreement.relativeError, entry.tolerance ?? 1e-4, "\(entry.name) \(backend): max|engine-ort|/max|ort|", file: file, line: line)
        XCTAssertGreaterThanOrEqual(agreement.argmaxAgreement, 0.9999, "\(entry.name) \(backend): argmax agreement", file: file, line: line)
    }
}
