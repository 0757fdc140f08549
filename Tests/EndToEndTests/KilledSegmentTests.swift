import Foundation
import XCTest
import TestSupport
@testable import StudyStore

/// Crash harness: real `segstation segment` runs (phantom DICOM study, fixture threshold model,
/// default output layout `Reports/<study>/run-<id>` under a scratch working directory) stopped by
/// fault injection (`SEGSTATION_FAULT`, Sources/Pipeline/FaultInjection.swift) at every named point
/// of a run, on purpose and in order: after the run is recorded, after the first and second sliding
/// windows, after each artefact is written, and inside the transaction that completes the run.
///
/// After every kill: the process died of SIGKILL at that point; `PRAGMA integrity_check` is ok; every
/// run reads completed or incomplete; a completed run has its lesions and all six artefacts (mask,
/// SEG, SR, HTML/PDF/JSON report) on disk with the recorded SHA-256; an incomplete run has no lesion,
/// label or artefact rows; every file under Reports/ is a whole artefact (parses / passes dcmdump /
/// gzip -t) or an AtomicFile temporary (`.<8 hex>.partial.<name>`, hidden); the killed run's folder
/// holds exactly the artefacts written before the point. The design (docs/DATABASE.md, "Crashes"):
/// temporaries of a killed run are removed by the next `segment` of the same study. After the last
/// kill, a re-run succeeds and no temporary remains anywhere.
final class KilledSegmentTests: ProcessTestCase {
    /// The artefact files in the order `segment` writes them (the fault points `after-artefact-<file>`).
    static let artefactFiles = ["mask.nii.gz", "seg.dcm", "sr.dcm", "report.html", "report.pdf", "report.json", "segmentation.json"]

