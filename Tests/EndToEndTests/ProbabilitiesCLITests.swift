import DICOM
import Foundation
import TestSupport
import VolumeIO
import XCTest

/// `segment --save-probabilities` then `export-seg --fractional` on the file it wrote, on the DICOM
/// phantom with the ensemble fixture (Tests/PipelineTests/Fixtures/ensemble-3d: fractional
/// probabilities inside the brain). The FRACTIONAL SEG read back must hold round(255 p) / 255 of the
/// saved probabilities p (PipelineTests/ModelKindPipelineTests checks the file against the
/// segmenter's in-memory map).
extension CLITests {
    func testSavedProbabilitiesExportAsAFractionalSEG() throws {
        let folder = try TestData.temporaryDirectory("cli-probabilities")
        defer { try? FileManager.default.removeItem(at: folder) }
        let sample = folder.appendingPathComponent("sample")
        XCTAssertEqual(try run(["sample", "-o", sample.path, "--size", "40,44,20"]).status, 0)
        let flair = sample.appendingPathComponent("FLAIR").path, t1c = sample.appendingPathComponent("T1c").path
        let model = TestData.repositoryRoot.appendingPathComponent("Tests/PipelineTests/Fixtures/ensemble-3d").path
        let out = folder.appendingPathComponent("out")
        let segment = try run(["segment", flair, t1c, "--model", model, "--save-probabilities", "--no-dicom", "-o", out.path,
                               "--db", folder.appendingPathComponent("studies.sqlite").path, "--json"])
        XCTAssertEqual(segment.status, 0, segment.err)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(segment.out.utf8)) as? [String: Any])
        let kinds = (summary["artefacts"] as? [[String: Any]] ?? []).compactMap { $0["kind"] as? String }
        XCTAssertTrue(kinds.contains("probabilities"), "\(kinds)")
        let probabilities = out.appendingPathComponent("probabilities.nii.gz").path
        let seg = folder.appendingPathComponent("fractional.dcm").path
        let export = try run(["export-seg", "--mask", out.appendingPathComponent("mask.nii.gz").path, "--source", flair,
                              "--fractional", probabilities, "--labels", model + "/manifest.json", "-o", seg, "--json"])
        XCTAssertEqual(export.status, 0, export.err)

        let saved = try VolumeFile.read(probabilities, volumeIndex: 0)
        let source = try SEGSourceSeries.read(URL(fileURLWithPath: flair))
        let fractions = try XCTUnwrap(try SEGDocument(contentsOf: URL(fileURLWithPath: seg)).segmentFractions(on: source)[1])
        XCTAssertEqual(fractions.voxels.count, saved.voxels.count)
        var fractional = 0
        for (v, p) in saved.voxels.enumerated() {
            XCTAssertEqual(fractions.voxels[v], (p * 255).rounded() / 255, accuracy: 1e-6, "voxel \(v)")
            if abs(fractions.voxels[v] - (p * 255).rounded() / 255) > 1e-6 { break }
            if p > 0.05 && p < 0.95 { fractional += 1 }
        }
        XCTAssertGreaterThan(fractional, 500, "the phantom gives fractional probabilities in the brain")
    }
}
