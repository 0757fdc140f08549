import Foundation
import XCTest

/// The service with real parts: `segstation serve` (built binary), DCMTK's storescu/echoscu as the
/// modality, Debian's Orthanc as the PACS (checked through its REST API). Skips without Orthanc.
final class ServiceEndToEndTests: XCTestCase {
    var h: ServiceHarness!

    override func setUpWithError() throws {
        h = try ServiceHarness()
        try h.clearOrthanc()
    }

    override func tearDown() {
        h?.stop()
        h = nil
    }

    /// Waits until every job is done (or fails the test on a failed job); returns them.
    func waitForJobs(_ count: Int, seconds: Double = 120) throws -> [[String: Any]] {
        var jobs: [[String: Any]] = []
        try h.wait("\(count) job(s) done", seconds: seconds) {
            jobs = try h.jobs()
            if let failed = jobs.first(where: { $0["state"] as? String == "failed" }) { XCTFail("job failed: \(failed)") ; return true }
            return jobs.count == count && jobs.allSatisfy { $0["state"] as? String == "done" }
        }
        return jobs
    }

    /// A route's watershed split (options.split) reaches the job's segmentation: the run records it in its
    /// parameters, as `segment --split watershed` does.
    func testRouteSplitOptionReachesTheRecordedRun() throws {
        try h.writeConfig(routeOptions: ["split": "watershed", "minDistanceMM": 4, "neckDepthMM": 0.5])
        try h.start()
        XCTAssertEqual(try h.send([try h.phantom("study")]).status, 0)
        let jobs = try waitForJobs(1)
        let runID = try XCTUnwrap(jobs[0]["runID"] as? Int)
        let run = try XCTUnwrap(try h.json("/runs/\(runID)") as? [String: Any])
        let parameters = try XCTUnwrap((run["parametersJSON"] as? String).flatMap {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        })
        XCTAssertEqual(parameters["split"] as? String, "watershed (min distance 4.0 mm, neck depth 0.5 mm)")
        XCTAssertTrue((jobs[0]["optionsJSON"] as? String)?.contains("\"split\":\"watershed\"") == true, "\(jobs[0])")
    }

    func testEndToEndPhantomFLAIRAndT1cGiveSEGAndSRInOrthanc() throws {
        try h.writeConfig()
        try h.start()
        let study = try h.phantom("study")
        let sent = try h.send([study])
        XCTAssertEqual(sent.status, 0, sent.err)
        let jobs = try waitForJobs(1)
        let runID = try XCTUnwrap(jobs[0]["runID"] as? Int)
        let seg = try h.orthancInstances(modality: "SEG"), sr = try h.orthancInstances(modality: "SR")
        XCTAssertEqual(seg.count, 1)
        XCTAssertEqual(sr.count, 1)
        // The route asks for an RT Structure Set (options.rtstruct): it goes to the PACS too.
        let rt = try h.orthancInstances(modality: "RTSTRUCT")
        XCTAssertEqual(rt.count, 1)
        let rtTags = try XCTUnwrap(try h.orthancGet("instances/\(rt[0])/tags?simplify") as? [String: Any])
        XCTAssertEqual(rtTags["SOPClassUID"] as? String, "1.2.840.10008.5.1.4.1.1.481.3")
        XCTAssertEqual(try h.get("/runs/\(runID)/rt.dcm").status, 200)
        // The SEG references the FLAIR series it was made from, and Orthanc parsed it.
        let segTags = try XCTUnwrap(try h.orthancGet("instances/\(seg[0])/tags?simplify") as? [String: Any])
        let referenced = (segTags["ReferencedSeriesSequence"] as? [[String: Any]])?.first?["SeriesInstanceUID"] as? String
        let flairUID = (try h.json("/series") as? [[String: Any]])?.first { ($0["seriesDescription"] as? String)?.hasPrefix("FLAIR") == true }?["seriesInstanceUID"] as? String
        XCTAssertNotNil(flairUID)
        XCTAssertEqual(referenced, flairUID)
        XCTAssertEqual(segTags["SOPClassUID"] as? String, "1.2.840.10008.5.1.4.1.1.66.4")
        let file = try h.request(h.orthanc.appendingPathComponent("instances/\(seg[0])/file"), auth: false)
        XCTAssertEqual(file.status, 200)
        XCTAssertEqual(file.body.subdata(in: 128..<132), Data("DICM".utf8), "readable Part 10 file")
        // The run over HTTP: lesions, and the report downloads.
        let run = try XCTUnwrap(try h.json("/runs/\(runID)") as? [String: Any])
        XCTAssertFalse(((run["lesions"] as? [Any]) ?? []).isEmpty)
        let report = try h.get("/runs/\(runID)/report.html")
        XCTAssertEqual(report.status, 200)
        XCTAssertTrue(report.contentType.hasPrefix("text/html"))
        XCTAssertEqual(try h.get("/runs/\(runID)/report.pdf").body.prefix(4), Data("%PDF".utf8))
        XCTAssertEqual(try h.get("/runs/\(runID)/seg.dcm").status, 200)
        // Sending the same study again stores nothing twice and queues no second job.
        XCTAssertEqual(try h.send([study]).status, 0)
        Thread.sleep(forTimeInterval: 2.5)
        XCTAssertEqual(try h.jobs().count, 1)
        let metrics = String(decoding: try h.get("/metrics").body, as: UTF8.self)
        XCTAssertTrue(metrics.contains("segstation_received_duplicates_total 20"), metrics)
        XCTAssertTrue(metrics.contains("segstation_jobs{state=\"done\"} 1"), metrics)
    }

