import DICOM
import Foundation
import Imaging
import StudyStore
import TestSupport
import VolumeIO
import XCTest
@testable import Pipeline

/// RTSTRUCT on the phantom (`segstation sample`): plastimatch rasterises ours back to the reference mask,
/// and `segment --rtstruct` writes rt.dcm beside seg.dcm, owner-only, recorded as a run artefact.
final class RTStructPhantomTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = try TestData.temporaryDirectory("rt-phantom") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// The phantom's whole-tumour mask over its FLAIR series, through plastimatch (`--xor-contours`):
    /// Dice >= 0.98 against the mask.
    func testPlastimatchReadsOursOnThePhantom() throws {
        guard let plastimatch = ExternalTool("plastimatch") else { throw XCTSkip(ExternalTool.missing("plastimatch", package: "plastimatch")) }
        let sample = try SampleStudy.write(to: folder.appendingPathComponent("study"))
        let source = try SEGSourceSeries.read(URL(fileURLWithPath: sample.flairSeries))
        let mask = try VolumeFile.readLabels(sample.referenceMask)
        let rt = folder.appendingPathComponent("rt.dcm")
        let result = try RTStructWriter(options: RTStructWriteOptions(softwareVersion: "test", algorithmName: "phantom"))
            .write(labelMap: mask, rois: [RTROIDescription(labelValue: 1, name: "Whole tumour")], over: source, to: rt)
        let out = folder.appendingPathComponent("out")
        let run = try plastimatch.run(["convert", "--input", rt.path, "--referenced-ct", sample.flairSeries, "--output-prefix", out.path,
                                       "--prefix-format", "nrrd", "--xor-contours"])
        XCTAssertEqual(run.status, 0, run.output)
        let theirs = source.sampled(try VolumeFile.readLabels(out.appendingPathComponent("Whole tumour.nrrd").path), interpolation: .nearest, outside: 0)
        let ours = source.sampled(mask, interpolation: .nearest, outside: 0)
        let dice = diceCoefficient(count: ours.count, { ours[$0] != 0 }, { theirs[$0] != 0 })
        print("plastimatch phantom: \(result.contourCount) contours, \(result.pointCount) points, Dice \(String(format: "%.4f", dice))")
        XCTAssertGreaterThanOrEqual(dice, 0.98)
    }

    /// `segment --rtstruct` on the phantom's DICOM series (threshold fixture model): rt.dcm is written, 0600,
    /// recorded in the database with its digest, and holds the run's mask.
    func testSegmentWritesRTStructAsAnArtefact() throws {
        let sample = try SampleStudy.write(to: folder.appendingPathComponent("study"), phantom: SamplePhantom(size: SIMD3(48, 56, 24)))
        var request = SegmentRequest(inputs: [sample.flairSeries, sample.t1cSeries], model: SegmentJobTests.fixture("threshold-3d"),
                                     outputFolder: folder.appendingPathComponent("run").path,
                                     databasePath: folder.appendingPathComponent("studies.sqlite").path, reportFormats: [])
        request.writeRTStruct = true
        let summary = try SegmentJob.run(request)
        let rtPath = folder.appendingPathComponent("run/rt.dcm").path
        XCTAssertEqual(Set(summary.artefacts.map(\.kind)), ["mask", "seg", "sr", "rtstruct"])
        let attributes = try FileManager.default.attributesOfItem(atPath: rtPath)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        let store = try StudyStore(path: request.databasePath!, createIfMissing: false)
        let detail = try store.show(summary.runID)
        XCTAssertTrue(detail.artefacts.contains { $0.kind == .rtstruct && $0.path.hasSuffix("rt.dcm") })
        let source = try SEGSourceSeries.read(URL(fileURLWithPath: sample.flairSeries))
        let document = try RTStructDocument(contentsOf: URL(fileURLWithPath: rtPath))
        XCTAssertEqual(document.frameOfReferenceUID, source.frameOfReferenceUID)
        let back = try document.labelMap(on: source).labels
        let mask = source.sampled(try VolumeFile.readLabels(folder.appendingPathComponent("run/mask.nii.gz").path), interpolation: .nearest, outside: 0)
        XCTAssertGreaterThan(mask.filter { $0 != 0 }.count, 1000, "the threshold model segments the phantom")
        let dice = diceCoefficient(count: mask.count, { mask[$0] != 0 }, { back.voxels[$0] != 0 })
        XCTAssertGreaterThanOrEqual(dice, 0.98)
    }
}
