import Core
import XCTest
import Imaging
import VolumeIO
import StudyStore
import TestSupport
@testable import Pipeline

/// Region and ensemble packages (Tests/PipelineTests/Fixtures/regions-3d, ensemble-3d, written by
/// Scripts/engine/make_package_fixtures.py) through `segment` end to end, with
/// `--save-probabilities`. Both fixtures are pointwise networks, so the expected labels and
/// probabilities follow in closed form from the input voxels.
final class ModelKindPipelineTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = try TestData.temporaryDirectory("model-kinds") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func write(_ v: Volume<Float>, _ name: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try VolumeFile.write(v, to: path)
        return path
    }

    func segment(_ inputs: [String], model: String, output: String) throws -> SegmentSummary {
        var request = SegmentRequest(inputs: inputs, model: model, outputFolder: folder.appendingPathComponent(output).path,
                                     databasePath: folder.appendingPathComponent("studies.sqlite").path, writeDICOM: false,
                                     reportFormats: [])
        request.saveProbabilities = true
        return try SegmentJob.run(request)
    }

    /// The probability volumes `segment` wrote into `output`.
    func probabilities(_ output: String, count: Int) throws -> [Volume<Float>] {
        let path = folder.appendingPathComponent("\(output)/probabilities.nii.gz").path
        XCTAssertEqual(try NIfTIFile.read(path: path).volumeCount, count)
        return try (0..<count).map { try VolumeFile.read(path, volumeIndex: $0) }
    }

    static func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// regions-3d: whole tumour = FLAIR - 0.3 > 0 (label 1), core = FLAIR - 0.4 > logit(0.55) (label 2),
    /// enhancing = 2 T1c - 1.6 > 0 (label 3). Enhancing follows the noise channel, so it also holds
    /// outside the core and outside the whole tumour: there the last listed region must still win.
    func testRegionLabelsFollowThePrecedenceRuleThroughSegment() throws {
        let (flair, t1c) = SegmentJobTests.scan()
        let inputs = [try write(flair, "flair.nii.gz"), try write(t1c, "t1c.nii.gz")]
        let summary = try segment(inputs, model: SegmentJobTests.fixture("regions-3d"), output: "out")
        XCTAssertEqual(summary.labels.map(\.value), [1, 2, 3])
        let x = try VolumeFile.read(inputs[0]).voxels, t = try VolumeFile.read(inputs[1]).voxels
        let mask = try VolumeFile.readLabels(folder.appendingPathComponent("out/mask.nii.gz").path)
        let maps = try probabilities("out", count: 3)
        let cutoffs = [0, log(0.55 / 0.45), 0]
        var checked = 0, enhancingOutsideCore = 0, enhancingOutsideWhole = 0, coreOnly = 0, maxError = 0.0
        for v in 0..<x.count {
            let s = [Double(x[v]) - 0.3, Double(x[v]) - 0.4, 2 * Double(t[v]) - 1.6]
            for r in 0..<3 { maxError = max(maxError, abs(Double(maps[r].voxels[v]) - Self.sigmoid(s[r]))) }
            if zip(s, cutoffs).contains(where: { abs($0 - $1) < 1e-4 }) { continue }  // float ties at a cut-off
            var expected: UInt8 = 0
            for r in 0..<3 where s[r] > cutoffs[r] { expected = UInt8(r + 1) }
            XCTAssertEqual(mask.voxels[v], expected, "voxel \(v): FLAIR \(x[v]), T1c \(t[v])")
            if mask.voxels[v] != expected { break }
            checked += 1
            if s[2] > 0 && s[1] <= cutoffs[1] { enhancingOutsideCore += 1 }
            if s[2] > 0 && s[0] <= 0 { enhancingOutsideWhole += 1 }
            if s[1] > cutoffs[1] && s[2] <= 0 { coreOnly += 1 }
        }
        XCTAssertGreaterThan(checked, x.count * 99 / 100)
        // The synthetic case exercises every precedence: enhancing over core, over whole tumour, over nothing.
        XCTAssertGreaterThan(enhancingOutsideCore, 100)
        XCTAssertGreaterThan(enhancingOutsideWhole, 100)
        XCTAssertGreaterThan(coreOnly, 100)
        XCTAssertLessThan(maxError, 1e-5, "saved region probabilities are the sigmoid of each region's logit")
    }

    /// The ensemble's saved probabilities equal the mean of the three folds run alone (each a package
    /// of its own, through the same `segment`) within 1e-6, and its labels are their argmax.
    func testEnsembleEqualsTheAverageOfItsFoldsRunAloneThroughSegment() throws {
        let (flair, t1c) = SegmentJobTests.scan()
        let inputs = [try write(flair, "flair.nii.gz"), try write(t1c, "t1c.nii.gz")]
        let ensemble = SegmentJobTests.fixture("ensemble-3d")
        _ = try segment(inputs, model: ensemble, output: "ensemble")
        let averaged = try probabilities("ensemble", count: 1)[0]
        var sum = [Double](repeating: 0, count: averaged.voxels.count)
        for fold in 0..<3 {
            _ = try segment(inputs, model: try singleFoldPackage(ensemble, fold: fold).path, output: "fold\(fold)")
            for (v, p) in try probabilities("fold\(fold)", count: 1)[0].voxels.enumerated() { sum[v] += Double(p) }
        }
        let difference = zip(averaged.voxels, sum).map { abs(Double($0) - $1 / 3) }.max() ?? 1
        XCTAssertLessThanOrEqual(difference, 1e-6)
        let mask = try VolumeFile.readLabels(folder.appendingPathComponent("ensemble/mask.nii.gz").path)
        for (v, p) in averaged.voxels.enumerated() where abs(p - 0.5) > 1e-6 {
            XCTAssertEqual(mask.voxels[v], p > 0.5 ? 1 : 0, "voxel \(v): ensemble probability \(p)")
            if mask.voxels[v] != (p > 0.5 ? 1 : 0) { break }
        }
        XCTAssertGreaterThan(averaged.voxels.filter { $0 > 0.05 && $0 < 0.95 }.count, 1000, "the fixture gives fractional probabilities")
    }

    /// The written map equals the segmenter's in-memory map exactly, and the run records it as an
    /// artefact of kind `probabilities` with its SHA-256.
    func testSavedProbabilitiesEqualTheInMemoryMapAndAreRecorded() throws {
        let (flair, t1c) = SegmentJobTests.scan()
        let inputs = [try write(flair, "flair.nii.gz"), try write(t1c, "t1c.nii.gz")]
        let model = SegmentJobTests.fixture("ensemble-3d")
        let summary = try segment(inputs, model: model, output: "out")
        let package = try ModelPackage.resolve(model)
        let segmenter = Segmenter(package: package, network: try EngineNetwork.load(package: package), saveProbabilities: true)
        let result = try segmenter.segment(channels: [try VolumeFile.read(inputs[0]), try VolumeFile.read(inputs[1])])
        let inMemory = try XCTUnwrap(result.probabilities)
        XCTAssertEqual(inMemory.labels, [1])
        let written = try probabilities("out", count: 1)[0]
        XCTAssertEqual(written.geometry.affineLPS, try VolumeFile.read(inputs[0]).geometry.affineLPS, "the map's affine is the input's exactly")
        XCTAssertEqual(written.voxels, inMemory.voxels)
        let artefact = try XCTUnwrap(summary.artefacts.first { $0.kind == "probabilities" })
        XCTAssertEqual(artefact.sha256, Digest.sha256Hex(ofFile: URL(fileURLWithPath: artefact.path)))
        let store = try StudyStore(path: summary.databasePath)
        XCTAssertEqual(try store.show(summary.runID).artefacts.filter { $0.kind == .probabilities }.map(\.path), [artefact.path])
        let mode = try FileManager.default.attributesOfItem(atPath: artefact.path)[.posixPermissions] as? NSNumber
        XCTAssertEqual(mode?.intValue, 0o600)
    }

    /// A map that would not fit the memory budget is refused before inference, with the numbers.
    func testProbabilityMapOverTheMemoryBudgetIsRefused() throws {
        let (flair, t1c) = SegmentJobTests.scan()
        let inputs = [try write(flair, "flair.nii.gz"), try write(t1c, "t1c.nii.gz")]
        let package = try ModelPackage.resolve(SegmentJobTests.fixture("regions-3d"))
        // 29 x 23 x 17 voxels: the sliding window needs about 290 KB, the map 9 x 11339 floats (408 KB) more.
        setenv(MemoryBudget.environmentVariable, "350K", 1)
        defer { unsetenv(MemoryBudget.environmentVariable) }
        let plain = Segmenter(package: package, network: try EngineNetwork.load(package: package))
        let channels = [try VolumeFile.read(inputs[0]), try VolumeFile.read(inputs[1])]
        XCTAssertNoThrow(try plain.segment(channels: channels))
        let saving = Segmenter(package: package, network: try EngineNetwork.load(package: package), saveProbabilities: true)
        XCTAssertThrowsError(try saving.segment(channels: channels)) { error in
            XCTAssertEqual((error as? CategorizedError)?.category, .badInput, "\(error)")
            XCTAssertTrue("\(error)".contains("probability map"), "\(error)")
            XCTAssertTrue("\(error)".contains("bytes"), "\(error)")
        }
    }

    /// A copy of an ensemble package whose only network is fold `fold` (0 = `network`).
    func singleFoldPackage(_ package: String, fold: Int) throws -> URL {
        let target = folder.appendingPathComponent("fold\(fold)-package")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: package), to: target)
        let url = target.appendingPathComponent("manifest.json")
        var manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let folds = [manifest["network"]!] + (manifest["ensemble"] as? [Any] ?? [])
        manifest["network"] = folds[fold]
        manifest.removeValue(forKey: "ensemble")
        manifest["name"] = "fold\(fold)"
        try JSONSerialization.data(withJSONObject: manifest).write(to: url)
        return target
    }
}
