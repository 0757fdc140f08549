import Foundation
import GRDB
import Imaging
import TestSupport
import VolumeIO
import XCTest

/// Issue 17's synthetic cases through `segment` (the built binary): the oracle instance detector
/// (Tests/PipelineTests/Fixtures/oracle-instances-2d: one detection per intensity value 1...6 on a
/// slice, mask = the value's pixels, score = value / 10) on volumes painted here, so every lesion's
/// voxels and scores follow from the painting; and `--split watershed` on a semantic model.
final class InstancesSegmentCLITests: ProcessTestCase {
    static let oracle = TestData.repositoryRoot.appendingPathComponent("Tests/PipelineTests/Fixtures/oracle-instances-2d").path

    /// What the test expects of one lesion: voxel count and detection score (mean, max).
    struct Expected: Equatable { var voxels: Int; var mean: Double; var max: Double }

    func paint(_ size: SIMD3<Int>, direction: Matrix3 = .identity, _ value: (Int, Int, Int) -> Float) -> Volume<Float> {
        var v = Volume<Float>(geometry: VolumeGeometry(size: size, direction: direction), repeating: 0)
        for k in 0..<size.z { for j in 0..<size.y { for i in 0..<size.x { v[i, j, k] = value(i, j, k) } } }
        return v
    }

    func count(_ v: Volume<Float>, _ value: Float) -> Int { v.voxels.filter { $0 == value }.count }

    /// Runs `segment` with `model` on `volumes` (one per channel); returns the summary's lesions (label,
    /// voxel count, score) and the database's lesion rows, both sorted by voxel count.
    func segment(_ volumes: [Volume<Float>], model: String, name: String, extra: [String] = [])
        throws -> (json: [[String: Any]], rows: [Row]) {
        var inputs: [String] = []
        for (c, v) in volumes.enumerated() {
            let path = folder.appendingPathComponent("\(name)-\(c).nii.gz").path
            try VolumeFile.write(v, to: path)
            inputs.append(path)
        }
        let db = folder.appendingPathComponent("studies.sqlite").path
        let out = folder.appendingPathComponent(name).path
        let r = try cli.run(["segment"] + inputs + ["--model", model, "-o", out, "--db", db, "--json"] + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let lesions = try XCTUnwrap(summary["lesions"] as? [[String: Any]]).sorted { ($0["voxelCount"] as! Int) < ($1["voxelCount"] as! Int) }
        let run = try XCTUnwrap(summary["runID"] as? Int)
        let rows = try DatabaseQueue(path: db).read { db in
            try Row.fetchAll(db, sql: "SELECT voxelCount, detectionScoreMean, detectionScoreMax FROM lesion WHERE runID = ? ORDER BY voxelCount",
                             arguments: [run])
        }
        return (lesions, rows)
    }

    /// Checks `segment`'s JSON and database rows against the expected lesions (sorted by voxel count).
    func check(_ result: (json: [[String: Any]], rows: [Row]), _ expected: [Expected], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.json.count, expected.count, "lesions in segmentation JSON", file: file, line: line)
        XCTAssertEqual(result.rows.count, expected.count, "lesion rows in the database", file: file, line: line)
        for (n, e) in expected.enumerated() where n < result.json.count && n < result.rows.count {
            let lesion = result.json[n]
            let score = lesion["detectionScore"] as? [String: Double]
            XCTAssertEqual(lesion["voxelCount"] as? Int, e.voxels, "lesion \(n) voxels", file: file, line: line)
            XCTAssertEqual(score?["mean"] ?? -1, e.mean, accuracy: 1e-6, "lesion \(n) mean score", file: file, line: line)
            XCTAssertEqual(score?["max"] ?? -1, e.max, accuracy: 1e-6, "lesion \(n) max score", file: file, line: line)
            let row = result.rows[n]
            XCTAssertEqual(row["voxelCount"] as Int?, e.voxels, file: file, line: line)
            XCTAssertEqual(row["detectionScoreMean"] as Double? ?? -1, e.mean, accuracy: 1e-6, file: file, line: line)
            XCTAssertEqual(row["detectionScoreMax"] as Double? ?? -1, e.max, accuracy: 1e-6, file: file, line: line)
        }
    }

