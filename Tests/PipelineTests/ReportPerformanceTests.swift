import Foundation
import Imaging
import StudyStore
import TestSupport
import XCTest
@testable import Pipeline

/// Issue 13, performance: `report` of a study with 10 tracked lesions and a prior study (HTML, PDF and
/// JSON: key images, lesion key images, chart), timed from the database to the written files. The 2 s
/// bound is asserted in release builds; a debug build reports its time and skips.
///
/// `SEGSTATION_KEEP_REPORT_STUDY=FOLDER` builds the study in FOLDER (new or empty) and keeps it, so the
/// release `segstation report 2 --db FOLDER/studies.sqlite` can be timed from the command line
/// (BENCHMARKS.md, issue 13).
final class ReportPerformanceTests: XCTestCase {
    /// Ten lesions inside the phantom's brain, all present at both time points (radii change a little).
    static let lesions: [TrackingStudy.Lesion] = [
        (Vector3(30, -20, 15), 22.0), (Vector3(-30, 35, -10), 9), (Vector3(-28, -45, 22), 7), (Vector3(25, 50, -25), 7),
        (Vector3(-40, 0, 20), 6), (Vector3(40, 30, 10), 6), (Vector3(0, 55, 10), 6), (Vector3(-15, -60, -10), 6),
        (Vector3(10, 20, -35), 6), (Vector3(-45, 30, 25), 6),
    ].enumerated().map { n, l in
        TrackingStudy.Lesion(name: n == 0 ? "A" : "L\(n + 1)", centre: l.0, baselineRadius: l.1, followUpRadius: l.1 + (n % 2 == 0 ? 1 : -1))
    }

    func testReportOfTenTrackedLesionsWithAPrior() throws {
        let kept = ProcessInfo.processInfo.environment["SEGSTATION_KEEP_REPORT_STUDY"].flatMap { $0.isEmpty ? nil : $0 }
        let folder = kept.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("report-perf-\(UUID().uuidString)")
        defer { if kept == nil { try? FileManager.default.removeItem(at: folder) } }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let database = folder.appendingPathComponent("studies.sqlite").path
        let study = TrackingStudy(lesions: Self.lesions, motion: .identity)
        let store = try StudyStore(path: database)
        let (baseline, followUp) = try study.record(in: store, folder: folder, sameFrame: true)
        _ = try TrackJob.run(store: store, current: baseline)
        let tracked = try TrackJob.run(store: store, current: followUp)
        XCTAssertEqual(tracked.lesions.filter { $0.method == "overlap" }.count, 10, "ten tracked lesions")
        let start = Date()
        let written = try ReportJob.run(target: String(followUp), databasePath: database, formats: [.html, .pdf, .json],
                                        outputFolder: folder.appendingPathComponent("report").path)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(written.count, 3)
        let html = try String(contentsOf: try XCTUnwrap(written.first { $0.pathExtension == "html" }), encoding: .utf8)
        let measurable = try store.show(followUp).lesions.filter { ($0.recistLongMM ?? 0) >= 10 }.count
        XCTAssertGreaterThanOrEqual(measurable, 5)
        XCTAssertEqual(html.components(separatedBy: "<figure class=\"lesion\">").count - 1, measurable,
                       "a key image per measurable lesion (long axis >= 10 mm)")
        XCTAssertEqual(html.components(separatedBy: "<figure class=\"prior\">").count - 1, measurable,
                       "beside each, the prior study's matching slice (every lesion is tracked)")
        // The table carries each tracked lesion's prior volume and % change, as `track` computed them.
        for row in tracked.lesions {
            let change = try XCTUnwrap(row.volumeChangePercent), prior = try XCTUnwrap(row.priorVolumeML)
            XCTAssertTrue(html.contains(String(format: "%+.1f %% (%.2f)", change, prior)), "change of lesion \(row.number)")
        }
        // The RECIST sentence and the target marks of the tracked series (two targets: one label).
        XCTAssertTrue(html.contains("RECIST 1.1 (2026-01-10 → 2026-04-10): "), "response sentence")
        XCTAssertEqual(html.components(separatedBy: "<td>target</td>").count - 1, 2, "at most 2 targets per label")
        let figure = "report of 10 tracked lesions with a prior: \(String(format: "%.2f", seconds)) s"
        print(figure)
        #if DEBUG
        throw XCTSkip("\(figure) in a debug build; the issue's 2 s bound is checked in release builds (swift test -c release --filter ReportPerformanceTests)")
        #else
        XCTAssertLessThan(seconds, 2, "issue 13: report under 2 s")
        #endif
    }
}
