import Foundation
import XCTest
import TestSupport
@testable import StudyStore

/// SIGKILL harness: real `segstation segment` runs (phantom DICOM study, fixture threshold model,
/// default output layout `Reports/<study>/run-<id>` under a scratch working directory) killed at
/// random moments spread over a full run's duration.
///
/// After every kill: `PRAGMA integrity_check` is ok; every run reads completed or incomplete; a
/// completed run has its lesions and all six artefacts (mask, SEG, SR, HTML/PDF/JSON report) on disk
/// with the recorded SHA-256; an incomplete run has no lesion, label or artefact rows; every file
/// under Reports/ is a whole artefact (parses / passes dcmdump / gzip -t) or an AtomicFile
/// temporary (`.<8 hex>.partial.<name>`, hidden). The design (docs/DATABASE.md, "Crashes"): such
/// temporaries of a killed run are removed by the next `segment` of the same study. After the last
/// kill, a re-run succeeds and no temporary remains anywhere.
///
/// The schedule is seeded (SEGSTATION_KILL_SEED replays one) and printed with the kill times.
final class KilledSegmentTests: ProcessTestCase {
    func testSegmentKilledAtRandomMomentsLeavesConsistentStoreAndNoPartialFiles() throws {
        let inputs = try cli.phantom(in: folder.appendingPathComponent("study"))
        let work = folder.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let db = work.appendingPathComponent("killed.sqlite").path
        let reports = work.appendingPathComponent("Reports")
        let arguments = ["segment"] + inputs + ["--model", CLIRunner.fixtureModel, "--db", db]

        // A full run's duration, process start to exit: the median of three runs (the first creates the
        // database and runs cold, so it is often the slowest), and when artefacts start to be written
        // (the earliest modification time of a run's artefacts, median over the runs).
        var durations: [Double] = [], writeStarts: [Double] = []
        for _ in 0..<3 {
            let start = Date()
            let reference = try cli.run(arguments + ["--json"], in: work)
            durations.append(Date().timeIntervalSince(start))
            XCTAssertEqual(reference.status, 0, reference.stderr)
            let summary = try JSONSerialization.jsonObject(with: Data(reference.stdout.utf8)) as? [String: Any]
            let artefacts = (summary?["artefacts"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
            XCTAssertEqual(artefacts.count, RunOutputCheck.completedKinds.count, reference.stdout)
            let written = try artefacts.map { path -> Double in
                let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : work.appendingPathComponent(path)
                let modified = try FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date
                return modified.map { $0.timeIntervalSince(start) } ?? .infinity
            }
            writeStarts.append(written.min() ?? .infinity)
        }
        let duration = durations.sorted()[1]
        let writeStart = min(writeStarts.sorted()[1], duration)

        // 20 kills stratified over the whole run, then 10 over the phase that writes artefacts.
        let trials = 20, writeTrials = 10
        let seed = ProcessInfo.processInfo.environment["SEGSTATION_KILL_SEED"].flatMap { UInt64($0) }
            ?? UInt64(Date().timeIntervalSince1970 * 1000)
        var random = SplitMix(seed: seed)
        print(String(format: "kill harness: seed %llu (SEGSTATION_KILL_SEED replays it), full run %.3f s (of %@), artefacts written from %.3f s",
                     seed, duration, durations.map { String(format: "%.3f", $0) }.joined(separator: ", "), writeStart))
        var outcomes: [String: Int] = [:]
        let cache = FileCache()
        var leftoverTemporaries = 0
        for trial in 0..<(trials + writeTrials) {
            // Stratified: trial t of n is killed at a uniform time in [t, t+1] / n of its span.
            let (from, span, t, n) = trial < trials ? (0, duration, trial, trials) : (writeStart, duration - writeStart, trial - trials, writeTrials)
            let killAfter = from + span * (Double(t) + Double.random(in: 0..<1, using: &random)) / Double(n)
            let runsBefore = try StudyStore(path: db, createIfMissing: false).runs().count
            let (process, wait) = try cli.launch(arguments, in: work)
            let launched = Date()
            let remaining = killAfter - Date().timeIntervalSince(launched)
            if remaining > 0 { usleep(useconds_t(remaining * 1_000_000)) }
            kill(process.processIdentifier, SIGKILL)
            let outcome = try wait()
            if !outcome.signalled { XCTAssertEqual(outcome.status, 0, "trial \(trial) finished before the kill but failed: \(outcome.stderr)") }

            let store = try StudyStore(path: db, createIfMissing: false)
            let runs = try store.runs()
            let check = try RunOutputCheck.runProblems(store, directory: work, cache: cache)
            XCTAssertEqual(check.problems, [], "trial \(trial), killed at \(killAfter) s")
            let files = RunOutputCheck.folderProblems(under: reports, cache: cache)
            XCTAssertEqual(files.problems, [], "trial \(trial), killed at \(killAfter) s")
            leftoverTemporaries += files.temporaries.count
            let state = !outcome.signalled ? "finished before the kill"
                : runs.count == runsBefore ? "killed before its run was recorded"
                : runs.last?.status == .completed ? "killed after completing" : "killed mid-run (incomplete)"
            outcomes[state, default: 0] += 1
            print(String(format: "  trial %2d: kill at %.3f s: %@; temporaries now: %@", trial, killAfter, state,
                         files.temporaries.isEmpty ? "none" : files.temporaries.joined(separator: ", ")))
        }
        print("kill harness outcomes: \(outcomes.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; ")); temporaries seen after kills: \(leftoverTemporaries)")
        XCTAssertGreaterThan(outcomes["killed mid-run (incomplete)", default: 0], 0, "no kill landed inside a run: the harness tested nothing")

        // The re-run succeeds and sweeps every temporary a killed run left in the study's run folders.
        // A kill rarely lands inside one file's write (milliseconds), so one such leftover is also
        // planted, as a kill inside SEGWriter would leave it, in a killed run's folder.
        let runFolders = try FileManager.default.contentsOfDirectory(at: reports, includingPropertiesForKeys: nil)
            .flatMap { try FileManager.default.contentsOfDirectory(at: $0, includingPropertiesForKeys: nil) }
        let killedRuns = Set(try StudyStore(path: db, createIfMissing: false).runs(RunFilter(status: .incomplete)).map { "run-\($0.runID)" })
        let killedFolder = try XCTUnwrap(runFolders.first { killedRuns.contains($0.lastPathComponent) } ?? runFolders.first)
        let planted = killedFolder.appendingPathComponent(".0badf00d.partial.seg.dcm")
        try Data("DICM truncated".utf8).write(to: planted)
        let rerun = try cli.run(arguments + ["--json"], in: work)
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        let store = try StudyStore(path: db, createIfMissing: false)
        let check = try RunOutputCheck.runProblems(store, directory: work)
        XCTAssertEqual(check.problems, [])
        XCTAssertEqual(try store.runs().last?.status, .completed)
        let files = RunOutputCheck.folderProblems(under: reports)
        XCTAssertEqual(files.problems, [])
        XCTAssertEqual(files.temporaries, [], "temporaries left after the re-run")
        // Owner-only files and folders, no patient identifier in any path (the phantom's patient is
        // PHANTOM-0001, "Phantom^Brain").
        XCTAssertEqual(RunOutputCheck.privacyProblems(under: reports, extraFiles: [db], identifiers: ["PHANTOM-0001", "Phantom"]), [])
    }

    /// The sweep spares a folder some live process holds (a shared flock, as a running `segment`
    /// holds its output folder): its temporaries stay until that process is gone.
    func testSweepSparesTemporariesOfALiveWriter() throws {
        let inputs = try cli.phantom(in: folder.appendingPathComponent("study"))
        let work = folder.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let arguments = ["segment"] + inputs + ["--model", CLIRunner.fixtureModel, "--db", work.appendingPathComponent("db.sqlite").path, "--json"]
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
