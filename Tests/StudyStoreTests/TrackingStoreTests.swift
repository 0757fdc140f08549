import Foundation
import XCTest
@testable import StudyStore

/// Registrations and lesion identities (issue 13) on the backend under test: SQLite by default,
/// PostgreSQL when Scripts/test.sh re-runs this suite with `SEGSTATION_TEST_STORE=postgres`.
final class TrackingStoreTests: XCTestCase {
    /// Patient P: run 1 (2025-01-01) with tumours 1/1 (2 mL), 1/2 (5 mL) and cyst 2/1; run 2 (2025-04-01)
    /// with tumours 1/1 (6 mL), 1/2 (0.5 mL); run 3 of another model on the later study.
    func makeStore() throws -> (StudyStore, prior: RunID, current: RunID, otherModel: RunID) {
        let store = try TestStore.make()
        func run(_ study: String, _ date: String, model: String = "liver-net", _ lesions: [(Int, Double, [Double])]) throws -> RunID {
            let id = try store.beginRun(Fixture.start(patient: "P", study: study, series: study + "." + model, date: date, model: model))
            try store.completeRun(id, Fixture.result(lesions))
            return id
        }
        let prior = try run("1.1", "2025-01-01", [(1, 2, [0, 0, 0]), (1, 5, [50, 0, 0]), (2, 0.5, [0, 50, 0])])
        let current = try run("1.2", "2025-04-01", [(1, 6, [50, 1, 0]), (1, 0.5, [90, 0, 0])])
        let other = try run("1.2", "2025-04-01", model: "other-net", [(1, 6, [50, 1, 0])])
        return (store, prior, current, other)
    }

    var uidCounter = 0
    func newUID() -> String { uidCounter += 1; return "2.25.\(1000 + uidCounter)" }

    func testRegistrationRoundTripAndPriorRuns() throws {
        let (store, prior, current, other) = try makeStore()
        XCTAssertEqual(try store.priorRun(of: current), prior)
        XCTAssertNil(try store.priorRun(of: prior), "no earlier study")
        XCTAssertNil(try store.priorRun(of: other), "the earlier study has no run of model other-net")
        XCTAssertThrowsError(try store.priorRun(of: 999)) { XCTAssertEqual($0 as? StoreError, .runNotFound(999)) }

        let transform = [[0.99, -0.12, 0, 12], [0.12, 0.99, 0, -3.5], [0, 0, 1, 0.25]]
        let rejected = RegistrationInfo(kind: "rigid", transform: transform, nmiBefore: 1.05, nmiAfter: 1.06, overlapFraction: 0.9,
                                        accepted: false, tool: "elastix 5.0.1", seconds: 3.5)
        let first = try store.recordRegistration(fixed: prior, moving: current, rejected)
        XCTAssertEqual(try store.registration(fixed: prior, moving: current)?.info, rejected)
        XCTAssertNil(try store.trackedPriorRun(of: current), "a rejected registration is no tracking")
        var accepted = rejected
        accepted.accepted = true
        accepted.nmiAfter = 1.3
        let second = try store.recordRegistration(fixed: prior, moving: current, accepted)
        XCTAssertGreaterThan(second, first)
        let latest = try XCTUnwrap(try store.registration(fixed: prior, moving: current))
        XCTAssertEqual(latest.id, second)
        XCTAssertEqual(latest.info, accepted)
        XCTAssertEqual(try store.trackedPriorRun(of: current), prior)
        XCTAssertNil(try store.registration(fixed: current, moving: prior))

        // The latest accepted registration of a kind (what `track` run again uses): a newer rejected one and
        // an accepted one of another kind do not replace it.
        XCTAssertNil(try store.acceptedRegistration(fixed: prior, moving: current, kind: "affine"))
        _ = try store.recordRegistration(fixed: prior, moving: current, rejected)
        var affine = accepted
        affine.kind = "affine"
        let third = try store.recordRegistration(fixed: prior, moving: current, affine)
        XCTAssertEqual(try store.acceptedRegistration(fixed: prior, moving: current, kind: "rigid")?.id, second)
        XCTAssertEqual(try store.acceptedRegistration(fixed: prior, moving: current, kind: "rigid")?.info, accepted)
        XCTAssertEqual(try store.acceptedRegistration(fixed: prior, moving: current, kind: "affine")?.id, third)
        XCTAssertNil(try store.acceptedRegistration(fixed: current, moving: prior, kind: "rigid"))

        XCTAssertThrowsError(try store.recordRegistration(fixed: prior, moving: 999, accepted)) { XCTAssertEqual($0 as? StoreError, .runNotFound(999)) }
        var bad = accepted
        bad.transform = [[1, 0, 0, .nan], [0, 1, 0, 0], [0, 0, 1, 0]]
        XCTAssertThrowsError(try store.recordRegistration(fixed: prior, moving: current, bad))
        bad = accepted
        bad.kind = "elastic"
        XCTAssertThrowsError(try store.recordRegistration(fixed: prior, moving: current, bad))
    }

