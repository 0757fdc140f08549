import DICOM
import Foundation
import Imaging
import Pipeline
import TestSupport
import XCTest

/// `segstation track` end to end, as a user runs it: a two-time-point study (the sample phantom with
/// painted lesions; the follow-up imaged after the head moved 7 degrees and 12 mm, in another frame of
/// reference) written as DICOM, `segment`ed with the threshold fixture model, then `track --json`,
/// `--csv` and the text table, its refusals, and `report` of the tracked run.
final class TrackCLITests: ProcessTestCase {
    struct Lesion { var name: String; var centre: Vector3; var baseline: Double?; var followUp: Double? }
    /// A grows, B shrinks, C is gone, D is new (centres in the baseline's LPS mm, radii in mm; volumes all differ).
    static let lesions = [
        Lesion(name: "A", centre: Vector3(30, -20, 15), baseline: 14, followUp: 17),
        Lesion(name: "B", centre: Vector3(-30, 35, -10), baseline: 9, followUp: 7),
        Lesion(name: "C", centre: Vector3(-28, -45, 22), baseline: 6, followUp: nil),
        Lesion(name: "D", centre: Vector3(25, 50, -25), baseline: nil, followUp: 8),
    ]
    /// Baseline point -> follow-up point (the acceptance study's motion: 7 degrees, 12 mm).
    static let motion = AffineTransform3.rotation(degrees: 7, axis: Vector3(0.2, -0.3, 1), centre: Vector3(0, 5, 0),
                                                  shift: Vector3(8, -7, 5.385164807134504))

    /// One time point as FLAIR and T1c DICOM series: the phantom scaled to at most 0.45 and the lesions
    /// at 1.0, so the threshold model (label 1 where FLAIR > 0.5) segments exactly the painted spheres.
    /// The follow-up's voxels are the baseline grid's, on the moved grid (anatomy at p appears at motion(p)).
    static func writeTimePoint(_ phantom: SamplePhantom, followUp: Bool, to folder: URL) throws -> [String] {
        let g = phantom.flair.geometry
        let peak = max(phantom.flair.voxels.max() ?? 1, phantom.t1c.voxels.max() ?? 1)
        var flair = phantom.flair.voxels.map { $0 / peak * 0.45 }, t1c = phantom.t1c.voxels.map { $0 / peak * 0.45 }
        for lesion in lesions {
            guard let r = followUp ? lesion.followUp : lesion.baseline else { continue }
            VoxelLoops.forEachVoxel(of: g, within: r, of: lesion.centre) { n in flair[n] = 1; t1c[n] = 0.9 }
        }
        let geometry = followUp ? motion.mapping(g) : g
        let study = followUp ? "1.2.826.0.1.3680043.10.13.2" : "1.2.826.0.1.3680043.10.13.1"
        let frame = followUp ? "1.2.826.0.1.3680043.10.13.200" : "1.2.826.0.1.3680043.10.13.100"
        return try [("FLAIR", flair), ("T1c", t1c)].enumerated().map { number, channel -> String in
            var d = DICOMSeriesDescription(patientID: "TRACK-CLI", patientName: "Track^Cli", studyInstanceUID: study,
                                           studyDate: followUp ? "20260410" : "20260110", seriesDescription: channel.0, frameOfReferenceUID: frame)
            d.seriesInstanceUID = study + ".\(number + 1)"
            d.seriesNumber = number + 1
            d.sequenceName = channel.0
            d.bodyPart = "BRAIN"
            let seriesFolder = folder.appendingPathComponent(channel.0)
            _ = try DICOMSeriesWriter.write(Volume(geometry: geometry, voxels: channel.1), to: seriesFolder, description: d)
            return seriesFolder.path
        }
    }

    static func sphereML(_ r: Double) -> Double { 4 / 3 * .pi * r * r * r / 1000 }

