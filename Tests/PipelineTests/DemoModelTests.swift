import XCTest
import Imaging
import VolumeIO
import TestSupport
@testable import Pipeline

/// The bundled demo models on the BraTS case their model cards hold out, against the reference
/// inference (onnxruntime, Scripts/train/demo_inference.py; mask and numbers recorded by
/// Scripts/train/reference_mask.py): the mask agrees voxel for voxel up to `maxDifferingFraction`,
/// and the Dice must not fall more than 0.02 below the value the card reports. Skips with a message
/// when ../shared/data is absent.
final class DemoModelTests: XCTestCase {
    struct ReferenceInference: Decodable {
        var heldOutCase: String
        var channels: [String]
        var dice: Double
        var diceFloorForTests: Double
        var predictedVoxels: Int
        var referenceMask: String
    }

    /// At most this fraction of the reference's predicted voxels may differ. Both pipelines compute
    /// the same logits in Float32, but oneDNN and onnxruntime sum the convolutions in different
    /// orders: the logits differ in their last bits, which flips the argmax only where the two
    /// classes are nearly tied, on the tumour boundary. Measured 2026-12-06 (oneDNN backend): 3 of 160,609 (2D)
    /// and 7 of 203,819 (3D) voxels differ; the bound, 1e-4 (16 and 20 voxels), leaves a few times
    /// that for other CPUs' instruction paths while still catching any real change (the Gaussian's
    /// half-voxel shift alone changed the 3D model's predicted voxel count by 613).
    static let maxDifferingFraction = 1e-4

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
        let expected = try VolumeFile.readLabels(TestData.repositoryRoot.appendingPathComponent(reference.referenceMask).path)
        XCTAssertTrue(expected.geometry.isSameGrid(as: result.labels.geometry, toleranceMM: 1e-4), "\(expected.geometry)")
        XCTAssertEqual(VoxelLoops.nonzero(expected.voxels), reference.predictedVoxels, "the reference mask is not the recorded one")
        let differing = VoxelLoops.differing(result.labels.voxels, expected.voxels)
        let bound = Int((Double(reference.predictedVoxels) * Self.maxDifferingFraction).rounded(.down))
        let truthLabels = try XCTUnwrap(VoxelLoops.labels(truth.voxels), "OTMultiClass.nii.gz holds labels 0-255")
        XCTAssertEqual(truthLabels.count, result.labels.voxels.count)
        let overlap = VoxelLoops.overlap(result.labels.voxels, truthLabels)
        let dice = overlap.dice, predicted = overlap.inA
        print("\(name) held-out \(reference.heldOutCase): Dice \(dice) (model card \(reference.dice)), predicted \(predicted) voxels (reference \(reference.predictedVoxels)), \(differing) differ from the reference mask (bound \(bound)), timings \(result.timings)")
        XCTAssertLessThanOrEqual(differing, bound, "voxels differing from the reference mask")
        XCTAssertGreaterThanOrEqual(dice, reference.diceFloorForTests)
    }

    func testDemo2DOnHeldOutCase() throws { try checkHeldOutDice(model: "brats-wt-2d") }
    func testDemo3DOnHeldOutCase() throws { try checkHeldOutDice(model: "brats-wt-3d") }
}
