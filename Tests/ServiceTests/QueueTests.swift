import Logging
import XCTest
import Pipeline
@testable import Service
@testable import StudyStore

/// The persistent job queue and the series router, on a real (file) study database.
final class QueueTests: XCTestCase {
    var folder: URL!
    var store: StudyStore!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("queue-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try StudyStore(path: folder.appendingPathComponent("db.sqlite").path)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func spec(_ key: String?) -> JobSpec {
        JobSpec(source: "dicom", route: "brain", model: "m", inputs: [JobInput(path: "/x", seriesInstanceUID: "1.2")], dedupKey: key)
    }

    /// A real run row for the job to point at (job.runID is a foreign key).
    func makeRun() throws -> Int64 {
        try store.beginRun(RunStart(
            patient: PatientInfo(patientID: "P"), study: StudyInfo(studyInstanceUID: "1.9"),
            series: SeriesInfo(seriesInstanceUID: "1.9.1", modality: "MR"),
            model: ModelInfo(name: "m", version: "1", sha256: String(repeating: "0", count: 64)),
            inputFingerprint: "f", segstationVersion: "t"))
    }

    func testLifecycleQueuedRunningDone() throws {
        let (id, created) = try store.enqueueJob(spec("a"))
        XCTAssertTrue(created)
        XCTAssertEqual(try store.enqueueJob(spec("a")).id, id, "same key, same job")
        XCTAssertFalse(try store.enqueueJob(spec("a")).created)
        let job = try XCTUnwrap(try store.claimJob(worker: "w0"))
        XCTAssertEqual(job.id, id)
        XCTAssertEqual(job.state, .running)
        XCTAssertEqual(job.attempts, 1)
        XCTAssertNil(try store.claimJob(worker: "w1"), "a running job is not taken twice")
        let run = try makeRun()
        try store.setJobRun(id, runID: run)
        try store.markDelivered(id, destination: "pacs")
        try store.markDelivered(id, destination: "pacs")
        try store.finishJob(id)
        let done = try XCTUnwrap(try store.job(id))
        XCTAssertEqual(done.state, .done)
        XCTAssertEqual(done.delivered, ["pacs"])
        XCTAssertEqual(done.runID, run)
        XCTAssertEqual(try store.jobCounts()[.done], 1)
    }

    func testRunningJobsOfAStoppedProcessAreRequeuedAndKeepTheirRun() throws {
        let (id, _) = try store.enqueueJob(spec(nil))
        _ = try store.claimJob(worker: "w0")
        let run = try makeRun()
        try store.setJobRun(id, runID: run)
        // A new process opens the same database (the old one was killed).
        let reopened = try StudyStore(path: folder.appendingPathComponent("db.sqlite").path)
        XCTAssertEqual(try reopened.requeueAbandonedJobs(), 1)
        let again = try XCTUnwrap(try reopened.claimJob(worker: "w0"))
        XCTAssertEqual(again.id, id)
        XCTAssertEqual(again.runID, run, "the recorded run is delivered, not segmented again")
        XCTAssertEqual(again.attempts, 2)
    }

    func testTransientFailureWaitsForItsBackoff() throws {
        let (id, _) = try store.enqueueJob(spec(nil))
        let now = Date()
        _ = try store.claimJob(worker: "w0", now: now)
        try store.retryJobLater(id, reason: "destination 'pacs' down", notBefore: now.addingTimeInterval(8))
        XCTAssertNil(try store.claimJob(worker: "w0", now: now.addingTimeInterval(7)))
        XCTAssertEqual(try store.claimJob(worker: "w0", now: now.addingTimeInterval(9))?.id, id)
        XCTAssertEqual(JobWorker.backoff(attempt: 1), 2)
        XCTAssertEqual(JobWorker.backoff(attempt: 3), 8)
        XCTAssertEqual(JobWorker.backoff(attempt: 50), 300, "capped at 5 minutes")
    }

