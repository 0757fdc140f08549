import XCTest
import Imaging
import VolumeIO
import TestSupport
@testable import Pipeline

/// The bundled demo models on the BraTS case their model cards hold out: the Dice must not fall
/// more than 0.02 below the value the card reports (computed with onnxruntime by
/// Scripts/train/demo_inference.py). Skips with a message when ../shared/data is absent.
final class DemoModelTests: XCTestCase {
    struct ReferenceInference: Decodable {
        var heldOutCase: String
        var channels: [String]
        var dice: Double
        var diceFloorForTests: Double
    }

    func checkHeldOutDice(model name: String) throws {
        let folder = TestData.repositoryRoot.appendingPathComponent("Models/\(name)")
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("manifest.json").path) else {
            throw XCTSkip("model package Models/\(name) is not bundled in this checkout")
        }
        let reference = try JSONDecoder().decode(ReferenceInference.self, from: Data(contentsOf: folder.appendingPathComponent("reference_inference.json")))
        XCTAssertEqual(reference.diceFloorForTests, reference.dice - 0.02, accuracy: 1e-9)
        let caseFolder = "brats2013/\(reference.heldOutCase)"
        guard let root = TestData.path(caseFolder) else { throw XCTSkip(TestData.missing(caseFolder)) }
        let channels = try reference.channels.map { try VolumeFile.read(root + "/" + $0) }
        let truth = try VolumeFile.read(root + "/OTMultiClass.nii.gz")
        let package = try ModelPackage(folder: folder)
        let segmenter = Segmenter(package: package, network: try EngineNetwork(package: package))
        let result = try segmenter.segment(channels: channels)
        XCTAssertEqual(result.labels.geometry, channels[0].geometry)
        var both = 0, predicted = 0, actual = 0
        for i in truth.voxels.indices {
            let p = result.labels.voxels[i] != 0, t = truth.voxels[i] > 0
            if p { predicted += 1 }
            if t { actual += 1 }
            if p && t { both += 1 }
        }
        let dice = 2 * Double(both) / Double(predicted + actual)
        print("\(name) held-out \(reference.heldOutCase): Dice \(dice) (model card \(reference.dice)), predicted \(predicted) voxels, timings \(result.timings)")
        XCTAssertGreaterThanOrEqual(dice, reference.diceFloorForTests)
    }

    func testDemo2DOnHeldOutCase() throws { try checkHeldOutDice(model: "brats-wt-2d") }
    func testDemo3DOnHeldOutCase() throws { try checkHeldOutDice(model: "brats-wt-3d") }
}
