import Core
import Foundation
import XCTest
@testable import StudyStore

/// The filters of the query API (the CLI's formatting of the rows is tested in EndToEndTests/QueryOutputTests).
final class QueryFilterTests: XCTestCase {
    func testFiltersOfQueries() throws {
        let store = try TestStore.make()
        let a = try store.beginRun(Fixture.start(patient: "A", study: "1.1", series: "1.1.1", date: "2024-01-01", modality: "CT"))
        try store.completeRun(a, Fixture.result([(1, 5, [0, 0, 0]), (1, 0.5, [9, 9, 9]), (2, 2, [1, 1, 1])]))
        let b = try store.beginRun(Fixture.start(patient: "B", study: "2.1", series: "2.1.1", date: "20250301"))
        try store.completeRun(b, Fixture.result([(1, 1, [0, 0, 0])]))
        let c = try store.beginRun(Fixture.start(patient: "B", study: "2.2", series: "2.2.1", date: "2025-06-01"))
        try store.failRun(c, message: "x")
        XCTAssertEqual(try store.studies(StudyFilter(patientID: "B")).map(\.studyInstanceUID), ["2.1", "2.2"])
        XCTAssertEqual(try store.studies(StudyFilter(modality: "ct")).map(\.patientID), ["A"])
        XCTAssertEqual(try store.studies(StudyFilter(since: ISODate(dicomOrISO: "20250301"))).map(\.studyInstanceUID), ["2.1", "2.2"])
        XCTAssertEqual(try store.studies(StudyFilter(patientID: "B")).map(\.completedRunCount), [1, 0])
        XCTAssertNil(ISODate(dicomOrISO: "yesterday"), "the CLI refuses such --since values before querying")
        XCTAssertEqual(try store.runs(RunFilter(status: .failed)).map(\.runID), [c])
        XCTAssertEqual(try store.runs(RunFilter(patientID: "A")).map(\.lesionCount), [3])
        XCTAssertEqual(try store.lesions(LesionFilter(patientID: "A", minVolumeML: 2)).map(\.volumeML), [5, 2])
        XCTAssertEqual(try store.lesions(LesionFilter(minVolumeML: 1, label: "TUMOUR")).map(\.volumeML), [5, 1])
        XCTAssertEqual(try store.lesions(LesionFilter(patientID: "nobody")).count, 0)
        // A re-run of series 2.1.1: all runs by default, only the latest with latestRunsOnly.
        let rerun = try store.beginRun(Fixture.start(patient: "B", study: "2.1", series: "2.1.1", date: "20250301"))
        try store.completeRun(rerun, Fixture.result([(1, 1.25, [0, 0, 0])]))
        XCTAssertEqual(try store.lesions(LesionFilter(patientID: "B")).map(\.volumeML), [1, 1.25])
        XCTAssertEqual(try store.lesions(LesionFilter(patientID: "B", latestRunsOnly: true)).map(\.runID), [rerun])
        XCTAssertThrowsError(try store.show(12345)) { XCTAssertEqual($0 as? StoreError, .runNotFound(12345)) }
    }
}