    func testRetryAndCancelTransitions() throws {
        let (id, _) = try store.enqueueJob(spec(nil))
        XCTAssertThrowsError(try store.retryJob(id)) { XCTAssertTrue("\($0)".contains("is queued; expected cancelled or failed"), "\($0)") }
        try store.cancelJob(id)
        XCTAssertNil(try store.claimJob(worker: "w0"), "a cancelled job is not taken")
        try store.retryJob(id)
        _ = try store.claimJob(worker: "w0")
        try store.cancelJob(id)
        try store.finishJob(id)
        XCTAssertEqual(try store.job(id)?.state, .cancelled, "a job cancelled while running is not marked done")
        XCTAssertThrowsError(try store.cancelJob(999)) { XCTAssertEqual($0 as? StoreError, .jobNotFound(999)) }
        _ = try store.claimJob(worker: "w0")
        try store.retryJob(id)
        let job = try XCTUnwrap(try store.claimJob(worker: "w0"))
        try store.finishJob(job.id, failure: "model error")
        XCTAssertEqual(try store.job(id)?.errorMessage, "model error")
        XCTAssertEqual(try store.job(id)?.state, .failed)
    }

    func instance(_ sop: String, series: String, study: String = "1.9", description: String, at date: Date) throws {
        _ = try store.recordReceivedInstance(ReceivedInstance(
            sopInstanceUID: sop, sopClassUID: "1.2.840.10008.5.1.4.1.1.4", studyInstanceUID: study, seriesInstanceUID: series,
            modality: "MR", seriesDescription: description, bodyPartExamined: "BRAIN", imageType: "ORIGINAL\\PRIMARY",
            folder: "/s/\(series)", path: "/s/\(series)/\(sop).dcm", bytes: 10), now: date)
    }

    func testRouterWaitsForChannelsAndListsUnmatchedSeries() throws {
        let route = Route(name: "brain", match: SeriesMatch(modality: "MR", seriesDescription: "FLAIR"),
                          channels: [SeriesMatch(seriesDescription: "T1c")], model: "m", destinations: ["pacs"])
        let router = SeriesRouter(store: store, routes: [route], stableSeconds: 5, logger: Logger(label: "test"))
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        for k in 0..<3 { try instance("1.1.\(k)", series: "1.1", description: "Ax FLAIR", at: t0) }
        try instance("1.3.0", series: "1.3", description: "localizer", at: t0)
        XCTAssertEqual(try router.tick(now: t0.addingTimeInterval(2)), [], "nothing is stable yet")
        XCTAssertEqual(try router.tick(now: t0.addingTimeInterval(6)), [], "FLAIR waits for T1c")
        let states = Dictionary(uniqueKeysWithValues: try store.receivedSeries().map { ($0.seriesInstanceUID, $0.state) })
        XCTAssertEqual(states["1.1"], .waiting)
        XCTAssertEqual(states["1.3"], .unmatched, "no route: stored and listed, not segmented")
        for k in 0..<3 { try instance("1.2.\(k)", series: "1.2", description: "T1c post", at: t0.addingTimeInterval(6)) }
        XCTAssertEqual(try router.tick(now: t0.addingTimeInterval(8)), [], "T1c is not stable yet")
        let queued = try router.tick(now: t0.addingTimeInterval(12))
        XCTAssertEqual(queued.count, 1)
        let job = try XCTUnwrap(try store.job(queued[0]))
        XCTAssertEqual(job.inputs.map(\.seriesInstanceUID), ["1.1", "1.2"], "channels in the model's order")
        XCTAssertEqual(job.destinations, ["pacs"])
        XCTAssertEqual(try router.tick(now: t0.addingTimeInterval(20)), [], "routed once")
        // The same instances again (a resend) change nothing; a new instance makes a new job.
        try instance("1.1.0", series: "1.1", description: "Ax FLAIR", at: t0.addingTimeInterval(21))
        XCTAssertEqual(try router.tick(now: t0.addingTimeInterval(30)), [])
        try instance("1.1.9", series: "1.1", description: "Ax FLAIR", at: t0.addingTimeInterval(31))
        XCTAssertEqual(try router.tick(now: t0.addingTimeInterval(40)).count, 1)
    }
}
