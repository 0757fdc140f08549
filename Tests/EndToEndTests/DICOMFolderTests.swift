import Foundation
import TestSupport
import XCTest

/// Issue 11 points 5, 6, 22 through the built binary: a source folder holding DICOMDIR, a Philips
/// DIRFILE, SR, PR, KO, RTSTRUCT and RTPLAN beside the images works in every command that reads a
/// DICOM folder (inspect, convert, segment, export-seg, export-sr, export-rtstruct, evaluate and
/// measure with a DICOM image, report RUN re-reading the recorded inputs); a bad slice is
/// refused by every command naming the file (exit 65) or left out with --skip-bad-slices; DCMTK never
/// prints to the terminal.
final class DICOMFolderTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws { root = try TestData.temporaryDirectory("cli-dicom") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    /// Runs the binary (study database in the scratch folder); DCMTK must never print to the terminal.
    func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let outcome = try SegStationCLI().run(arguments, environment: ["SEGSTATION_DB": root.appendingPathComponent("db.sqlite").path])
        XCTAssertFalse(outcome.stderr.contains("W: ") || outcome.stderr.contains("E: ") || outcome.stderr.contains("F: "),
                       "a DCMTK log line reached the terminal: \(outcome.stderr)")
        return (outcome.status, outcome.stdout, outcome.stderr)
    }

    var model: String { TestData.repositoryRoot.appendingPathComponent("Tests/PipelineTests/Fixtures/threshold-3d").path }

    /// `segstation sample` (small) with every non-image object beside the images of both series.
    func sampleWithNonImages() throws -> (flair: String, t1c: String) {
        let sample = root.appendingPathComponent("sample")
        let made = try run(["sample", "-o", sample.path, "--size", "32,32,20"])
        XCTAssertEqual(made.status, 0, made.err)
        for series in ["FLAIR", "T1c"] {
            let folder = sample.appendingPathComponent(series)
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            try DICOMBytes.directory(referencing: names, philips: false).write(to: folder.appendingPathComponent("DICOMDIR"))
            try DICOMBytes.directory(referencing: names, philips: true).write(to: folder.appendingPathComponent("DIRFILE"))
            for (i, object) in DICOMBytes.nonImageClasses.enumerated() {
                try DICOMBytes.nonImage(sopClass: object.sopClass, modality: object.modality, instance: "2.25.77\(i)").write(to: folder.appendingPathComponent(object.name))
            }
        }
        return (sample.appendingPathComponent("FLAIR").path, sample.appendingPathComponent("T1c").path)
    }

    func testNonImageObjectsBesideImagesWorkInEveryCommand() throws {
        let (flair, t1c) = try sampleWithNonImages()
        let inspect = try run(["inspect", flair])
        XCTAssertEqual(inspect.status, 0, inspect.err)
        for name in ["DICOMDIR", "DIRFILE"] + DICOMBytes.nonImageClasses.map(\.name) {
            XCTAssertTrue(inspect.out.contains("skipped \(flair)/\(name):"), "\(name) not noted:\n\(inspect.out)")
        }
        let convert = try run(["convert", flair, "-o", root.appendingPathComponent("flair.nii.gz").path])
        XCTAssertEqual(convert.status, 0, convert.err)
        let out = root.appendingPathComponent("run")
        let segment = try run(["segment", flair, t1c, "--model", model, "-o", out.path, "--json"])
        XCTAssertEqual(segment.status, 0, segment.err)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("seg.dcm").path))
        let mask = out.appendingPathComponent("mask.nii.gz").path
        let seg = root.appendingPathComponent("export-seg.dcm")
        let exportSeg = try run(["export-seg", "--mask", mask, "--source", flair, "-o", seg.path])
        XCTAssertEqual(exportSeg.status, 0, exportSeg.err)
        let exportSR = try run(["export-sr", "--seg", seg.path, "--image", flair, "-o", root.appendingPathComponent("sr.dcm").path])
        XCTAssertEqual(exportSR.status, 0, exportSR.err)
        // The other commands that read a DICOM folder: RTSTRUCT export and reading, measure, report RUN.
        let rt = root.appendingPathComponent("rt.dcm").path
        let exportRT = try run(["export-rtstruct", "--mask", mask, "--source", flair, "-o", rt])
        XCTAssertEqual(exportRT.status, 0, exportRT.err)
        let evaluate = try run(["evaluate", "--prediction", rt, "--reference", mask, "--rt-source", flair])
        XCTAssertEqual(evaluate.status, 0, evaluate.err)
        let measure = try run(["measure", "--image", flair, "--mask", mask])
        XCTAssertEqual(measure.status, 0, measure.err)
        let summary = try JSONSerialization.jsonObject(with: Data(segment.out.utf8)) as? [String: Any]
        let runID = try XCTUnwrap(summary?["runID"] as? Int, segment.out)
        let report = try run(["report", String(runID), "-o", root.appendingPathComponent("report").path, "--format", "json"])
        XCTAssertEqual(report.status, 0, report.err)
    }

    func testBadSliceIsRefusedByEveryCommandNamingItOrSkipped() throws {
        let (flair, t1c) = try sampleWithNonImages()
        // A mask for export-seg/export-sr, made before the damage.
        let out = root.appendingPathComponent("run")
        XCTAssertEqual(try run(["segment", flair, t1c, "--model", model, "-o", out.path]).status, 0)
        let mask = out.appendingPathComponent("mask.nii.gz").path
        // The first slice of the series (SegStation's writer names them slice0000.dcm...): its last byte goes.
        let victim = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: flair).sorted().first { $0.hasPrefix("slice") })
        let victimPath = (flair as NSString).appendingPathComponent(victim)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: victimPath))
        bytes.removeLast()
        try bytes.write(to: URL(fileURLWithPath: victimPath))
        let seg = root.appendingPathComponent("seg.dcm").path
        let commands: [[String]] = [
            ["convert", flair, "-o", root.appendingPathComponent("x.nii.gz").path],
            ["segment", flair, t1c, "--model", model, "-o", root.appendingPathComponent("run2").path],
            ["export-seg", "--mask", mask, "--source", flair, "-o", seg],
            ["export-sr", "--seg", out.appendingPathComponent("seg.dcm").path, "--image", flair, "-o", root.appendingPathComponent("sr.dcm").path],
        ]
        for command in commands {
            let r = try run(command)
            XCTAssertEqual(r.status, 65, "\(command[0]): \(r.err)")
            XCTAssertTrue(r.err.contains(victim) && r.err.contains("--skip-bad-slices"), "\(command[0]): \(r.err)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: seg), "nothing written on refusal")
        let skipped = try run(["convert", flair, "-o", root.appendingPathComponent("y.nii.gz").path, "--skip-bad-slices", "--uneven-spacing", "resample"])
        XCTAssertEqual(skipped.status, 0, skipped.err)
        XCTAssertTrue(skipped.err.contains(victim), "the warning names the left-out file: \(skipped.err)")
    }
}
