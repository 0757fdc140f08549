import Foundation
import TestSupport
import XCTest

/// End-to-end RTSTRUCT commands on the phantom: export-rtstruct, then convert / evaluate / measure reading it
/// back with --rt-source; usage and bad-input exit codes.
extension CLITests {
    func testRTStructExportAndReadBack() throws {
        let folder = try TestData.temporaryDirectory("cli-rt")
        defer { try? FileManager.default.removeItem(at: folder) }
        let sample = folder.appendingPathComponent("sample")
        XCTAssertEqual(try run(["sample", "-o", sample.path]).status, 0)
        let flair = sample.appendingPathComponent("FLAIR").path, reference = sample.appendingPathComponent("reference-mask.nii.gz").path
        let rt = folder.appendingPathComponent("rt.dcm").path
        let labels = folder.appendingPathComponent("labels.json")
        try Data(#"[{"value": 1, "name": "Whole tumour", "colorRGB": [255, 0, 0], "rtROIInterpretedType": "ORGAN"}]"#.utf8).write(to: labels)

        let export = try run(["export-rtstruct", "--mask", reference, "--source", flair, "-o", rt, "--labels", labels.path, "--json"])
        XCTAssertEqual(export.status, 0, export.err)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(export.out.utf8)) as? [String: Any])
        XCTAssertGreaterThan(summary["contours"] as? Int ?? 0, 10)
        XCTAssertEqual(summary["rois"] as? [String: Int], ["1": 1])
        let mode = try FileManager.default.attributesOfItem(atPath: rt)[.posixPermissions] as? NSNumber
        XCTAssertEqual(mode?.intValue, 0o600)

        let converted = folder.appendingPathComponent("back.nii.gz").path
        let convert = try run(["convert", rt, "--rt-source", flair, "-o", converted, "--json"])
        XCTAssertEqual(convert.status, 0, convert.err)
        XCTAssertTrue(convert.out.contains("Whole tumour"), convert.out)

        let evaluate = try run(["evaluate", "--prediction", rt, "--reference", reference, "--rt-source", flair, "--json"])
        XCTAssertEqual(evaluate.status, 0, evaluate.err)
        let metrics = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(evaluate.out.utf8)) as? [String: Any])
        XCTAssertGreaterThanOrEqual(metrics["dice"] as? Double ?? 0, 0.99)

        let measure = try run(["measure", "--image", flair, "--mask", rt, "--rt-source", flair, "--roi", "Whole tumour", "--json"])
        XCTAssertEqual(measure.status, 0, measure.err)

        // Usage: an RTSTRUCT without its series, an unknown ROI, a tolerance out of range.
        let noSource = try run(["convert", rt, "-o", converted])
        XCTAssertEqual(noSource.status, 64)
        XCTAssertTrue(noSource.err.contains("--rt-source"), noSource.err)
        let unknown = try run(["convert", rt, "--rt-source", flair, "--roi", "Liver", "-o", converted])
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.err.contains("Whole tumour"), unknown.err)
        XCTAssertEqual(try run(["export-rtstruct", "--mask", reference, "--source", flair, "-o", rt, "--tolerance-mm", "-1"]).status, 64)

        // Bad input: an interpreted type that is no defined term; a structure set over another series.
        try Data(#"[{"value": 1, "name": "Whole tumour", "rtROIInterpretedType": "TUMOUR"}]"#.utf8).write(to: labels)
        let badType = try run(["export-rtstruct", "--mask", reference, "--source", flair, "-o", rt, "--labels", labels.path])
        XCTAssertEqual(badType.status, 65)
        XCTAssertTrue(badType.err.contains("(3006,00A4)"), badType.err)
        let otherSeries = try run(["convert", rt, "--rt-source", sample.appendingPathComponent("T1c").path, "-o", converted])
        XCTAssertEqual(otherSeries.status, 65)
        XCTAssertTrue(otherSeries.err.contains("(0008,1155)"), otherSeries.err)
    }
}
