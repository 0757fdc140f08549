import Foundation
import XCTest
import Core
@testable import Inference
import TestSupport

/// Issue 11 point 12 and point 3: hostile manifests are refused with the field named, never trapped.
final class ManifestValidationTests: XCTestCase {
    /// The bundled 3D model's manifest as a JSON object, to edit.
    func bundled() throws -> [String: Any] {
        let url = TestData.repositoryRoot.appendingPathComponent("Models/brats-wt-3d/manifest.json")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    func decode(_ object: [String: Any]) throws -> ModelManifest {
        try JSONDecoder().decode(ModelManifest.self, from: JSONSerialization.data(withJSONObject: object))
    }

    func assertRefused(_ edit: (inout [String: Any]) -> Void, naming field: String, file: StaticString = #filePath, line: UInt = #line) throws {
        var object = try bundled()
        edit(&object)
        let manifest = try decode(object)
        XCTAssertThrowsError(try manifest.validate(), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(field), "\(error) does not name \(field)", file: file, line: line)
        }
    }

    func testBundledManifestIsValid() throws {
        XCTAssertNoThrow(try decode(try bundled()).validate())
    }

    /// Regression: "labels": [] trapped in validate (Array(1...0)).
    func testEmptyLabelsAreRefused() throws {
        try assertRefused({ $0["labels"] = []; $0["output"] = ["kind": "logits", "classes": 1] }, naming: "labels")
    }

    func testNameRuleColoursAndBatchSize() throws {
        try assertRefused({ $0["name"] = "Bad Name!" }, naming: "[a-z0-9-]+")
        try assertRefused({ $0["name"] = "" }, naming: "[a-z0-9-]+")
        try assertRefused({ m in
            var labels = m["labels"] as? [[String: Any]] ?? []; labels[0]["colorRGB"] = [300, 0, 0]; m["labels"] = labels
        }, naming: "colorRGB")
        try assertRefused({ m in
            var labels = m["labels"] as? [[String: Any]] ?? []; labels[0]["colorRGB"] = [-1, 0, 0]; m["labels"] = labels
        }, naming: "colorRGB")
        for batch in [0, -3, 100_000] {
            try assertRefused({ m in
                var w = m["slidingWindow"] as? [String: Any] ?? [:]; w["batchSize"] = batch; m["slidingWindow"] = w
            }, naming: "batchSize")
        }
        XCTAssertTrue(ModelManifest.isValidName("brats-wt-3d"))
        XCTAssertFalse(ModelManifest.isValidName("Brats"))
        XCTAssertFalse(ModelManifest.isValidName("a/../b"))
    }

    /// A 4096^3 patch passes the manifest's own limits but is refused by the memory budget before any work.
    func testHugePatchIsRefusedByTheBudget() throws {
        setenv(MemoryBudget.environmentVariable, "1G", 1)
        defer { unsetenv(MemoryBudget.environmentVariable) }
        struct Never: PatchNetwork {
            func predict(_ input: [Float], shape: [Int]) throws -> [Float] { XCTFail("the network must not run"); return [] }
        }
        let options = SlidingWindowOptions(patch: [4096, 4096, 4096], classes: 2)
        let input = ChannelArray(channels: 1, shape: [8, 8, 8])
        XCTAssertThrowsError(try SlidingWindowPredictor(network: Never(), options: options).predictLabels(input)) { error in
            XCTAssertEqual((error as? SafetyError)?.kind, .memoryBudget, "\(error)")
        }
    }
}
