import Foundation
import XCTest
import TestSupport
@testable import StudyStore

/// Many `segstation` processes on one database file: real `segment` runs (phantom DICOM study, the
/// fixture threshold model) next to query commands. The SIGKILL harness is in `KilledSegmentTests`.
/// Set SEGSTATION_BIN to test another binary.
final class ConcurrentProcessTests: ProcessTestCase {
    func run(_ arguments: [String]) throws -> SegStationCLI.Outcome { try cli.run(arguments) }

    /// 8 processes at once on a database none of them has created yet: 4 run `segment` twice each
    /// (two studies of one patient, each process its own output folders), 4 run queries
    /// (`studies`, `runs`, `lesions`, `history`, `show`, table/CSV/JSON) until the writers are done.
    func testEightConcurrentSegmentAndQueryProcessesNeverSeeLockedDatabase() throws {
        let (cli, folder): (SegStationCLI, URL) = (self.cli, self.folder)
        let db = folder.appendingPathComponent("shared.sqlite").path
        let studies = try (0..<2).map { try cli.phantom(in: folder.appendingPathComponent("study-\($0)")) }
        let runsPerWriter = 2
        let failures = Locked([String]())
        let writersLeft = Locked(4)
        let queryCount = Locked(0)
        let started = Date()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            do {
                if worker < 4 {
                    defer { writersLeft.withLock { $0 -= 1 } }
                    for round in 0..<runsPerWriter {
                        let output = folder.appendingPathComponent("out-\(worker)-\(round)").path
                        let outcome = try cli.run(["segment"] + studies[(worker + round) % 2] + ["--model", SegStationCLI.fixtureModel, "--db", db, "-o", output, "--json"])
                        if outcome.status != 0 || outcome.stderr.lowercased().contains("locked") {
                            failures.withLock { $0.append("segment worker \(worker): exit \(outcome.status): \(outcome.stderr)") }
                        }
                    }
                    return
                }
                let queries = [["lesions", "--json", "--min-volume-ml", "1"], ["runs", "--csv"], ["studies"],
                               ["lesions", "--patient", "PHANTOM-0001", "--csv"], ["history", "--patient", "PHANTOM-0001", "--json"],
                               ["runs", "--json", "--patient", "PHANTOM-0001"], ["show", "1", "--json"], ["studies", "--json"]]
                var index = worker
                // At least 5 queries each, and keep querying while any writer is still at work.
                while index < worker + 5 || writersLeft.current > 0 {
                    let command = queries[index % queries.count] + ["--db", db]
                    index += 1
                    let outcome = try cli.run(command)
                    queryCount.withLock { $0 += 1 }
                    // A query may start before any writer created the file, its patient or run 1: that is
                    // a clean "not found" (exit 1 with a message), never a lock error.
                    let notYet = ["no study database", "no patient", "no segmentation run"].contains { outcome.stderr.contains($0) }
                    if (outcome.status != 0 && !notYet) || outcome.stderr.lowercased().contains("locked") {
                        failures.withLock { $0.append("\(command): exit \(outcome.status): \(outcome.stderr)") }
                    }
                }
            } catch {
                failures.withLock { $0.append("worker \(worker): \(error)") }
            }
        }
        print("8 processes: \(4 * runsPerWriter) segment runs and \(queryCount.current) queries in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        XCTAssertEqual(failures.current, [])
        let store = try StudyStore(path: db, createIfMissing: false)
        let check = try RunOutputCheck.runProblems(store, directory: folder)
        XCTAssertEqual(check.problems, [])
        XCTAssertEqual(check.completed, 4 * runsPerWriter)
        XCTAssertEqual(try RunOutputCheck.rowCount(store, "patient"), 1)
        XCTAssertEqual(try RunOutputCheck.rowCount(store, "study"), 2)
        XCTAssertEqual(try RunOutputCheck.rowCount(store, "series"), 2)
        XCTAssertEqual(RunOutputCheck.folderProblems(under: folder.appendingPathComponent("out-0-0")).problems, [])
    }

    func testCLIOutputShapes() throws {
        let db = folder.appendingPathComponent("cli.sqlite").path
        let testkit = SegStationCLI(program: "segstation-testkit")
        XCTAssertEqual(try testkit.run(["debug-store-write", "--db", db, "--runs", "2", "--lesions", "3"]).stdout, "1\n2\n")
        let csv = try run(["lesions", "--db", db, "--csv", "--min-volume-ml", "0.02"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let lines = csv.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first.map(String.init), "runID,patientID,studyInstanceUID,studyDate,seriesInstanceUID,frameOfReferenceUID,modelName,labelValue,label,lesionIndex,voxelCount,volumeML,meshVolumeML,surfaceAreaMM2,sphericity,maxDiameter3DMM,recistLongMM,recistShortMM,centroidXMM,centroidYMM,centroidZMM,bboxMinI,bboxMinJ,bboxMinK,bboxMaxI,bboxMaxJ,bboxMaxK,meanIntensity,stdIntensity,minIntensity,maxIntensity,medianIntensity,touchesBorder,extraJSON,detectionScoreMean,detectionScoreMax")
        XCTAssertEqual(lines.count, 1 + 4)
        let json = try run(["runs", "--db", db, "--json"])
        let runs = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(runs.map { $0["status"] as? String }, ["completed", "completed"])
        let show = try run(["show", "2", "--db", db, "--json"])
        let detail = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
        XCTAssertEqual((detail["lesions"] as? [Any])?.count, 3)
        XCTAssertEqual((detail["run"] as? [String: Any])?["runID"] as? Int, 2)
        let history = try run(["history", "--patient", "DEBUG-PATIENT", "--db", db, "--json"])
        XCTAssertEqual(history.status, 0, history.stderr)
        let missing = try run(["studies", "--db", folder.appendingPathComponent("absent.sqlite").path])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("no study database"), missing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("absent.sqlite").path))
        let badSize = try run(["sample", "-o", folder.appendingPathComponent("bad").path, "--size", "32,32"])
        XCTAssertNotEqual(badSize.status, 0)
        XCTAssertTrue(badSize.stderr.contains("--size must be I,J,K"), badSize.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("bad").path))
        let table = try run(["studies", "--db", db])
        XCTAssertTrue(table.stdout.hasPrefix("patientID"), table.stdout)
    }
}