    func testIdentitiesAcrossStudies() throws {
        let (store, prior, current, _) = try makeStore()
        let registration = try store.recordRegistration(fixed: prior, moving: current,
                                                        RegistrationInfo(kind: "identity", transform: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]],
                                                                         accepted: true, tool: "shared FrameOfReferenceUID"))
        XCTAssertEqual(try store.trackedLesions(run: current), [], "never tracked")
        // Current 1/1 (6 mL) is prior 1/2 (5 mL) by overlap; current 1/2 is new; prior 1/1 and the cyst are gone.
        let matches = [TrackingMatch(current: LesionKey(labelValue: 1, lesionIndex: 1), prior: LesionKey(labelValue: 1, lesionIndex: 2),
                                     method: "overlap", dice: 0.8, distanceMM: 1),
                       TrackingMatch(current: LesionKey(labelValue: 1, lesionIndex: 2), prior: nil, method: "new")]
        let tracked = try store.recordTracking(currentRun: current, priorRun: prior, registrationID: registration, matches: matches, newUID: newUID)
        // The prior run's lesions were numbered first, by decreasing volume: 1/2 (5 mL) = 1, 1/1 (2 mL) = 2, cyst = 3.
        let priorTracked = try store.trackedLesions(run: prior)
        XCTAssertEqual(priorTracked.map(\.lesion), [LesionKey(labelValue: 1, lesionIndex: 1), LesionKey(labelValue: 1, lesionIndex: 2),
                                                     LesionKey(labelValue: 2, lesionIndex: 1)])
        XCTAssertEqual(priorTracked.map(\.number), [2, 1, 3])
        XCTAssertEqual(priorTracked.map(\.method), ["baseline", "baseline", "baseline"])
        XCTAssertEqual(priorTracked.map(\.labelName), ["tumour", "tumour", "cyst"])
        XCTAssertEqual(priorTracked.map(\.registrationID), [nil, nil, nil])

        XCTAssertEqual(tracked.map(\.number), [1, 4], "the match keeps number 1; the new lesion gets the patient's next number")
        XCTAssertEqual(tracked[0].trackingUID, priorTracked[1].trackingUID, "one tracking UID across studies")
        XCTAssertEqual(tracked[0].method, "overlap")
        XCTAssertEqual(tracked[0].prior, LesionKey(labelValue: 1, lesionIndex: 2))
        XCTAssertEqual(tracked[0].priorRunID, prior)
        XCTAssertEqual(tracked[0].dice, 0.8)
        XCTAssertEqual(tracked[0].distanceMM, 1)
        XCTAssertEqual(tracked[0].registrationID, registration)
        XCTAssertEqual(tracked[1].method, "new")
        XCTAssertNil(tracked[1].prior)
        XCTAssertEqual(Set((priorTracked + tracked).map(\.trackingUID)).count, 4, "four identities, four UIDs")
        XCTAssertEqual(try store.trackedLesions(run: current), tracked)

        // Tracking again keeps the identities; --retrack (replace) re-assigns the unmatched ones.
        let again = try store.recordTracking(currentRun: current, priorRun: prior, registrationID: registration, matches: [], newUID: newUID)
        XCTAssertEqual(again, tracked)
        let replaced = try store.recordTracking(currentRun: current, priorRun: prior, registrationID: registration, matches: [],
                                                replace: true, newUID: newUID)
        XCTAssertEqual(replaced.map(\.method), ["new", "new"])
        XCTAssertEqual(replaced.map(\.number), [5, 6], "both unmatched now: new numbers after the patient's largest")
        XCTAssertEqual(try Fixture.count(store, "lesion_track"), 5)
    }

    func testRefusesMatchesOfUnknownOrTwiceMatchedLesions() throws {
        let (store, prior, current, _) = try makeStore()
        let unknown = [TrackingMatch(current: LesionKey(labelValue: 1, lesionIndex: 9), prior: nil, method: "new")]
        XCTAssertThrowsError(try store.recordTracking(currentRun: current, priorRun: prior, registrationID: nil, matches: unknown, newUID: newUID)) {
            guard case .invalidArgument(let message) = $0 as? StoreError else { return XCTFail("\($0)") }
            XCTAssertTrue(message.contains("1/9"), message)
        }
        let unknownPrior = [TrackingMatch(current: LesionKey(labelValue: 1, lesionIndex: 1), prior: LesionKey(labelValue: 2, lesionIndex: 4), method: "centroid")]
        XCTAssertThrowsError(try store.recordTracking(currentRun: current, priorRun: prior, registrationID: nil, matches: unknownPrior, newUID: newUID))
        let twice = [TrackingMatch(current: LesionKey(labelValue: 1, lesionIndex: 1), prior: LesionKey(labelValue: 1, lesionIndex: 1), method: "overlap"),
                     TrackingMatch(current: LesionKey(labelValue: 1, lesionIndex: 1), prior: LesionKey(labelValue: 1, lesionIndex: 2), method: "centroid")]
        XCTAssertThrowsError(try store.recordTracking(currentRun: current, priorRun: prior, registrationID: nil, matches: twice, newUID: newUID))
        XCTAssertEqual(try Fixture.count(store, "lesion_track"), 0, "a refused tracking writes nothing (one transaction)")
        XCTAssertEqual(try Fixture.count(store, "tracked_lesion"), 0)
        XCTAssertThrowsError(try store.recordTracking(currentRun: 999, priorRun: nil, registrationID: nil, matches: [], newUID: newUID)) {
            XCTAssertEqual($0 as? StoreError, .runNotFound(999))
        }
        let baseline = try store.recordTracking(currentRun: prior, priorRun: nil, registrationID: nil, matches: [], newUID: newUID)
        XCTAssertEqual(baseline.map(\.number), [2, 1, 3])
        XCTAssertEqual(baseline.map(\.method), ["baseline", "baseline", "baseline"])
    }
}