    /// kill -9 at the two crash points that matter, then restart: one job, done once, one SEG in Orthanc.
    func testKilledDuringJobCompletesOnceAfterRestart() throws {
        for point in ["job-inference", "job-segmented", "job-sent"] {
            try h.clearOrthanc()
            try? FileManager.default.removeItem(at: h.scratch.appendingPathComponent("storage"))
            try? FileManager.default.removeItem(at: h.scratch.appendingPathComponent("studies.sqlite"))
            try h.writeConfig()
            try h.start(environment: ["SEGSTATION_KILL_AT": point])
            XCTAssertEqual(try h.send([try h.phantom("kill-\(point)")]).status, 0)
            XCTAssertTrue(h.waitForExit(seconds: 60), "serve reached \(point) and killed itself")
            h.stop()
            try h.start()
            let jobs = try waitForJobs(1)
            XCTAssertEqual(jobs[0]["attempts"] as? Int, 2, point)
            XCTAssertEqual(try h.orthancInstances(modality: "SEG").count, 1, "exactly one SEG after a kill at \(point)")
            XCTAssertEqual(try h.orthancInstances(modality: "SR").count, 1, point)
            h.stop()
        }
    }

    func testDestinationDownThenUpIsRetriedAndDelivered() throws {
        guard let folder = ProcessInfo.processInfo.environment["SEGSTATION_TEST_ORTHANC_FOLDER"] else {
            throw XCTSkip("SEGSTATION_TEST_ORTHANC_FOLDER is not set: this test stops and restarts Orthanc through Scripts/ci/orthanc.sh")
        }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Scripts/ci/orthanc.sh").standardizedFileURL.path
        try h.writeConfig()
        try h.start()
        let start = [script, "start", folder, String(h.orthanc.port!), String(h.orthancDICOMPort)]
        XCTAssertEqual(try h.run([script, "stop", folder], tool: "/bin/bash").status, 0)
        var restarted = false
        defer { if !restarted { _ = try? h.run(start, tool: "/bin/bash") } }
        XCTAssertEqual(try h.send([try h.phantom("down")]).status, 0)
        var seen: [[String: Any]] = []
        try h.wait("a delivery retry", seconds: 60) {
            seen = try h.jobs()
            return seen.first.map { $0["state"] as? String == "queued" && ($0["errorMessage"] as? String)?.contains("pacs") == true } ?? false
        }
        _ = seen
        let up = try h.run(start, tool: "/bin/bash")
        restarted = true
        XCTAssertEqual(up.status, 0, up.err)
        let jobs = try waitForJobs(1, seconds: 90)
        XCTAssertGreaterThanOrEqual(jobs[0]["attempts"] as? Int ?? 0, 2)
        XCTAssertEqual(try h.orthancInstances(modality: "SEG").count, 1)
    }

