import Core
import XCTest
import Imaging
import VolumeIO
import StudyStore
import TestSupport
@testable import Pipeline

/// End-to-end `segment` on synthetic scans with the threshold fixture models (label 1 where
/// FLAIR > 0.5), whose exact answer the tests know.
final class SegmentJobTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = try TestData.temporaryDirectory("pipeline") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    static func fixture(_ name: String) -> String {
        TestData.repositoryRoot.appendingPathComponent("Tests/PipelineTests/Fixtures/\(name)").path
    }

    /// A smooth blob (FLAIR) and noise (T1c) on an oblique 1 mm grid of odd size.
    static func scan(size: SIMD3<Int> = SIMD3(29, 23, 17), direction: Matrix3 = GeometryFixtures.oblique, radiusMM: Double = 6) -> (Volume<Float>, Volume<Float>) {
        let g = VolumeGeometry(size: size, spacingMM: Vector3(1, 1, 1), originLPS: Vector3(-12, 7, 30), direction: direction)
        let centre = g.indexToPatient((Vector3(size) - 1) / 2 + Vector3(2, -1, 0.5))
        var flair = [Float](), t1c = [Float]()
        var rng = SplitMix(seed: 7)
        for k in 0..<size.z { for j in 0..<size.y { for i in 0..<size.x {
            let p = g.indexToPatient(Vector3(Double(i), Double(j), Double(k)))
            let d = norm(p - centre)
            flair.append(Float(exp(-log(2) * d * d / (radiusMM * radiusMM))))   // 0.5 at radiusMM
            t1c.append(Float(rng.next() % 1000) / 1000)
        }}}
        return (Volume(geometry: g, voxels: flair), Volume(geometry: g, voxels: t1c))
    }

    func write(_ v: Volume<Float>, _ name: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try VolumeFile.write(v, to: path)
        return path
    }

    func segment(_ inputs: [String], model: String = "threshold-3d", output: String = "out") throws -> SegmentSummary {
        try SegmentJob.run(SegmentRequest(inputs: inputs, model: Self.fixture(model), outputFolder: folder.appendingPathComponent(output).path,
                                          databasePath: folder.appendingPathComponent("studies.sqlite").path, writeDICOM: false))
    }

    func testMaskIsExactOnTheInputGrid() throws {
        let (flair, t1c) = Self.scan()
        let inputs = [try write(flair, "flair.nii.gz"), try write(t1c, "t1c.nii.gz")]
        let summary = try segment(inputs)
        let written = try VolumeFile.read(inputs[0])
        let mask = try VolumeFile.readLabels(folder.appendingPathComponent("out/mask.nii.gz").path)
        XCTAssertEqual(mask.geometry.affineLPS, written.geometry.affineLPS, "the mask's affine must equal the input's exactly")
        XCTAssertEqual(mask.voxels, written.voxels.map { $0 > 0.5 ? 1 : 0 })
        XCTAssertEqual(summary.labels.first?.voxelCount, written.voxels.filter { $0 > 0.5 }.count)
        XCTAssertEqual(summary.labels.first?.lesionCount, 1)
        // The 2D variant (axial slices of the RAS-reoriented volume) gives the same answer.
        _ = try segment(inputs, model: "threshold-2d", output: "out2d")
        let mask2D = try VolumeFile.readLabels(folder.appendingPathComponent("out2d/mask.nii.gz").path)
        XCTAssertEqual(mask2D.voxels, mask.voxels)
    }

    func testRunIsRecordedAndRerunDuplicatesNothing() throws {
        let (flair, t1c) = Self.scan(size: SIMD3(12, 11, 9))
        let inputs = [try write(flair, "flair.nii"), try write(t1c, "t1c.nii")]
        let first = try segment(inputs, output: "a")
        let second = try segment(inputs, output: "b")
        XCTAssertNotEqual(first.runID, second.runID)
        let store = try StudyStore(path: folder.appendingPathComponent("studies.sqlite").path, createIfMissing: false)
        XCTAssertEqual(try store.studies().count, 1, "a re-run adds a run, not a study")
        let runs = try store.runs()
        XCTAssertEqual(runs.count, 2)
        XCTAssertTrue(runs.allSatisfy { $0.status == .completed })
        XCTAssertEqual(try store.integrityCheck(), ["ok"])
    }

    func testOrientationAndObliqueCopiesAgreeInPatientSpace() throws {
        let (flair, t1c) = Self.scan(size: SIMD3(61, 59, 57), direction: .identity, radiusMM: 25)
        let base = try segment([try write(flair, "f.nii.gz"), try write(t1c, "t.nii.gz")], output: "base")
        let baseMask = try VolumeFile.readLabels(base.outputFolder + "/mask.nii.gz")
        // LPS -> RAS flipped copy: same voxels in another order.
        let flipped = try segment([try write(try flair.reoriented(to: "RAS"), "fr.nii.gz"), try write(try t1c.reoriented(to: "RAS"), "tr.nii.gz")], output: "flip")
        let flippedMask = try VolumeFile.readLabels(flipped.outputFolder + "/mask.nii.gz")
        XCTAssertEqual(flippedMask.geometry.orientationCode, "RAS")
        XCTAssertGreaterThanOrEqual(dice(baseMask, flippedMask.resampled(onto: baseMask.geometry, interpolation: .nearest, outside: 0)), 0.999)
        // Oblique copy: rotated 20 degrees about S and 10 about L, resampled linearly.
        var g = flair.geometry
        g.direction = Matrix3(rows: [[cos(0.35), -sin(0.35), 0], [sin(0.35), cos(0.35), 0], [0, 0, 1]]) * Matrix3(rows: [[1, 0, 0], [0, cos(0.17), -sin(0.17)], [0, sin(0.17), cos(0.17)]])
        g.originLPS = flair.geometry.centerLPS - g.direction * (Vector3(g.size) - 1) / 2
        let oblique = try segment([try write(flair.resampled(onto: g, interpolation: .linear, outside: 0), "fo.nii.gz"),
                                   try write(t1c.resampled(onto: g, interpolation: .linear, outside: 0), "to.nii.gz")], output: "oblique")
        let obliqueMask = try VolumeFile.readLabels(oblique.outputFolder + "/mask.nii.gz")
        // The oblique mask is brought onto the base grid as a fraction (linear) and thresholded at 0.5,
        // so the comparison measures the segmentation, not the staircase of nearest-neighbour resampling.
        let onBase = obliqueMask.map { Float($0) }.resampled(onto: baseMask.geometry, interpolation: .linear, outside: 0).map { UInt8($0 >= 0.5 ? 1 : 0) }
        let obliqueDice = dice(baseMask, onBase)
        print("oblique copy Dice \(obliqueDice)")
        XCTAssertGreaterThanOrEqual(obliqueDice, 0.99)
    }

    func testWrongChannelCountIsAnError() throws {
        let (flair, _) = Self.scan(size: SIMD3(5, 5, 5))
        XCTAssertThrowsError(try segment([try write(flair, "only.nii")])) { error in
            XCTAssertTrue("\(error)".contains("takes 2 input(s) in this order: FLAIR, T1c; 1 given"), "\(error)")
            XCTAssertEqual((error as? CategorizedError)?.category, .invalidArgument)
        }
    }
}

func dice(_ a: LabelMap, _ b: LabelMap) -> Double {
    var both = 0, sum = 0
    for i in a.voxels.indices {
        let x = a.voxels[i] != 0, y = b.voxels[i] != 0
        if x && y { both += 1 }
        sum += (x ? 1 : 0) + (y ? 1 : 0)
    }
    return sum == 0 ? 1 : 2 * Double(both) / Double(sum)
}

enum GeometryFixtures {
    static let oblique = Matrix3(rows: [[cos(0.3), -sin(0.3), 0], [sin(0.3), cos(0.3), 0], [0, 0, 1]])
        * Matrix3(rows: [[1, 0, 0], [0, cos(0.2), -sin(0.2)], [0, sin(0.2), cos(0.2)]])
}
