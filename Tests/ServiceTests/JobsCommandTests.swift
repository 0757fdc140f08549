import Foundation
import XCTest

/// `segstation jobs`, `jobs cancel ID` and `jobs retry ID` against a running and then a stopped service
/// (they work through the study database).
final class JobsCommandTests: XCTestCase {
    func jobs(_ h: ServiceHarness) throws -> [[String: Any]] {
        let r = try h.run(["jobs", "--config", h.configPath.path, "--json"])
        XCTAssertEqual(r.status, 0, r.err)
        return (try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [[String: Any]]) ?? []
    }

    func testListCancelRetryWithTheServiceRunningThenStopped() throws {
        let h = try ServiceHarness(withPACS: false)
        try h.writeConfig(deadDestinationPort: 11319)   // the results cannot be delivered: the job keeps retrying
        try h.start()
        XCTAssertEqual(try h.send([try h.phantom("study")]).status, 0)
        try h.wait("a delivery retry", seconds: 120) {
            (try h.jobs().first?["errorMessage"] as? String)?.contains("pacs") == true
        }
        let id = try XCTUnwrap(try jobs(h).first?["id"] as? Int)

        // Running service: cancel through the CLI; the service's API sees it.
        let cancel = try h.run(["jobs", "cancel", String(id), "--config", h.configPath.path])
        XCTAssertEqual(cancel.status, 0, cancel.err)
        XCTAssertEqual((try h.json("/jobs/\(id)") as? [String: Any])?["state"] as? String, "cancelled")
        XCTAssertEqual(try jobs(h).first?["state"] as? String, "cancelled")
        h.stop()

        // Stopped service: list, retry; the table form names the job.
        let retry = try h.run(["jobs", "retry", String(id), "--config", h.configPath.path])
        XCTAssertEqual(retry.status, 0, retry.err)
        XCTAssertEqual(try jobs(h).first?["state"] as? String, "queued")
        let table = try h.run(["jobs", "--config", h.configPath.path])
        XCTAssertEqual(table.status, 0, table.err)
        XCTAssertTrue(table.out.contains("queued"), table.out)
        // A second retry is refused (only failed or cancelled jobs), and so is an unknown job.
        XCTAssertNotEqual(try h.run(["jobs", "retry", String(id), "--config", h.configPath.path]).status, 0)
        let unknown = try h.run(["jobs", "cancel", "99999", "--config", h.configPath.path])
        XCTAssertEqual(unknown.status, 66, unknown.err)
        XCTAssertTrue(unknown.err.contains("99999"), unknown.err)
    }
}