    /// (a) Two touching spheres painted 1 and 2: two lesions, though their mask is one connected component.
    func testTouchingSpheresAreTwoLesions() throws {
        let v = paint(SIMD3(20, 20, 16)) { i, j, k in
            let a = (i - 6) * (i - 6) + (j - 10) * (j - 10) + (k - 8) * (k - 8)
            let b = (i - 13) * (i - 13) + (j - 10) * (j - 10) + (k - 8) * (k - 8)
            return a <= 12 ? 1 : b <= 12 ? 2 : 0
        }
        XCTAssertEqual(v[9, 10, 8], 1)
        XCTAssertEqual(v[10, 10, 8], 2, "the spheres touch: one connected component")
        let result = try segment([v], model: Self.oracle, name: "touching")
        check(result, [Expected(voxels: count(v, 1), mean: 0.1, max: 0.1), Expected(voxels: count(v, 2), mean: 0.2, max: 0.2)]
            .sorted { $0.voxels < $1.voxels })
        // The instance map is recorded: ids 1 and 2 over the two spheres.
        let instances = try VolumeFile.readInstances(folder.appendingPathComponent("touching/instances.nii.gz").path)
        XCTAssertEqual(Set(instances.voxels), [0, 1, 2])
        XCTAssertEqual(instances.voxels.filter { $0 != 0 }.count, count(v, 1) + count(v, 2))
        // The report's JSON carries the scores, and `report RUN` (from the database and the recorded
        // instance map) finds the same two lesions with the same scores.
        let written = try reportLesions(folder.appendingPathComponent("touching/report.json"))
        let again = folder.appendingPathComponent("touching-again")
        let r = try cli.run(["report", "1", "--db", folder.appendingPathComponent("studies.sqlite").path, "-o", again.path, "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rerendered = try reportLesions(again.appendingPathComponent("report.json"))
        XCTAssertEqual(written.count, 2)
        XCTAssertEqual(rerendered.map { $0["volumeML"] as? Double }, written.map { $0["volumeML"] as? Double })
        XCTAssertEqual(rerendered.map { $0["detectionScoreMax"] as? Double }, written.map { $0["detectionScoreMax"] as? Double })
        XCTAssertEqual(Set(written.compactMap { $0["detectionScoreMax"] as? Double }.map { Float($0) }), [0.1, 0.2])
        // `segstation lesions` lists the scores.
        let listed = try cli.run(["lesions", "--db", folder.appendingPathComponent("studies.sqlite").path, "--json"])
        XCTAssertEqual(listed.status, 0, listed.stderr)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(Set(rows.compactMap { $0["detectionScoreMean"] as? Double }.map { Float($0) }), [0.1, 0.2])
    }

    /// The lesion rows of a report.json.
    func reportLesions(_ url: URL) throws -> [[String: Any]] {
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return try XCTUnwrap(json["lesions"] as? [[String: Any]])
    }

    /// (b) A U-shaped tube: one bar on slices 0-3 (value 3) that falls apart into two arms on slices
    /// 4-9 (values 1 and 2, detected separately): one lesion. The scan's i axis points right and its k
    /// axis down (RPI), so the network sees it reoriented to LPS and the instances are mapped back.
    func testLesionSplittingAcrossSlicesIsOneLesion() throws {
        let rpi = Matrix3(columns: Vector3(-1, 0, 0), Vector3(0, 1, 0), Vector3(0, 0, -1))
        let v = paint(SIMD3(20, 20, 12), direction: rpi) { i, j, k in
            guard (8...11).contains(j), k <= 9 else { return 0 }
            if k <= 3 { return (4...15).contains(i) ? 3 : 0 }
            return (4...7).contains(i) ? 1 : (12...15).contains(i) ? 2 : 0
        }
        // Scores: 4 detections of 0.3, 6 of 0.1, 6 of 0.2.
        let result = try segment([v], model: Self.oracle, name: "split")
        check(result, [Expected(voxels: 4 * 4 * 12 + 2 * 6 * 4 * 4, mean: (4 * 0.3 + 6 * 0.1 + 6 * 0.2) / 16, max: 0.3)])
        // The mask and the instance map are on the scan's own grid: exactly the painted voxels.
        let mask = try VolumeFile.readLabels(folder.appendingPathComponent("split/mask.nii.gz").path)
        XCTAssertEqual(mask.voxels.map { $0 != 0 }, v.voxels.map { $0 != 0 })
        let instances = try VolumeFile.readInstances(folder.appendingPathComponent("split/instances.nii.gz").path)
        XCTAssertEqual(instances.voxels.map { $0 != 0 }, v.voxels.map { $0 != 0 })
    }

    /// (c) Two lesions (1 and 2) on slices 0-4 that the detector sees as one (3) on slices 5-7:
    /// one lesion, as docs/INSTANCES.md's rules give (both are the merged detection's best match).
    func testLesionsMergingIntoOneDetectionAreOneLesion() throws {
        let v = paint(SIMD3(20, 20, 10)) { i, j, k in
            let a = (i - 5) * (i - 5) + (j - 10) * (j - 10) <= 9, b = (i - 14) * (i - 14) + (j - 10) * (j - 10) <= 9
            if k <= 4 { return a ? 1 : b ? 2 : 0 }
            if k <= 7 { return a || b || ((5...14).contains(i) && (9...11).contains(j)) ? 3 : 0 }
            return 0
        }
        let result = try segment([v], model: Self.oracle, name: "merge")
        let total = count(v, 1) + count(v, 2) + count(v, 3)
        check(result, [Expected(voxels: total, mean: (5 * 0.1 + 5 * 0.2 + 3 * 0.3) / 13, max: 0.3)])
    }

    /// Slices larger than the detector's 24 x 24 patch are tiled (docs/INSTANCES.md, "Tiling"): on
    /// 46 x 46 slices (windows at 0, 11 and 22) a box across the seams of the first and last windows
    /// (value 2) and a bar crossing all three windows, cut in each (value 4), are one lesion each,
    /// whole: their voxel counts are the painted ones.
    func testSlicesLargerThanThePatchAreTiled() throws {
        let v = paint(SIMD3(46, 46, 4)) { i, j, k in
            if (20...27).contains(i), (3...8).contains(j) { return 2 }
            if (2...43).contains(i), (35...38).contains(j), (1...2).contains(k) { return 4 }
            return 0
        }
        let result = try segment([v], model: Self.oracle, name: "tiled")
        check(result, [Expected(voxels: count(v, 4), mean: 0.4, max: 0.4), Expected(voxels: count(v, 2), mean: 0.2, max: 0.2)]
            .sorted { $0.voxels < $1.voxels })
        let mask = try VolumeFile.readLabels(folder.appendingPathComponent("tiled/mask.nii.gz").path)
        XCTAssertEqual(mask.voxels.map { $0 != 0 }, v.voxels.map { $0 != 0 })
    }

    /// `--min-lesion-ml` removes whole instances below the volume (not connected components).
    func testMinLesionRemovesSmallInstances() throws {
        let v = paint(SIMD3(20, 20, 4)) { i, j, k in
            guard k < 2, (4...11).contains(j) else { return 0 }
            return (2...9).contains(i) ? 1 : i == 10 ? 2 : 0   // 128 voxels of 1, touching 16 voxels of 2
        }
        let result = try segment([v], model: Self.oracle, name: "minlesion", extra: ["--min-lesion-ml", "0.05"])
        check(result, [Expected(voxels: 128, mean: 0.1, max: 0.1)])
        let refused = try cli.run(["segment", folder.appendingPathComponent("minlesion-0.nii.gz").path, "--model", Self.oracle,
                                   "--db", folder.appendingPathComponent("studies.sqlite").path, "--split", "watershed"])
        XCTAssertEqual(refused.status, 64, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--split"), refused.stderr)
        for option in ["--tta", "--save-probabilities"] {
            let unsupported = try cli.run(["segment", folder.appendingPathComponent("minlesion-0.nii.gz").path, "--model", Self.oracle,
                                           "--db", folder.appendingPathComponent("studies.sqlite").path, option])
            XCTAssertEqual(unsupported.status, 69, unsupported.stderr)
            XCTAssertTrue(unsupported.stderr.contains(option), unsupported.stderr)
        }
    }

    /// `--split watershed` on a semantic model (threshold-3d: label 1 where FLAIR > 0.5) keeps two
    /// touching spheres apart; connected components (the default) give one lesion.
    func testWatershedSplitOfTouchingSpheres() throws {
        let v = paint(SIMD3(30, 24, 24)) { i, j, k in
            let a = (i - 10) * (i - 10) + (j - 12) * (j - 12) + (k - 12) * (k - 12)
            let b = (i - 19) * (i - 19) + (j - 12) * (j - 12) + (k - 12) * (k - 12)
            return a <= 21 || b <= 21 ? 1 : 0   // radius 4.6: the spheres touch (i = 14 and 15) without sharing a voxel
        }
        let model = SegStationCLI.fixtureModel
        let plain = try segment([v, v], model: model, name: "components")
        XCTAssertEqual(plain.json.count, 1)
        XCTAssertEqual(plain.json.first?["voxelCount"] as? Int, count(v, 1))
        XCTAssertNil(plain.json.first?["detectionScore"])
        let split = try segment([v, v], model: model, name: "watershed", extra: ["--split", "watershed", "--min-distance-mm", "5"])
        XCTAssertEqual(split.json.count, 2)
        XCTAssertEqual(split.json.map { $0["voxelCount"] as! Int }.reduce(0, +), count(v, 1))
        let sphere = count(v, 1) / 2
        for lesion in split.json {
            // Voxels on the contact may go to either side; each lesion is one sphere within 5 %.
            XCTAssertEqual(Double(lesion["voxelCount"] as! Int), Double(sphere), accuracy: 0.05 * Double(sphere))
        }
        XCTAssertNil(split.rows.first?["detectionScoreMean"] as Double?)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("watershed/instances.nii.gz").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("components/instances.nii.gz").path))
        // `report RUN` of the watershed run (run 2 in this database) finds its two lesions again.
        let again = folder.appendingPathComponent("watershed-again")
        let r = try cli.run(["report", "2", "--db", folder.appendingPathComponent("studies.sqlite").path, "-o", again.path, "--format", "json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try reportLesions(again.appendingPathComponent("report.json")).count, 2)
        let usage = try cli.run(["segment", folder.appendingPathComponent("watershed-0.nii.gz").path, "--min-distance-mm", "3"])
        XCTAssertEqual(usage.status, 64)
        XCTAssertTrue(usage.stderr.contains("--split watershed"), usage.stderr)
    }
}