    func testSegmentKilledAtEveryFaultPointLeavesConsistentStoreAndNoPartialFiles() throws {
        let inputs = try cli.phantom(in: folder.appendingPathComponent("study"))
        let work = folder.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let db = work.appendingPathComponent("killed.sqlite").path
        let reports = work.appendingPathComponent("Reports")
        let arguments = ["segment"] + inputs + ["--model", SegStationCLI.fixtureModel, "--db", db]

        // One whole run first: the kills must leave its rows and files intact, and its artefacts name
        // the fault points (a new artefact must get a point here).
        let reference = try cli.run(arguments + ["--json"], in: work)
        XCTAssertEqual(reference.status, 0, reference.stderr)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(reference.stdout.utf8)) as? [String: Any])
        let written = (summary["artefacts"] as? [[String: Any]] ?? []).compactMap { ($0["path"] as? String).map { URL(fileURLWithPath: $0).lastPathComponent } }
        XCTAssertEqual(written + ["segmentation.json"], Self.artefactFiles, reference.stdout)

        // Killed at windows 1 and 2 proves the run has at least two windows: window 1 is mid-inference.
        let points = ["after-begin-run", "after-window-1", "after-window-2"]
            + Self.artefactFiles.map { "after-artefact-\($0)" } + ["in-final-transaction"]
        let cache = FileCache()
        for point in points {
            let runsBefore = try StudyStore(path: db, createIfMissing: false).runs().count
            let outcome = try cli.run(arguments, in: work, environment: ["SEGSTATION_FAULT": point])
            XCTAssertTrue(outcome.signalled && outcome.status == SIGKILL, "\(point): not killed (exit \(outcome.status)): \(outcome.stderr)")

            let store = try StudyStore(path: db, createIfMissing: false)
            let runs = try store.runs()
            XCTAssertEqual(runs.count, runsBefore + 1, "\(point): the killed run is not recorded")
            let killed = try XCTUnwrap(runs.last)
            XCTAssertEqual(killed.status, .incomplete, "\(point)")
            let check = try RunOutputCheck.runProblems(store, directory: work, cache: cache)
            XCTAssertEqual(check.problems, [], point)
            XCTAssertEqual(check.completed, 1, "\(point): only the reference run is completed")
            let files = RunOutputCheck.folderProblems(under: reports, cache: cache)
            XCTAssertEqual(files.problems, [], point)
            // Exactly the artefacts written before the point are in the killed run's folder, whole.
            XCTAssertEqual(Self.files(ofRun: killed.runID, under: reports), Self.filesWritten(before: point), point)
            print("  killed at \(point): run \(killed.runID) incomplete; temporaries: \(files.temporaries.isEmpty ? "none" : files.temporaries.joined(separator: ", "))")
        }

        // The re-run succeeds and sweeps every temporary a killed run left in the study's run folders.
        // The fault points lie between files, so one leftover is planted, as a kill inside SEGWriter
        // would leave it, in a killed run's folder.
        let runFolders = try FileManager.default.contentsOfDirectory(at: reports, includingPropertiesForKeys: nil)
            .flatMap { try FileManager.default.contentsOfDirectory(at: $0, includingPropertiesForKeys: nil) }
        let killedRuns = Set(try StudyStore(path: db, createIfMissing: false).runs(RunFilter(status: .incomplete)).map { "run-\($0.runID)" })
        let killedFolder = try XCTUnwrap(runFolders.first { killedRuns.contains($0.lastPathComponent) })
        let planted = killedFolder.appendingPathComponent(".0badf00d.partial.seg.dcm")
        try Data("DICM truncated".utf8).write(to: planted)
        XCTAssertEqual(RunOutputCheck.folderProblems(under: reports).temporaries.count, 1)
        let rerun = try cli.run(arguments + ["--json"], in: work)
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        let store = try StudyStore(path: db, createIfMissing: false)
        let check = try RunOutputCheck.runProblems(store, directory: work)
        XCTAssertEqual(check.problems, [])
        XCTAssertEqual(check.completed, 2)
        XCTAssertEqual(check.incomplete, points.count)
        XCTAssertEqual(try store.runs().last?.status, .completed)
        let files = RunOutputCheck.folderProblems(under: reports)
        XCTAssertEqual(files.problems, [])
        XCTAssertEqual(files.temporaries, [], "temporaries left after the re-run")
        // Owner-only files and folders, no patient identifier in any path (the phantom's patient is
        // PHANTOM-0001, "Phantom^Brain").
        XCTAssertEqual(RunOutputCheck.privacyProblems(under: reports, extraFiles: [db], identifiers: ["PHANTOM-0001", "Phantom"]), [])
    }

    /// A run held inside its final transaction (`:wait` on a named pipe) is invisible to readers: the
    /// run reads `running` with no lesion, label or artefact rows, and readers are not blocked. Once
    /// released, the same process commits and the run is complete.
    func testFinalTransactionIsInvisibleUntilItCommits() throws {
        let inputs = try cli.phantom(in: folder.appendingPathComponent("study"))
        let work = folder.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let db = work.appendingPathComponent("held.sqlite").path
        let fifo = folder.appendingPathComponent("release.fifo").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let process = try cli.launch(["segment"] + inputs + ["--model", SegStationCLI.fixtureModel, "--db", db, "--json"], in: work,
                                     environment: ["SEGSTATION_FAULT": "in-final-transaction:wait=\(fifo)"])
        // Opening the pipe for writing succeeds once the process has opened it at the fault point.
        var writer: Int32 = -1
        let deadline = Date().addingTimeInterval(600)
        while writer < 0 && process.isRunning && Date() < deadline {
            writer = open(fifo, O_WRONLY | O_NONBLOCK)
            if writer < 0 { usleep(20_000) }
        }
        guard writer >= 0 else {
            let outcome = process.wait(timeoutSeconds: 1)
            return XCTFail("segment never reached in-final-transaction (exit \(outcome.status)): \(outcome.stderr)")
        }
        let store = try StudyStore(path: db, createIfMissing: false)
        let run = try XCTUnwrap(try store.runs().last)
        XCTAssertEqual(run.status, .running)
        let detail = try store.show(run.runID)
        XCTAssertEqual([detail.lesions.count, detail.labels.count, detail.artefacts.count], [0, 0, 0])
        close(writer)
        let outcome = process.wait(timeoutSeconds: 600)
        XCTAssertEqual(outcome.status, 0, outcome.stderr)
        XCTAssertEqual(try store.runs().last?.status, .completed)
        let check = try RunOutputCheck.runProblems(store, directory: work)
        XCTAssertEqual(check.problems, [])
        XCTAssertEqual(check.completed, 1)
    }

    /// The artefact files on disk when `segment` reaches `point`, sorted: those up to the point's own
    /// file; the three reports are written together (one ReportWriter call) before any is recorded.
    static func filesWritten(before point: String) -> [String] {
        if point == "in-final-transaction" { return artefactFiles.sorted() }
        guard point.hasPrefix("after-artefact-"), let last = artefactFiles.firstIndex(of: String(point.dropFirst("after-artefact-".count))) else { return [] }
        let reports = artefactFiles.filter { $0.hasPrefix("report.") }
        let written = Set(artefactFiles[...last]).union(reports.contains(artefactFiles[last]) ? reports : [])
        return written.sorted()
    }

    /// The files in the folder of run `runID` (Reports/<study>/run-<id>), or [] without such a folder.
    static func files(ofRun runID: RunID, under reports: URL) -> [String] {
        let studies = (try? FileManager.default.contentsOfDirectory(at: reports, includingPropertiesForKeys: nil)) ?? []
        guard let runFolder = studies.map({ $0.appendingPathComponent("run-\(runID)") })
            .first(where: { FileManager.default.fileExists(atPath: $0.path) }) else { return [] }
        return RunOutputCheck.files(under: runFolder).filter { !RunOutputCheck.isTemporaryName($0) }
    }

    /// The sweep spares a folder some live process holds (a shared flock, as a running `segment`
    /// holds its output folder): its temporaries stay until that process is gone.
    func testSweepSparesTemporariesOfALiveWriter() throws {
        let inputs = try cli.phantom(in: folder.appendingPathComponent("study"))
        let work = folder.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let arguments = ["segment"] + inputs + ["--model", SegStationCLI.fixtureModel, "--db", work.appendingPathComponent("db.sqlite").path, "--json"]
        let first = try cli.run(arguments, in: work)
        XCTAssertEqual(first.status, 0, first.stderr)
        let summary = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
        let runFolder = URL(fileURLWithPath: try XCTUnwrap(summary["outputFolder"] as? String), relativeTo: work)
        let temporary = runFolder.appendingPathComponent(".0badf00d.partial.mask.nii.gz")
        try Data("partial".utf8).write(to: temporary)

        let holder = open(runFolder.path, O_RDONLY | O_DIRECTORY)
        XCTAssertGreaterThanOrEqual(holder, 0)
        XCTAssertEqual(flock(holder, LOCK_SH), 0)
        let second = try cli.run(arguments, in: work)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: temporary.path), "the sweep removed a live writer's temporary")
        close(holder)
        let third = try cli.run(arguments, in: work)
        XCTAssertEqual(third.status, 0, third.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: temporary.path), "the sweep left a dead writer's temporary")
    }
}
