import Foundation
import XCTest

/// The HTTP API of a running `segstation serve` (no PACS needed): tokens, path validation, upload limit,
/// and real responses checked against docs/openapi.yaml.
final class HTTPAPITests: XCTestCase {
    func testAuthTraversalUploadLimitAndOpenAPIConformance() throws {
        for tool in ["/usr/bin/storescu"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("\(tool) is missing (Debian package dcmtk)")
        }
        let h = try ServiceHarness(withPACS: false)
        try h.writeConfig(maxUploadBytes: 64 * 1024)
        try h.start()
        defer { h.stop() }
        let spec = try OpenAPICheck()
        func conform(_ path: String, method: String = "GET", _ r: ServiceHarness.HTTPResult, file: StaticString = #filePath, line: UInt = #line) {
            let found = spec.problems(method: method, path: path.split(separator: "?").first.map(String.init) ?? path,
                                      status: r.status, contentType: r.contentType, body: r.body)
            XCTAssertEqual(found, [], "\(method) \(path)", file: file, line: line)
        }

        // Tokens: /health is open, everything else needs a known bearer token.
        XCTAssertEqual(try h.get("/health", auth: false).status, 200)
        for path in ["/studies", "/runs", "/lesions", "/jobs", "/metrics", "/runs/1/report.pdf"] {
            let r = try h.get(path, auth: false)
            XCTAssertEqual(r.status, 401, path)
            conform(path, r)
        }
        let wrong = try h.request(URL(string: "/studies", relativeTo: h.base)!.absoluteURL, headers: ["Authorization": "Bearer nope"], auth: false)
        XCTAssertEqual(wrong.status, 401)

        // A real job (uploads need no PACS): send a phantom with the README's storescu line, wait for it.
        let sent = try h.sendAsInREADME(try h.phantom("study"))
        XCTAssertEqual(sent.status, 0, sent.err)
        try h.wait("the job", seconds: 120) { try h.jobs().first?["state"] as? String == "done" }
        // Nothing identifies the patient in the log at the default level (the phantom's ID and name).
        let log = try String(contentsOf: try XCTUnwrap(h.logFile), encoding: .utf8)
        for identifier in ["PHANTOM-0001", "Phantom^Brain", "Phantom"] { XCTAssertFalse(log.contains(identifier), "log names \(identifier): \(log)") }
        let job = try XCTUnwrap(try h.jobs().first)
        let runID = try XCTUnwrap(job["runID"] as? Int)
        let studyUID = try XCTUnwrap((try h.json("/studies") as? [[String: Any]])?.first?["studyInstanceUID"] as? String)
        for path in ["/health", "/studies", "/studies/\(studyUID)", "/series", "/runs", "/runs/\(runID)", "/lesions?minVolumeML=0",
                     "/patients/PHANTOM-0001/history", "/jobs", "/jobs/\(job["id"]!)", "/runs/\(runID)/seg.dcm", "/runs/\(runID)/sr.dcm",
                     "/runs/\(runID)/mask.nii.gz", "/runs/\(runID)/report.html", "/runs/\(runID)/report.pdf", "/metrics"] {
            let r = try h.get(path)
            XCTAssertEqual(r.status, 200, path)
            conform(path, r)
        }
        let events = try h.get("/jobs/\(job["id"]!)/events")
        XCTAssertTrue(String(decoding: events.body, as: UTF8.self).contains("\"state\":\"done\""))
        conform("/jobs/\(job["id"]!)/events", events)

        // Path parameters: traversal and junk never reach the file system.
        for (path, expected) in [("/runs/\(runID)/..%2F..%2Fstudies.sqlite", [400, 404]), ("/runs/\(runID)/passwd", [404]),
                                 ("/studies/..%2F..", [400]), ("/studies/1.2.3", [404]), ("/runs/abc", [400]),
                                 ("/runs/\(runID)/../../../etc/passwd", [400, 404]), ("/patients/..%2Fx/history", [400, 404]),
                                 ("/jobs/99999", [404]), ("/runs/99999", [404])] {
            let r = try h.get(path)
            XCTAssertTrue(expected.contains(r.status), "\(path): \(r.status)")
            if r.status == 400 || (r.status == 404 && !path.contains("..")) { conform(path, r) }
        }

        // Uploads: over http.maxUploadBytes is 413; a NIfTI within it is queued.
        let big = Data(repeating: 0x41, count: 65 * 1024)
        let tooLarge = try h.request(URL(string: "/jobs?model=x", relativeTo: h.base)!.absoluteURL, method: "POST", body: big,
                                     headers: ["Content-Type": "application/octet-stream"])
        XCTAssertEqual(tooLarge.status, 413)
        conform("/jobs", method: "POST", tooLarge)
        let bad = try h.request(URL(string: "/jobs", relativeTo: h.base)!.absoluteURL, method: "POST", body: Data("{}".utf8),
                                headers: ["Content-Type": "application/json"])
        XCTAssertEqual(bad.status, 400)
        let seriesUIDs = ((try h.json("/series") as? [[String: Any]]) ?? []).compactMap { $0["seriesInstanceUID"] as? String }.sorted()
        let body = try JSONSerialization.data(withJSONObject: ["series": seriesUIDs, "model": ServiceHarness.fixtureModel])
        let queued = try h.request(URL(string: "/jobs", relativeTo: h.base)!.absoluteURL, method: "POST", body: body,
                                   headers: ["Content-Type": "application/json"])
        XCTAssertEqual(queued.status, 202, String(decoding: queued.body, as: UTF8.self))
        conform("/jobs", method: "POST", queued)
    }
}