    func testRefusedCallerAndBadInstanceMidSeries() throws {
        try h.writeConfig()
        try h.start()
        let echo = try h.run(["-aet", "INTRUDER", "-aec", "SEGSTATION", "127.0.0.1", String(ServiceHarness.dicomPort)], tool: "/usr/bin/echoscu")
        XCTAssertNotEqual(echo.status, 0, "an AE not on dicom.allowedCallers is refused")
        XCTAssertTrue((echo.out + echo.err).contains("Calling AE Title Not Recognized"), echo.out + echo.err)
        XCTAssertEqual(try h.run(["-aet", "STORESCU", "-aec", "SEGSTATION", "127.0.0.1", String(ServiceHarness.dicomPort)], tool: "/usr/bin/echoscu").status, 0)
        // A malformed instance (Rows larger than its pixel data, new SOP Instance UID) in the middle of FLAIR.
        let study = try h.phantom("bad")
        let flair = study.appendingPathComponent("FLAIR")
        let slices = try FileManager.default.contentsOfDirectory(atPath: flair.path).sorted()
        let bad = flair.appendingPathComponent("zz-bad.dcm")
        try FileManager.default.copyItem(at: flair.appendingPathComponent(slices[slices.count / 2]), to: bad)
        XCTAssertEqual(try h.run(["-nb", "-gin", "-m", "(0028,0010)=512", bad.path], tool: "/usr/bin/dcmodify").status, 0)
        let sent = try h.send([study], verbose: true)
        XCTAssertEqual(sent.status, 0, "storescu -nh goes on after a failure status")
        XCTAssertTrue((sent.out + sent.err).contains("Received Store Response (Error: DataSetDoesNotMatchSOPClass)"), sent.out + sent.err)
        XCTAssertTrue(String(decoding: try h.get("/metrics").body, as: UTF8.self).contains("segstation_refused_instances_total 1"))
        let jobs = try waitForJobs(1)
        XCTAssertNotNil(jobs[0]["runID"] as? Int)
        let series = (try h.json("/series") as? [[String: Any]]) ?? []
        XCTAssertEqual(series.map { $0["instanceCount"] as? Int ?? 0 }.reduce(0, +), 20, "all but the malformed instance stored")
        XCTAssertEqual(try h.orthancInstances(modality: "SEG").count, 1)
    }

    func testFourConcurrentSendersTenStudies() throws {
        let h: ServiceHarness = self.h
        try h.writeConfig(stableSeconds: 1.5, workers: 2)
        try h.start()
        let studies = try (0..<10).map { try h.phantom("c\($0)", size: "16,16,6") }
        let group = DispatchGroup()
        let failures = LockedCount()
        for sender in 0..<4 {
            let mine = studies.enumerated().filter { $0.offset % 4 == sender }.map(\.element)
            DispatchQueue.global().async(group: group) {
                for study in mine where (try? h.send([study]).status) != 0 { failures.add() }
            }
        }
        group.wait()
        XCTAssertEqual(failures.value, 0)
        let jobs = try waitForJobs(10, seconds: 240)
        XCTAssertEqual(Set(jobs.compactMap { $0["runID"] as? Int }).count, 10, "ten runs, none done twice")
        XCTAssertEqual(try h.orthancInstances(modality: "SEG").count, 10)
    }
}

final class LockedCount: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
