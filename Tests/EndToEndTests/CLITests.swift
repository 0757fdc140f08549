import Foundation
import XCTest
import TestSupport
import VolumeIO

/// End-to-end: the built `segstation` binary, its help, exit codes and messages.
final class CLITests: XCTestCase {
    func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let outcome = try SegStationCLI().run(arguments)
        return (outcome.status, outcome.stdout, outcome.stderr)
    }

    func testHelpListsEveryCommand() throws {
        let r = try run(["--help"])
        XCTAssertEqual(r.status, 0)
        for command in ["segment", "report", "sample", "inspect", "convert", "measure", "evaluate", "mesh", "export-seg",
                        "export-sr", "model", "studies", "runs", "lesions", "history", "show"] {
            XCTAssertTrue(r.out.contains("  \(command)"), "--help does not list \(command)")
        }
    }

    func testExitCodesByErrorCategory() throws {
        let missing = try run(["inspect", "/no/such/path"])
        XCTAssertEqual(missing.status, 66)
        XCTAssertTrue(missing.err.contains("/no/such/path"), missing.err)
        let usage = try run(["convert", "/tmp", "-o", "out.txt"])
        XCTAssertEqual(usage.status, 64)
        let folder = try TestData.temporaryDirectory("cli")
        defer { try? FileManager.default.removeItem(at: folder) }
        let garbage = folder.appendingPathComponent("garbage.nii")
        try Data(repeating: 0x5A, count: 400).write(to: garbage)
        let bad = try run(["convert", garbage.path, "-o", folder.appendingPathComponent("x.nrrd").path])
        XCTAssertEqual(bad.status, 65, bad.err)
        XCTAssertTrue(bad.err.contains("garbage.nii"), bad.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("x.nrrd").path), "no output on error")
        let noDatabase = try run(["runs", "--db", folder.appendingPathComponent("none.sqlite").path])
        XCTAssertEqual(noDatabase.status, 66)
        XCTAssertTrue(noDatabase.err.hasPrefix("segstation: error: no study database at "), noDatabase.err)
        XCTAssertTrue(noDatabase.err.contains("pass --db"), "the CLI adds the flag hint: \(noDatabase.err)")
        // Global flags are accepted on either side of the command and change nothing else.
        let quiet = try run(["--quiet", "runs", "--db", folder.appendingPathComponent("none.sqlite").path, "--verbose"])
        XCTAssertEqual(quiet.status, 66)
        XCTAssertEqual(quiet.err, noDatabase.err, "errors are shown even with --quiet")
        let badBackend = try run(["model", "run", "m.onnx", "--output", "o.npy", "--backend", "gpu"])
        XCTAssertEqual(badBackend.status, 64)
        XCTAssertTrue(badBackend.err.contains("reference") && badBackend.err.contains("fast"), badBackend.err)
        let badFormat = try run(["report", "1", "--format", "html,docx"])
        XCTAssertEqual(badFormat.status, 64, badFormat.err)
        let badSince = try run(["studies", "--since", "2024-13-01"])
        XCTAssertEqual(badSince.status, 64, badSince.err)
        XCTAssertTrue(badSince.err.contains("--since"), badSince.err)
    }

    func testMalformedDICOMFilesFailCleanly() throws {
        for name in ["MR_truncated.dcm", "no_meta.dcm", "rtplan_truncated.dcm"] {
            guard let path = TestData.path("pydicom/\(name)") else { throw XCTSkip(TestData.missing("pydicom/\(name)")) }
            let r = try run(["convert", path, "-o", FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID()).nii").path])
            XCTAssertTrue([65, 66].contains(r.status), "\(name): exit \(r.status) \(r.err)")
            XCTAssertTrue(r.err.contains(name), "\(name): \(r.err)")
        }
    }

    func testSampleInspectAndConvertRoundTrip() throws {
        let folder = try TestData.temporaryDirectory("cli-sample")
        defer { try? FileManager.default.removeItem(at: folder) }
        let sample = folder.appendingPathComponent("study").path
        let written = try run(["sample", "-o", sample])
        XCTAssertEqual(written.status, 0, written.err)
        let inspect = try run(["inspect", sample, "--json"])
        XCTAssertEqual(inspect.status, 0)
        let json = try JSONSerialization.jsonObject(with: Data(inspect.out.utf8)) as? [String: Any]
        XCTAssertEqual((json?["studies"] as? [Any])?.count, 1)
        let converted = folder.appendingPathComponent("flair.nrrd").path
        let convert = try run(["convert", sample + "/FLAIR", "-o", converted, "--json"])
        XCTAssertEqual(convert.status, 0, convert.err)
        XCTAssertTrue(convert.out.contains("\"size\""))
    }
}

extension CLITests {
    /// `convert` reads a DICOM-SEG: dcmqi's liver.dcm on its source grid equals the NRRD dcmqi made it from.
    func testConvertSEGOntoSourceGridEqualsDcmqiNRRD() throws {
        guard let seg = TestData.path("dcmqi/segmentations/liver.dcm"), let source = TestData.path("dcmqi/segmentations/ct-3slice"),
              let nrrd = TestData.path("dcmqi/segmentations/liver_seg.nrrd") else {
            throw XCTSkip(TestData.missing("dcmqi/segmentations"))
        }
        let folder = try TestData.temporaryDirectory("cli-seg")
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("liver.nii.gz").path
        let r = try run(["convert", seg, "--seg-source", source, "-o", out])
        XCTAssertEqual(r.status, 0, r.err)
        let ours = try VolumeFile.readLabels(out)
        let theirs = try VolumeFile.read(nrrd)
        XCTAssertTrue(ours.geometry.isSameGrid(as: theirs.geometry, toleranceMM: 1e-3), "\(ours.geometry) vs \(theirs.geometry)")
        XCTAssertEqual(ours.voxels.map { $0 > 0 }, theirs.voxels.map { $0 > 0 })
        XCTAssertGreaterThan(ours.voxels.filter { $0 > 0 }.count, 1000)
    }
}
