import XCTest
import Imaging
import VolumeIO
import TestSupport
import StudyStore

/// `segstation batch` as a process: exit codes, log lines, and a batch killed midway finished by `--resume`.
final class BatchCLITests: ProcessTestCase {
    var model: String { SegStationCLI.fixtureModel }
    var database: String { folder.appendingPathComponent("studies.sqlite").path }

    func cohort(_ count: Int, size: Int) throws -> URL { try BatchCohort.write(count, size: size, in: folder) }

    func summary(_ out: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: out.appendingPathComponent("summary.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func completedRuns() throws -> [[String: Any]] {
        let r = try cli.run(["runs", "--db", database, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        return rows.filter { $0["status"] as? String == "completed" }
    }

    func testKilledBatchFinishesWithResumeWithoutDuplicates() throws {
        let input = try cohort(6, size: 40)
        let out = folder.appendingPathComponent("out")
        let arguments = ["batch", input.path, "-o", out.path, "--model", model, "--db", database, "--no-dicom", "--jobs", "1"]
        let process = try cli.launch(arguments)
        // Kill it (SIGKILL: no clean-up) once a first case is recorded as completed in the database.
        // (Not on its segmentation.json: that is written before the final transaction, and a kill in
        // between leaves a folder with a summary but no completed run, which --resume runs again.)
        let deadline = Date().addingTimeInterval(120)
        func finishedCases() -> Int {
            (try? StudyStore(path: database, createIfMissing: false).runs(RunFilter(status: .completed)).count) ?? 0
        }
        while finishedCases() == 0, process.isRunning, Date() < deadline { usleep(100_000) }
        process.kill()
        if process.wait().signalled {
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("summary.json").path), "a killed batch writes no summary")
        }
        let before = try completedRuns().count
        XCTAssertGreaterThan(before, 0)

        let resumed = try cli.run(arguments + ["--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let counts = try XCTUnwrap(try summary(out)["counts"] as? [String: Int])
        XCTAssertEqual(counts["failed"], 0)
        XCTAssertEqual(counts["skipped"], before, "cases completed before the kill are skipped")
        XCTAssertEqual(counts["completed"], 6 - before)
        // Every case has exactly one completed run.
        let runs = try completedRuns()
        XCTAssertEqual(runs.count, 6)
        XCTAssertEqual(Set(runs.compactMap { $0["seriesInstanceUID"] as? String }).count, 6, "\(runs)")
        // Without a terminal, progress goes to stderr as log lines.
        XCTAssertTrue(resumed.stderr.contains("batch: [6/6]"), resumed.stderr)
        // A second resume does nothing.
        let again = try cli.run(arguments + ["--resume", "--json"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try completedRuns().count, 6)
    }

    /// `batch --split watershed` (the option group `segment` uses): two cases of two touching spheres
    /// (one connected component each) give two lesions per case; without it, one. The flags' usage
    /// errors (exit 64) name them, and an instances model is refused before any case runs.
    func testSplitWatershedKeepsTouchingSpheresApartInEveryCase() throws {
        let input = folder.appendingPathComponent("spheres")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        let g = VolumeGeometry(size: SIMD3(30, 24, 24), spacingMM: Vector3(1, 1, 1), originLPS: Vector3(0, 0, 0), direction: .identity)
        for n in 0..<2 {
            var flair = [Float](repeating: 0, count: 30 * 24 * 24)
            for k in 0..<24 { for j in 0..<24 { for i in 0..<30 {
                let a = (i - 10) * (i - 10) + (j - 11 - n) * (j - 11 - n) + (k - 12) * (k - 12)
                let b = (i - 19) * (i - 19) + (j - 11 - n) * (j - 11 - n) + (k - 12) * (k - 12)
                flair[i + 30 * (j + 24 * k)] = a <= 21 || b <= 21 ? 1 : 0   // touching at i = 14, 15: one component
            }}}
            try VolumeFile.write(Volume(geometry: g, voxels: flair), to: input.appendingPathComponent(String(format: "s%02d_0000.nii.gz", n)).path)
            try VolumeFile.write(Volume(geometry: g, voxels: [Float](repeating: 0, count: flair.count)),
                                 to: input.appendingPathComponent(String(format: "s%02d_0001.nii.gz", n)).path)
        }
        func lesionCounts(_ name: String, _ extra: [String]) throws -> [Int] {
            let out = folder.appendingPathComponent(name)
            let r = try cli.run(["batch", input.path, "-o", out.path, "--model", model, "--db", database, "--no-dicom", "--json"] + extra)
            XCTAssertEqual(r.status, 0, r.stderr)
            let cases = try XCTUnwrap(try summary(out)["cases"] as? [[String: Any]])
            XCTAssertEqual(cases.compactMap { $0["status"] as? String }, ["completed", "completed"])
            for c in cases {
                let folder = try XCTUnwrap(c["outputFolder"] as? String)
                XCTAssertEqual(FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent("instances.nii.gz")),
                               !extra.isEmpty, "the split's instance map is written with --split watershed only")
            }
            return cases.compactMap { $0["lesionCount"] as? Int }
        }
        XCTAssertEqual(try lesionCounts("components", []), [1, 1])
        XCTAssertEqual(try lesionCounts("watershed", ["--split", "watershed", "--min-distance-mm", "5", "--neck-depth-mm", "1"]), [2, 2])

        let usage = try cli.run(["batch", input.path, "-o", folder.appendingPathComponent("usage").path, "--min-distance-mm", "3"])
        XCTAssertEqual(usage.status, 64, usage.stderr)
        XCTAssertTrue(usage.stderr.contains("--split watershed"), usage.stderr)
        let negative = try cli.run(["batch", input.path, "-o", folder.appendingPathComponent("usage").path, "--split", "watershed", "--neck-depth-mm", "-1"])
        XCTAssertEqual(negative.status, 64, negative.stderr)
        XCTAssertTrue(negative.stderr.contains("--neck-depth-mm"), negative.stderr)
        let oracle = TestData.repositoryRoot.appendingPathComponent("Tests/PipelineTests/Fixtures/oracle-instances-2d").path
        let instances = try cli.run(["batch", input.path, "-o", folder.appendingPathComponent("instances").path, "--model", oracle,
                                     "--db", database, "--split", "watershed"])
        XCTAssertEqual(instances.status, 64, instances.stderr)
        XCTAssertTrue(instances.stderr.contains("--split"), instances.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("instances/summary.json").path), "refused before any case")
        let tta = try cli.run(["batch", input.path, "-o", folder.appendingPathComponent("instances").path, "--model", oracle,
                               "--db", database, "--tta"])
        XCTAssertEqual(tta.status, 69, tta.stderr)
        XCTAssertTrue(tta.stderr.contains("--tta"), tta.stderr)
    }

    func testExitCodeSixtyFiveWhenACaseFails() throws {
        let input = try cohort(2, size: 12)
        try FileManager.default.removeItem(at: input.appendingPathComponent("c01_0001.nii.gz"))
        let out = folder.appendingPathComponent("out")
        let r = try cli.run(["batch", input.path, "-o", out.path, "--model", model, "--db", database, "--json"])
        XCTAssertEqual(r.status, 65, r.stderr)
        let counts = try XCTUnwrap(try summary(out)["counts"] as? [String: Int])
        XCTAssertEqual(counts["completed"], 1)
        XCTAssertEqual(counts["failed"], 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent("summary.csv").path))
        let usage = try cli.run(["batch", input.path, "-o", out.path, "--shard", "4/4"])
        XCTAssertEqual(usage.status, 64, usage.stderr)
        XCTAssertTrue(usage.stderr.contains("0-based"), usage.stderr)
    }
}

/// What the batch process tests share: a synthetic cohort.
enum BatchCohort {
    /// `count` cases of `size`^3 voxels in nnU-Net naming: a bright ball (FLAIR) and a flat T1c.
    static func write(_ count: Int, size: Int, in folder: URL) throws -> URL {
        let input = folder.appendingPathComponent("imagesTs")
        try FileManager.default.createDirectory(at: input, withIntermediateDirectories: true)
        let g = VolumeGeometry(size: SIMD3(size, size, size), spacingMM: Vector3(1, 1, 1), originLPS: Vector3(0, 0, 0), direction: .identity)
        for n in 0..<count {
            let r = Double(size) / 6 + Double(n % 4)
            var flair = [Float](repeating: 0, count: size * size * size)
            for k in 0..<size { for j in 0..<size { for i in 0..<size {
                let d = Double((i - size / 2) * (i - size / 2) + (j - size / 2) * (j - size / 2) + (k - size / 2) * (k - size / 2)).squareRoot()
                flair[i + size * (j + size * k)] = d < r ? 1 : 0
            }}}
            try VolumeFile.write(Volume(geometry: g, voxels: flair), to: input.appendingPathComponent(String(format: "c%02d_0000.nii.gz", n)).path)
            try VolumeFile.write(Volume(geometry: g, voxels: [Float](repeating: Float(n), count: flair.count)),
                                 to: input.appendingPathComponent(String(format: "c%02d_0001.nii.gz", n)).path)
        }
        return input
    }
}
