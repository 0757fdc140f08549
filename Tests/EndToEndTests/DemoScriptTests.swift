import Foundation
import TestSupport
import XCTest

/// The README's main job (Scripts/demo.sh) run twice in a row, as a user following the README would: the
/// second run once failed (exit 73) because the database held the first run's artefacts in the same folder.
/// Run with the debug build and the tests' threshold model on a small phantom written beforehand (the script
/// writes the full-size phantom only when none is there).
final class DemoScriptTests: ProcessTestCase {
    func testMainJobRunsTwiceInARow() throws {
        let script = TestData.repositoryRoot.appendingPathComponent("Scripts/demo.sh").path
        let studies = folder.appendingPathComponent("Studies")
        _ = try cli.phantom(in: studies.appendingPathComponent("sample"), size: "48,48,24")
        let environment = ["SEGSTATION_DEMO_BIN": try SegStationCLI.binary().path, "SEGSTATION_DEMO_DIR": folder.path,
                           "SEGSTATION_DEMO_MODEL": SegStationCLI.fixtureModel, "SEGSTATION_DEMO_MIN_LESION_ML": "0"]
        for run in 1...2 {
            let outcome = try ProcessRunner.run(URL(fileURLWithPath: "/bin/bash"), [script], environment: environment, timeoutSeconds: 300)
            XCTAssertEqual(outcome.status, 0, "demo.sh run \(run): \(outcome.stdout)\n\(outcome.stderr)")
            XCTAssertTrue(outcome.stdout.contains("Report:    \(folder.path)/Reports/demo/report.html"), outcome.stdout)
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("Reports/demo/seg.dcm").path), "run \(run)")
        }
        // The database keeps both runs.
        let runs = try cli.run(["runs", "--db", studies.appendingPathComponent("demo.sqlite").path, "--json"])
        XCTAssertEqual(runs.status, 0, runs.stderr)
        let rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(runs.stdout.utf8)) as? [[String: Any]], runs.stdout)
        XCTAssertEqual(rows.count, 2, runs.stdout)
    }
}
