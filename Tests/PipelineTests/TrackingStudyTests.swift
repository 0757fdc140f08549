import Foundation
import Imaging
import Lesions
import StudyStore
import TestSupport
import XCTest
@testable import Pipeline

/// Issue 13's acceptance study (see `TrackingStudy`): two time points in different frames of reference,
/// 7 degrees and 12 mm apart; one lesion grown, one shrunk, one gone, one new.
final class TrackingStudyTests: XCTestCase {
    func testTwoTimePointStudyIsTrackedAfterRegistration() throws {
        guard ExternalTool("elastix") != nil else { throw XCTSkip(ExternalTool.missing("elastix", package: "elastix")) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("track-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let study = TrackingStudy()
        let store = try StudyStore()
        let (baseline, followUp) = try study.record(in: store, folder: folder)

        let baselineReport = try TrackJob.run(store: store, current: baseline)
        XCTAssertNil(baselineReport.priorRunID)
        XCTAssertEqual(baselineReport.lesions.map(\.method), ["baseline", "baseline", "baseline"])
        let report = try TrackJob.run(store: store, current: followUp)
        XCTAssertEqual(report.priorRunID, baseline)

        // Registration: elastix recovered the motion (the frames differ, so it ran) and passed the quality rule.
        let registration = try XCTUnwrap(report.registration)
        XCTAssertEqual(registration.kind, "rigid")
        let transform = try XCTUnwrap(AffineTransform3(rows: registration.transform))
        XCTAssertLessThan(AffineTransform3(matrix: TrackingStudy.motion.matrix.transposed * transform.matrix).rotationDegrees, 0.5)
        XCTAssertLessThan(norm(transform.apply(Vector3(0, 5, 0)) - TrackingStudy.motion.apply(Vector3(0, 5, 0))), 1)
        XCTAssertTrue(try XCTUnwrap(registration.quality).accepted)
        XCTAssertNotNil(try store.registration(fixed: baseline, moving: followUp), "the registration is recorded")
        // Tracking again uses the recorded registration when it is of the kind asked for and passes the
        // threshold asked for now; otherwise elastix runs again.
        var options = TrackOptions()
        XCTAssertEqual(try TrackJob.recordedRegistration(store, prior: baseline, current: followUp, options: options), registration)
        options.minimumNMI = try XCTUnwrap(registration.quality).nmiAfter + 0.01
        XCTAssertNil(try TrackJob.recordedRegistration(store, prior: baseline, current: followUp, options: options), "fails today's --min-nmi")
        options = TrackOptions()
        options.registration = .affine
        XCTAssertNil(try TrackJob.recordedRegistration(store, prior: baseline, current: followUp, options: options), "another kind")

        // Matches: every generated lesion is where the truth says (its centroid, moved), with the right fate.
        let lesions = TrackingStudy.acceptanceLesions
        func row(_ name: String) throws -> TrackedLesionRow {
            let lesion = lesions.first { $0.name.hasPrefix(name) }!
            // The row whose current (or, for a gone lesion, prior) centroid is the lesion's centre.
            let baseRows = try store.show(baseline).lesions, followRows = try store.show(followUp).lesions
            func near(_ rows: [LesionRow], _ p: Vector3) -> LesionKey? {
                rows.first { norm(Vector3($0.centroidXMM, $0.centroidYMM, $0.centroidZMM) - p) < 2 }
                    .map { LesionKey(labelValue: $0.labelValue, lesionIndex: $0.lesionIndex) }
            }
            let now = near(followRows, TrackingStudy.motion.apply(lesion.centre)), before = near(baseRows, lesion.centre)
            XCTAssertEqual(now == nil, lesion.followUpRadius == nil, name)
            XCTAssertEqual(before == nil, lesion.baselineRadius == nil, name)
            return try XCTUnwrap(report.lesions.first { ($0.current != nil && $0.current == now) || ($0.current == nil && $0.prior == before) }, name)
        }
        let a = try row("A"), b = try row("B"), c = try row("C"), d = try row("D")
        XCTAssertEqual(a.method, "overlap"); XCTAssertEqual(b.method, "overlap")
        XCTAssertEqual(c.method, "gone"); XCTAssertEqual(d.method, "new")
        XCTAssertEqual(Set([a.number, b.number, c.number, d.number]).count, 4, "four identities")
        XCTAssertEqual(report.lesions.count, 4)

        // % changes equal the generated truth (voxel counts of the generated masks) within 2 %.
        for (name, tracked) in [("A", a), ("B", b)] {
            let n = lesions.firstIndex { $0.name.hasPrefix(name) }!
            let truth = Double(study.followUpVoxels[n]! - study.baselineVoxels[n]!) / Double(study.baselineVoxels[n]!) * 100
            XCTAssertEqual(try XCTUnwrap(tracked.volumeChangePercent), truth, accuracy: 2, name)
        }
        XCTAssertEqual(c.volumeChangePercent, -100)

        // RECIST 1.1 by hand: all lesions carry one label ("tumour"), so the targets are the two largest
        // measurable ones at baseline (A and B; C is measurable but the label's quota of 2 is used).
        // The sum goes from long(A0) + long(B0) to long(A1) + long(B1); D is a new lesion (>= 0.1 mL): PD.
        let response = try XCTUnwrap(report.response)
        XCTAssertEqual(Set(response.targets), [a.number, b.number])
        let baseSum = try XCTUnwrap(a.priorRecistLongMM) + XCTUnwrap(b.priorRecistLongMM)
        let nowSum = try XCTUnwrap(a.recistLongMM) + XCTUnwrap(b.recistLongMM)
        XCTAssertEqual(response.baselineSumMM, baseSum, accuracy: 1e-9)
        XCTAssertEqual(response.currentSumMM, nowSum, accuracy: 1e-9)
        XCTAssertEqual(response.newLesions, [d.number])
        let newLesion = try XCTUnwrap(d.volumeML) >= 0.1
        let grew = nowSum >= 1.2 * baseSum && nowSum - baseSum >= 5  // the nadir is the baseline with two time points
        let byHand: RecistResponse.Category = newLesion || grew ? .progressiveDisease : nowSum <= 0.7 * baseSum ? .partialResponse : .stableDisease
        XCTAssertEqual(response.category, byHand)

        // The SRs of both studies, written with the tracked identities: a matched lesion has the same tracking UID
        // and identifier at both studies (read back with DCMTK's dsrdump), and dciodvfy finds no error.
        let srs = try [baseline, followUp].map { run -> URL in
            let url = folder.appendingPathComponent("sr-\(run).dcm")
            try TrackedSR.write(store: store, run: run, to: url)
            return url
        }
        if let dsrdump = ExternalTool("dsrdump") {
            let groups = try srs.map { try Self.trackingGroups(dsrdump, $0) }
            XCTAssertEqual(groups[0].count, 3); XCTAssertEqual(groups[1].count, 3)
            for tracked in [a, b] {
                let uid = try XCTUnwrap(tracked.trackingUID)
                XCTAssertEqual(groups[0][uid], "Lesion \(tracked.number)", "baseline SR")
                XCTAssertEqual(groups[1][uid], "Lesion \(tracked.number)", "follow-up SR")
            }
            XCTAssertEqual(groups[1][try XCTUnwrap(d.trackingUID)], "Lesion \(d.number)")
            XCTAssertNil(groups[1][try XCTUnwrap(c.trackingUID)], "a gone lesion is not in the follow-up SR")
        } else {
            print(ExternalTool.missing("dsrdump", package: "dcmtk"))
        }
        if let dciodvfy = ExternalTool("dciodvfy") {
            for sr in srs {
                let errors = try dciodvfy.run([sr.path]).output.split(separator: "\n").filter { $0.hasPrefix("Error") }
                XCTAssertTrue(errors.isEmpty, "dciodvfy \(sr.lastPathComponent): \(errors.joined(separator: "\n"))")
            }
        } else {
            print(ExternalTool.missing("dciodvfy", package: "dicom3tools"))
        }

        // Identities are stable: tracking again returns the same numbers and tracking UIDs.
        let again = try TrackJob.run(store: store, current: followUp)
        XCTAssertEqual(again.lesions.map(\.number), report.lesions.map(\.number))
        XCTAssertEqual(again.lesions.map(\.trackingUID), report.lesions.map(\.trackingUID))
        let baseTracked = try store.trackedLesions(run: baseline), followTracked = try store.trackedLesions(run: followUp)
        for tracked in [a, b] {
            let before = try XCTUnwrap(baseTracked.first { $0.lesion == tracked.prior })
            let now = try XCTUnwrap(followTracked.first { $0.lesion == tracked.current })
            XCTAssertEqual(before.trackingUID, now.trackingUID)
            XCTAssertEqual(before.number, now.number)
        }
    }

    /// Tracking UID -> Tracking Identifier of every measurement group of an SR, as dsrdump prints them
    /// (`<has obs context TEXT:(,,"Tracking Identifier")="Lesion 1">`).
    static func trackingGroups(_ dsrdump: ExternalTool, _ sr: URL) throws -> [String: String] {
        func value(_ line: String, _ concept: String) -> String? {
            guard let start = line.range(of: "\"\(concept)\")=\"") else { return nil }
            return line[start.upperBound...].split(separator: "\"", maxSplits: 1).first.map(String.init)
        }
        var result = [String: String](), identifier: String?
        for line in try dsrdump.run([sr.path]).output.split(separator: "\n").map(String.init) {
            if let v = value(line, "Tracking Identifier") { identifier = v }
            if let v = value(line, "Tracking Unique Identifier"), let identifier { result[v] = identifier }
        }
        return result
    }
}
