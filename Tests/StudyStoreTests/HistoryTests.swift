import Foundation
import XCTest
@testable import StudyStore

final class HistoryTests: XCTestCase {
    /// Three studies: t1 and t2 share frame F, t3 has frame G. Tumour A moves 3 mm and grows,
    /// tumour B moves 8 mm and shrinks, C appears at t2; the cyst disappears at t2.
    func makeStore() throws -> StudyStore {
        let store = try TestStore.make()
        func run(_ study: String, _ date: String, _ frame: String, _ lesions: [(Int, Double, [Double])]) throws {
            let id = try store.beginRun(Fixture.start(patient: "P", study: study, series: study + ".1", date: date, frame: frame))
            try store.completeRun(id, Fixture.result(lesions))
        }
        try run("1.1", "2025-01-01", "F", [(1, 9, [0, 0, 0])])  // superseded by the next run of the same study
        try run("1.1", "2025-01-01", "F", [(1, 2, [0, 0, 0]), (1, 1, [50, 0, 0]), (2, 0.5, [0, 50, 0])])
        try run("1.2", "2025-04-01", "F", [(1, 3, [3, 0, 0]), (1, 0.5, [50, 8, 0]), (1, 0.2, [100, 0, 0])])
        try run("1.3", "2025-07-01", "G", [(1, 3.3, [3, 0, 0])])
        let failed = try store.beginRun(Fixture.start(patient: "P", study: "1.3", series: "1.3.1", date: "2025-07-01", frame: "G"))
        try store.failRun(failed, message: "ignored by history")
        return store
    }

    func testLabelTotalsOverTime() throws {
        let history = try makeStore().history(patientID: "P")
        XCTAssertEqual(history.timepoints.map(\.studyDate), ["2025-01-01", "2025-04-01", "2025-07-01"])
        XCTAssertEqual(history.timepoints.map(\.runID), [2, 3, 4])
        XCTAssertEqual(history.timepoints.map(\.matchedToPrevious), [false, true, false])
        let tumour = try XCTUnwrap(history.labels.first { $0.label == "tumour" })
        XCTAssertEqual(tumour.points.map(\.volumeML), [3, 3.7, 3.3])
        XCTAssertEqual(tumour.points.map(\.lesionCount), [2, 3, 1])
        XCTAssertEqual(tumour.points[1].changeML!, 0.7, accuracy: 1e-9)
        XCTAssertEqual(tumour.points[1].changePercent!, 70.0 / 3, accuracy: 1e-9)
        XCTAssertEqual(tumour.points[2].changePercent!, -0.4 / 3.7 * 100, accuracy: 1e-9)
        XCTAssertNil(tumour.points[0].changeML)
        let cyst = try XCTUnwrap(history.labels.first { $0.label == "cyst" })
        XCTAssertEqual(cyst.points.map(\.volumeML), [0.5, 0, 0])
        XCTAssertEqual(cyst.points[1].changePercent, -100)
        XCTAssertNil(cyst.points[2].changePercent, "no percent change from 0 mL")
    }

    func testLesionTracksByCentroidDistance() throws {
        let history = try makeStore().history(patientID: "P")
        let tracks = history.lesions.map { ($0.trackID!, $0.label, $0.points.map(\.volumeML)) }
        XCTAssertEqual(tracks.map(\.0), ["T1", "T2", "T3", "T4", "T5"])
        XCTAssertEqual(tracks.map(\.2), [[2, 3], [1, 0.5], [0.5], [0.2], [3.3]])
        XCTAssertEqual(history.lesions[0].points[1].distanceMM, 3)
        XCTAssertEqual(history.lesions[0].points[1].changePercent, 50)
        XCTAssertEqual(history.lesions[1].points[1].distanceMM, 8)
        XCTAssertEqual(history.lesions[1].points[1].changeML, -0.5)
    }

    func testThresholdFrameOverrideAndModelFilter() throws {
        let store = try makeStore()
        let tight = try store.history(patientID: "P", options: HistoryOptions(matchDistanceMM: 5))
        XCTAssertEqual(tight.lesions.map { $0.points.count }, [2, 1, 1, 1, 1, 1], "B moved 8 mm: a new track at 5 mm")
        let aligned = try store.history(patientID: "P", options: HistoryOptions(assumeSharedFrame: true))
        XCTAssertEqual(aligned.lesions[0].points.map(\.volumeML), [2, 3, 3.3])
        XCTAssertEqual(aligned.lesions[0].points[2].changePercent!, 10, accuracy: 1e-9)
        let none = try store.history(patientID: "P", options: HistoryOptions(modelName: "other-model"))
        XCTAssertEqual(none.timepoints.count, 0)
        XCTAssertThrowsError(try store.history(patientID: "nobody")) { XCTAssertEqual($0 as? StoreError, .patientNotFound("nobody")) }
    }

    func testMatchingIsOneToOneClosestFirst() throws {
        let store = try TestStore.make()
        let first = try store.beginRun(Fixture.start(patient: "Q", study: "5.1", series: "5.1.1", date: "2025-01-01", frame: "F"))
        try store.completeRun(first, Fixture.result([(1, 1, [0, 0, 0]), (1, 2, [6, 0, 0])]))
        let second = try store.beginRun(Fixture.start(patient: "Q", study: "5.2", series: "5.2.1", date: "2025-02-01", frame: "F"))
        // One lesion at 4 mm from the first, 2 mm from the second: it continues the second only.
        try store.completeRun(second, Fixture.result([(1, 2.2, [4, 0, 0])]))
        let history = try store.history(patientID: "Q")
        XCTAssertEqual(history.lesions.map { $0.points.map(\.volumeML) }, [[1], [2, 2.2]])
        XCTAssertEqual(history.lesions[1].points[1].distanceMM, 2)
    }

    func testAmbiguousIssuerNeedsIssuer() throws {
        let store = try TestStore.make()
        _ = try store.beginRun(Fixture.start(patient: "Z", study: "8.1", series: "8.1.1", issuer: "H1"))
        _ = try store.beginRun(Fixture.start(patient: "Z", study: "8.2", series: "8.2.1", issuer: "H2"))
        XCTAssertThrowsError(try store.history(patientID: "Z"))
        XCTAssertEqual(try store.history(patientID: "Z", options: HistoryOptions(issuer: "H2")).issuer, "H2")
    }
}