    func json(_ outcome: SegStationCLI.Outcome) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any], outcome.stdout)
    }

    func testTrackTwoSegmentedTimePoints() throws {
        guard ProcessRunner.tool("elastix") != nil else { throw XCTSkip("elastix not found (Debian package elastix): track registers the two studies with it") }
        let phantom = SamplePhantom(size: SIMD3(112, 128, 88))  // every lesion inside; small for a debug-build `segment`
        let db = folder.appendingPathComponent("studies.sqlite").path
        var runs = [Int64]()
        for followUp in [false, true] {
            let name = followUp ? "t1" : "t0"
            let inputs = try Self.writeTimePoint(phantom, followUp: followUp, to: folder.appendingPathComponent(name))
            var arguments = ["segment"] + inputs + ["--model", SegStationCLI.fixtureModel, "--db", db, "-o", folder.appendingPathComponent("out-" + name).path, "--json"]
            if !followUp { arguments += ["--small-lesion-ml", "1"] }
            let segment = try cli.run(arguments)
            XCTAssertEqual(segment.status, 0, segment.stderr)
            runs.append(try XCTUnwrap(try json(segment)["runID"] as? NSNumber).int64Value)
        }
        let (baseline, followUp) = (runs[0], runs[1])
        // `segment --small-lesion-ml 1`: the baseline report lists A and B and summarises C (0.9 mL) in one row.
        let baselineHTML = try String(contentsOf: folder.appendingPathComponent("out-t0/report.html"), encoding: .utf8)
        XCTAssertTrue(baselineHTML.contains("1 component &lt; 1 mL, 0.9"), "segment --small-lesion-ml")

        let first = try cli.run(["track", String(baseline), "--db", db, "--json"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertNil(try json(first)["priorRunID"] as? NSNumber, "the baseline has no prior")
        XCTAssertEqual((try json(first)["lesions"] as? [[String: Any]])?.compactMap { $0["method"] as? String }, ["baseline", "baseline", "baseline"])

        // The follow-up: registered (the frames differ), then matched; each row checked against the painted truth.
        let tracked = try cli.run(["track", String(followUp), "--db", db, "--json"])
        XCTAssertEqual(tracked.status, 0, tracked.stderr)
        let report = try json(tracked)
        XCTAssertEqual((report["priorRunID"] as? NSNumber)?.int64Value, baseline)
        XCTAssertEqual((report["registration"] as? [String: Any])?["kind"] as? String, "rigid")
        let rows = try XCTUnwrap(report["lesions"] as? [[String: Any]])
        XCTAssertEqual(rows.count, 4)
        func row(_ method: String, priorML: Double?, currentML: Double?) throws -> [String: Any] {
            let found = rows.filter { r in
                guard r["method"] as? String == method else { return false }
                func near(_ key: String, _ ml: Double?) -> Bool {
                    guard let ml else { return (r[key] as? Double ?? 0) == 0 }
                    return abs((r[key] as? Double ?? -1) - ml) < 0.08 * ml
                }
                return near("priorVolumeML", priorML) && near("volumeML", currentML)
            }
            XCTAssertEqual(found.count, 1, "\(method) \(String(describing: priorML)) -> \(String(describing: currentML)) mL in \(rows)")
            return try XCTUnwrap(found.first)
        }
        let a = try row("overlap", priorML: Self.sphereML(14), currentML: Self.sphereML(17))
        let b = try row("overlap", priorML: Self.sphereML(9), currentML: Self.sphereML(7))
        _ = try row("gone", priorML: Self.sphereML(6), currentML: nil)
        _ = try row("new", priorML: nil, currentML: Self.sphereML(8))
        let baselineNumbers = try XCTUnwrap(try json(first)["lesions"] as? [[String: Any]]).compactMap { $0["number"] as? Int }
        XCTAssertTrue(Set(baselineNumbers).isSuperset(of: [a["number"] as? Int ?? -1, b["number"] as? Int ?? -1]), "matched lesions keep their baseline numbers")
        XCTAssertEqual((report["response"] as? [String: Any])?["category"] as? String, "PD", "a new lesion: progressive disease")

        // --csv and the text table print the same rows (tracking again keeps the identities).
        let csv = try cli.run(["track", String(followUp), "--db", db, "--csv"])
        XCTAssertEqual(csv.status, 0, csv.stderr)
        let lines = csv.stdout.split(separator: "\n")
        XCTAssertTrue(lines.first?.hasPrefix("number,label,method,lesionIndex,priorLesionIndex,volumeML,priorVolumeML,volumeChangePercent") ?? false, csv.stdout)
        XCTAssertEqual(lines.count, 5)
        XCTAssertEqual(Set(lines.dropFirst().compactMap { Int($0.split(separator: ",").first ?? "") }), Set(rows.compactMap { $0["number"] as? Int }))
        let table = try cli.run(["track", String(followUp), "--db", db])
        XCTAssertEqual(table.status, 0, table.stderr)
        for text in ["against run \(baseline) (2026-01-10)", "Registration: rigid, rotation", "RECIST 1.1 (2026-01-10 -> 2026-04-10): PD", "gone", "new", "overlap"] {
            XCTAssertTrue(table.stdout.contains(text), "text table lacks '\(text)':\n\(table.stdout)")
        }

        // Refusals, with the documented exit codes: an unknown run (66), a registration below the quality
        // threshold (65, recorded, no identity changed), a bad flag value (64).
        let unknown = try cli.run(["track", "999", "--db", db])
        XCTAssertEqual(unknown.status, 66, unknown.stderr)
        XCTAssertTrue(unknown.stderr.contains("999"), unknown.stderr)
        let rejected = try cli.run(["track", String(followUp), "--db", db, "--min-nmi", "2", "--retrack"])
        XCTAssertEqual(rejected.status, 65, rejected.stderr)
        XCTAssertTrue(rejected.stderr.lowercased().contains("registration"), rejected.stderr)
        let badFlag = try cli.run(["track", String(followUp), "--db", db, "--min-dice", "0"])
        XCTAssertEqual(badFlag.status, 64, badFlag.stderr)
        XCTAssertTrue(badFlag.stderr.contains("--min-dice"), badFlag.stderr)
        let after = try cli.run(["track", String(followUp), "--db", db, "--json"])
        XCTAssertEqual(try XCTUnwrap(try json(after)["lesions"] as? [[String: Any]]).compactMap { $0["trackingUID"] as? String },
                       rows.compactMap { $0["trackingUID"] as? String }, "a refused track changes no identity")
        // Tracking again used the registration recorded by the first `track` (elastix is not run again), also
        // after the refused --retrack recorded a newer, rejected one.
        let registrationID = { (outcome: SegStationCLI.Outcome) throws -> Int64? in
            ((try self.json(outcome)["registration"] as? [String: Any])?["id"] as? NSNumber)?.int64Value
        }
        XCTAssertNotNil(try registrationID(tracked))
        XCTAssertEqual(try registrationID(after), try registrationID(tracked), "the accepted registration is used again")
        XCTAssertTrue(table.stdout.contains("Registration: rigid, rotation"), table.stdout)

        // `report` of the tracked run: prior slices beside the matched lesions' key images (even after the refused
        // registration above: the one the lesions were matched through is shown), --small-lesion-ml, and a PDF
        // of at most 2 pages (issue 13's acceptance: pdftoppm renders it).
        let reportFolder = folder.appendingPathComponent("report")
        let rendered = try cli.run(["report", String(followUp), "--db", db, "-o", reportFolder.path, "--small-lesion-ml", "5"])
        XCTAssertEqual(rendered.status, 0, rendered.stderr)
        let html = try String(contentsOf: reportFolder.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("2 components &lt; 5 mL"), "B (1.4 mL) and D (2.1 mL) summarised")
        XCTAssertEqual(html.components(separatedBy: "<figure class=\"lesion\">").count - 1, 1, "only A is listed, so only A has a key image")
        XCTAssertEqual(html.components(separatedBy: "<figure class=\"prior\">").count - 1, 1, "A's prior slice")
        XCTAssertTrue(html.contains("at the prior study (2026-01-10): "), "prior caption")
        let badThreshold = try cli.run(["report", String(followUp), "--db", db, "--small-lesion-ml", "-1"])
        XCTAssertEqual(badThreshold.status, 64, badThreshold.stderr)
        XCTAssertTrue(badThreshold.stderr.contains("--small-lesion-ml"), badThreshold.stderr)
        guard let pdftoppm = ProcessRunner.tool("pdftoppm") else { throw XCTSkip("pdftoppm not found (Debian package poppler-utils): the PDF page count is not checked") }
        let pages = try ProcessRunner.run(pdftoppm, ["-r", "20", "-png", reportFolder.appendingPathComponent("report.pdf").path,
                                                     reportFolder.appendingPathComponent("page").path], timeoutSeconds: 120)
        XCTAssertEqual(pages.status, 0, pages.stderr)
        let count = try FileManager.default.contentsOfDirectory(atPath: reportFolder.path).filter { $0.hasPrefix("page") && $0.hasSuffix(".png") }.count
        XCTAssertGreaterThanOrEqual(count, 1)
        XCTAssertLessThanOrEqual(count, 2, "the tracked phantom's report PDF fills at most 2 pages")
    }

    /// `track` and `report` on a PostgreSQL study database (`--db postgresql://...`): the tracking tables are
    /// written and read through the same SQL as on SQLite (a baseline study: `sample` studies share one date).
    func testTrackAndReportOnPostgreSQL() throws {
        guard let server = ProcessInfo.processInfo.environment["SEGSTATION_TEST_POSTGRES"], !server.isEmpty else {
            throw XCTSkip("SEGSTATION_TEST_POSTGRES is not set: no PostgreSQL server (Scripts/ci/postgres.sh starts one; Scripts/test.sh does)")
        }
        guard let psql = ProcessRunner.tool("psql") else { throw XCTSkip("psql is missing (Debian package postgresql-client)") }
        let name = "segstation_track_" + UUID().uuidString.prefix(8).lowercased()
        let created = try ProcessRunner.run(psql, [server, "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE \(name)"])
        XCTAssertEqual(created.status, 0, created.stderr)
        let db = server.replacingOccurrences(of: #"/[^/?]*(\?|$)"#, with: "/\(name)$1", options: .regularExpression)
        let inputs = try cli.phantom(in: folder.appendingPathComponent("study"), size: "48,48,24")
        let segment = try cli.run(["segment"] + inputs + ["--model", SegStationCLI.fixtureModel, "--db", db, "-o", folder.appendingPathComponent("out").path, "--json"])
        XCTAssertEqual(segment.status, 0, segment.stderr)
        let run = String(try XCTUnwrap(try json(segment)["runID"] as? NSNumber).int64Value)
        let tracked = try cli.run(["track", run, "--db", db, "--json"])
        XCTAssertEqual(tracked.status, 0, tracked.stderr)
        let rows = try XCTUnwrap(try json(tracked)["lesions"] as? [[String: Any]])
        XCTAssertFalse(rows.isEmpty)
        XCTAssertEqual(Set(rows.compactMap { $0["method"] as? String }), ["baseline"])
        let again = try cli.run(["track", run, "--db", db, "--json"])
        XCTAssertEqual(try XCTUnwrap(try json(again)["lesions"] as? [[String: Any]]).compactMap { $0["trackingUID"] as? String },
                       rows.compactMap { $0["trackingUID"] as? String }, "identities are kept in the PostgreSQL database")
        let report = try cli.run(["report", run, "--db", db, "-o", folder.appendingPathComponent("report").path, "--format", "json"])
        XCTAssertEqual(report.status, 0, report.stderr)
        XCTAssertEqual(try cli.run(["track", "999", "--db", db]).status, 66)
    }
}
