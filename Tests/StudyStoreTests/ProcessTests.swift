import Foundation
import XCTest
@testable import StudyStore

/// Many processes on one database file, and processes killed mid-run, using the built
/// `segstation` binary: its query commands and the hidden `debug-store-write` helper (which records
/// runs through the same API as `segment`). Set SEGSTATION_BIN to test another binary.
final class ProcessTests: XCTestCase {
    var folder: URL!
    override func setUpWithError() throws { folder = try Fixture.temporaryFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// The `segstation` executable built beside the test bundle.
    func binary() throws -> URL {
        if let env = ProcessInfo.processInfo.environment["SEGSTATION_BIN"] { return URL(fileURLWithPath: env) }
        let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]), Bundle.main.bundleURL, Bundle(for: Self.self).bundleURL]
            .map { $0.deletingLastPathComponent().appendingPathComponent("segstation") }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("segstation binary not found beside the tests (\(candidates.map(\.path))): run `swift build` first or set SEGSTATION_BIN")
        }
        return found
    }

    struct Outcome { var status: Int32; var stdout: String; var stderr: String; var arguments: [String] }

    /// Starts `segstation arguments` with output captured in files (no pipe can fill up).
    func launch(_ arguments: [String]) throws -> (Process, () throws -> Outcome) {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        let out = folder.appendingPathComponent("\(UUID().uuidString).out"), err = folder.appendingPathComponent("\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        return (process, {
            process.waitUntilExit()
            return Outcome(status: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
                           stderr: try String(contentsOf: err, encoding: .utf8), arguments: arguments)
        })
    }

    func run(_ arguments: [String]) throws -> Outcome {
        let (_, wait) = try launch(arguments)
        return try wait()
    }

    /// 4 writer and 4 reader processes at once on a database none of them has created yet.
    func testEightConcurrentProcessesNeverSeeLockedDatabase() throws {
        let db = folder.appendingPathComponent("shared.sqlite").path
        let runsPerWriter = 10, lesionsPerRun = 200
        let failures = ErrorBox()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            do {
                var commands: [[String]] = []
                if worker < 4 {
                    // Writers 0,1 share patient A and study 1; writers 2,3 patient B and study 2.
                    let pair = worker / 2
                    commands = [["debug-store-write", "--db", db, "--patient", "P-\(pair)", "--study", "9.\(pair)",
                                 "--series", "9.\(pair).\(worker)", "--runs", "\(runsPerWriter)", "--lesions", "\(lesionsPerRun)"]]
                } else {
                    let queries = [["lesions", "--json", "--min-volume-ml", "1"], ["runs", "--csv"], ["studies"],
                                   ["lesions", "--patient", "P-0", "--csv"], ["history", "--patient", "P-1", "--json"]]
                    commands = (0..<10).map { queries[($0 + worker) % queries.count] + ["--db", db] }
                }
                for command in commands {
                    var outcome = try run(command)
                    // A query may start before any writer created the file or its patient: that is a
                    // clean "not found" (exit 1 with a message), never a lock error. Retry those.
                    let deadline = Date().addingTimeInterval(60)
                    while worker >= 4, outcome.status != 0, Date() < deadline,
                          outcome.stderr.contains("no study database") || outcome.stderr.contains("no patient") {
                        usleep(20_000)
                        outcome = try run(command)
                    }
                    if outcome.status != 0 || outcome.stderr.lowercased().contains("locked") {
                        failures.append("\(command): exit \(outcome.status): \(outcome.stderr)")
                    }
                }
            } catch {
                failures.append("worker \(worker): \(error)")
            }
        }
        XCTAssertEqual(failures.items, [])
        let store = try StudyStore(path: db, createIfMissing: false)
        XCTAssertEqual(try store.integrityCheck(), ["ok"])
        XCTAssertEqual(try store.runs(RunFilter(status: .completed)).count, 4 * runsPerWriter)
        XCTAssertEqual(try Fixture.count(store, "lesion"), 4 * runsPerWriter * lesionsPerRun)
        XCTAssertEqual(try Fixture.count(store, "patient"), 2)
        XCTAssertEqual(try Fixture.count(store, "study"), 2)
        XCTAssertEqual(try Fixture.count(store, "series"), 4)
    }

    /// SIGKILL at random moments of writing runs: the file stays sound, no half run reads as
    /// completed, killed runs read as incomplete, and the next writer succeeds.
    func testKilledWritersLeaveConsistentDatabase() throws {
        let db = folder.appendingPathComponent("killed.sqlite").path
        let lesionsPerRun = 2000
        var generator = SystemRandomNumberGenerator()
        var killedMidRun = 0
        for trial in 0..<20 {
            let (process, wait) = try launch(["debug-store-write", "--db", db, "--series", "7.\(trial)", "--study", "7",
                                              "--runs", "3", "--lesions", "\(lesionsPerRun)", "--hold-seconds", "0.05"])
            usleep(UInt32.random(in: 0...600_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            _ = try wait()
            let store = try StudyStore(path: db)
            XCTAssertEqual(try store.integrityCheck(), ["ok"], "trial \(trial)")
            for run in try store.runs() {
                switch run.status {
                case .completed: XCTAssertEqual(run.lesionCount, lesionsPerRun, "trial \(trial) run \(run.runID)")
                case .incomplete: XCTAssertEqual(run.lesionCount, 0, "trial \(trial) run \(run.runID)")
                default: XCTFail("trial \(trial): run \(run.runID) is \(run.status) after its process was killed")
                }
            }
            killedMidRun = try store.runs(RunFilter(status: .incomplete)).count
        }
        XCTAssertGreaterThan(killedMidRun, 0, "no kill landed inside a run: the test did not test anything")
        let rerun = try run(["debug-store-write", "--db", db, "--series", "7.0", "--study", "7", "--lesions", "5"])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        let store = try StudyStore(path: db)
        XCTAssertEqual(try store.runs(RunFilter(status: .completed)).last?.lesionCount, 5)
        XCTAssertEqual(try store.integrityCheck(), ["ok"])
    }

    func testCLIOutputShapes() throws {
        let db = folder.appendingPathComponent("cli.sqlite").path
        XCTAssertEqual(try run(["debug-store-write", "--db", db, "--runs", "2", "--lesions", "3"]).stdout, "1\n2\n")
        let csv = try run(["lesions", "--db", db, "--csv", "--min-volume-ml", "0.02"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let lines = csv.stdout.split(separator: "\n")
        XCTAssertEqual(lines.first.map(String.init), LesionRow.columns.joined(separator: ","))
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
        let table = try run(["studies", "--db", db])
        XCTAssertTrue(table.stdout.hasPrefix("patientID"), table.stdout)
    }
}
