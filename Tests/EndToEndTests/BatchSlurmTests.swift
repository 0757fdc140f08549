import XCTest
import TestSupport

/// A 4-task Slurm job array (Scripts/slurm/segstation-batch.sbatch) segments 8 small cases into one
/// PostgreSQL database, on the one-node cluster Scripts/ci/slurm.sh starts (Scripts/test.sh starts it
/// and the PostgreSQL server). Skipped, with the reason, when either is not running.
final class BatchSlurmTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try TestData.temporaryDirectory("batch-slurm")
        // Slurm runs the tasks as this user from another process tree: they must read the folder.
        chmod(folder.path, 0o755)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    var environment: [String: String] { ProcessInfo.processInfo.environment }

    @discardableResult
    func run(_ executable: String, _ arguments: [String], environment extra: [String: String] = [:]) throws -> ProcessRunner.Outcome {
        try ProcessRunner.run(URL(fileURLWithPath: executable), arguments, environment: extra)
    }

    func testArrayJobSegmentsTheCohortOnceAndResumesAfterAKilledTask() throws {
        guard let conf = environment["SEGSTATION_TEST_SLURM_CONF"], !conf.isEmpty else {
            throw XCTSkip("SEGSTATION_TEST_SLURM_CONF is not set: no Slurm cluster (Scripts/ci/slurm.sh starts one as root; Scripts/test.sh does)")
        }
        guard let server = environment["SEGSTATION_TEST_POSTGRES"], !server.isEmpty else {
            throw XCTSkip("SEGSTATION_TEST_POSTGRES is not set: no PostgreSQL server (Scripts/ci/postgres.sh starts one)")
        }
        guard let sbatch = ProcessRunner.tool("sbatch")?.path, let squeue = ProcessRunner.tool("squeue")?.path,
              let scancel = ProcessRunner.tool("scancel")?.path, let scontrol = ProcessRunner.tool("scontrol")?.path,
              let psql = ProcessRunner.tool("psql")?.path else {
            throw XCTSkip("sbatch, squeue, scancel, scontrol or psql is missing (Debian packages slurm-wlm, postgresql-client)")
        }
        let binary = try SegStationCLI.binary().path
        let slurm = ["SLURM_CONF": conf]
        // One database for the whole array, new for this test.
        let name = "segstation_slurm_" + UUID().uuidString.prefix(8).lowercased()
        let created = try run(psql, [server, "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE \(name)"])
        XCTAssertEqual(created.status, 0, created.stderr)
        let database = server.replacingOccurrences(of: #"/[^/?]*(\?|$)"#, with: "/\(name)$1", options: .regularExpression)

        let input = try BatchCohort.write(8, size: 20, in: folder)
        let out = folder.appendingPathComponent("out")
        let script = TestData.repositoryRoot.appendingPathComponent("Scripts/slurm/segstation-batch.sbatch").path
        let exports = "ALL,SEGSTATION=\(binary),SEGSTATION_MODEL=\(SegStationCLI.fixtureModel),SEGSTATION_DB=\(database),SEGSTATION_BATCH_ARGS=--no-dicom"

        func submit(hold: Bool) throws -> String {
            let r = try run(sbatch, ["--parsable", "--array=0-3", "--cpus-per-task=1", "--chdir=\(folder.path)",
                                     "--output=\(folder.path)/task-%A_%a.out", "--export=\(exports)"] + (hold ? ["--hold"] : [])
                                    + [script, input.path, out.path], environment: slurm)
            XCTAssertEqual(r.status, 0, r.stderr)
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines).components(separatedBy: ";")[0]
        }
        func waitFor(_ job: String) throws {
            let deadline = Date().addingTimeInterval(300)
            while Date() < deadline {
                let q = try run(squeue, ["-h", "-j", job], environment: slurm)
                if q.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return }
                usleep(500_000)
            }
            XCTFail("job \(job) still queued or running after 300 s")
        }
        func completedRuns() throws -> [[String: Any]] {
            let r = try run(binary, ["runs", "--db", database, "--json"])
            XCTAssertEqual(r.status, 0, r.stderr)
            let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
            return rows.filter { $0["status"] as? String == "completed" }
        }
        func shardCases() throws -> [String: [String]] {
            var byStatus: [String: [String]] = [:]
            for i in 0..<4 {
                let url = out.appendingPathComponent("summary.shard-\(i)-of-4.json")
                guard let data = try? Data(contentsOf: url) else { continue }
                let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
                for c in try XCTUnwrap(summary["cases"] as? [[String: Any]]) {
                    byStatus[c["status"] as? String ?? "?", default: []].append(c["caseID"] as? String ?? "?")
                }
            }
            return byStatus
        }

        // 1. Shard 1 is killed (cancelled) before it runs; the other three tasks run.
        let first = try submit(hold: true)
        try run(scancel, ["\(first)_1"], environment: slurm)
        let released = try run(scontrol, ["release", first], environment: slurm)
        XCTAssertEqual(released.status, 0, released.stderr)
        try waitFor(first)
        let partial = try completedRuns()
        let missing = try shardCases()
        XCTAssertEqual(missing["failed"] ?? [], [], "\(missing)")
        XCTAssertLessThan(partial.count, 8, "shard 1 was cancelled: some cases are missing")
        XCTAssertEqual(partial.count, missing["completed"]?.count ?? -1)

        // 2. The same array again, with --resume (in the script): only the missing cases run.
        let second = try submit(hold: false)
        try waitFor(second)
        let runs = try completedRuns()
        XCTAssertEqual(runs.count, 8, "every case segmented exactly once")
        XCTAssertEqual(Set(runs.compactMap { $0["seriesInstanceUID"] as? String }).count, 8)
        let cases = try shardCases()
        XCTAssertEqual((cases["completed"] ?? []).count, 8 - partial.count, "\(cases)")
        XCTAssertEqual((cases["skipped"] ?? []).count, partial.count, "\(cases)")
        XCTAssertEqual(Set((cases["completed"] ?? []) + (cases["skipped"] ?? [])).count, 8)
        for i in 0..<4 {
            let log = (try? String(contentsOf: folder.appendingPathComponent("task-\(second)_\(i).out"), encoding: .utf8)) ?? ""
            XCTAssertTrue(log.contains("batch:"), "task \(i) log: \(log)")
        }
        // The studies are listed from the shared database.
        let studies = try run(binary, ["studies", "--db", database, "--json"])
        XCTAssertEqual(studies.status, 0, studies.stderr)
        let listed = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(studies.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(listed.count, 8)
        XCTAssertTrue(listed.allSatisfy { ($0["completedRunCount"] as? Int) == 1 }, "\(listed)")
    }
}
