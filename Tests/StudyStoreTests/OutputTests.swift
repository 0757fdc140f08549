import Foundation
import XCTest
@testable import StudyStore

/// Shapes of the CSV, JSON and table output of the query commands.
final class OutputTests: XCTestCase {
    func populatedStore() throws -> StudyStore {
        let store = try TestStore.make()
        let runID = try store.beginRun(Fixture.start())
        var result = Fixture.result([(1, 2.5, [1.5, -2, 3]), (2, 0.75, [0, 0, 0])])
        result.labels[0].name = "tumour, \"primary\""
        try store.completeRun(runID, result)
        return store
    }

    /// Splits one RFC 4180 line (no embedded line breaks in these tests).
    func fields(_ line: String) -> [String] {
        var out: [String] = [], field = "", quoted = false, chars = Array(line), i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\"" { if i + 1 < chars.count, chars[i + 1] == "\"" { field.append("\""); i += 1 } else { quoted = false } }
                else { field.append(c) }
            } else if c == "\"" { quoted = true }
            else if c == "," { out.append(field); field = "" }
            else { field.append(c) }
            i += 1
        }
        out.append(field)
        return out
    }

    func jsonObjects(_ text: String) throws -> [[String: Any]] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
    }

    func testLesionCSVHasOneColumnPerFieldAndQuotes() throws {
        let rows = try populatedStore().lesions()
        let lines = try StoreOutput.csv(rows).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3)
        XCTAssertEqual(fields(lines[0]), LesionRow.columns)
        let first = Dictionary(uniqueKeysWithValues: zip(LesionRow.columns, fields(lines[1])))
        XCTAssertEqual(fields(lines[1]).count, LesionRow.columns.count)
        XCTAssertEqual(first["label"], "tumour, \"primary\"")
        XCTAssertEqual(first["volumeML"], "2.5")
        XCTAssertEqual(first["centroidYMM"], "-2")
        XCTAssertEqual(first["touchesBorder"], "false")
        XCTAssertEqual(first["extraJSON"], #"{"elongation":0.7}"#)
        XCTAssertTrue(lines[1].contains(#""{""elongation"":0.7}""#), "JSON text is quoted with doubled quotes")
    }

    func testJSONKeysAreTheCSVColumns() throws {
        let store = try populatedStore()
        let lesions = try jsonObjects(try StoreOutput.json(try store.lesions()))
        XCTAssertEqual(lesions.count, 2)
        // Fully measured lesion: every column present, nothing else.
        XCTAssertEqual(Set(lesions[0].keys), Set(LesionRow.columns))
        XCTAssertEqual(lesions[0]["volumeML"] as? Double, 2.5)
        let runs = try jsonObjects(try StoreOutput.json(try store.runs()))
        XCTAssertTrue(Set(runs[0].keys).isSubset(of: Set(RunSummary.columns)))
        XCTAssertEqual(runs[0]["status"] as? String, "completed")
        let started = try XCTUnwrap(runs[0]["startedAt"] as? String)
        XCTAssertNotNil(ISO8601DateFormatter().date(from: started), started)
        let studies = try jsonObjects(try StoreOutput.json(try store.studies()))
        XCTAssertEqual(Set(studies[0].keys), Set(StudySummary.columns))
        XCTAssertEqual(studies[0]["folderName"] as? String, StudyStore.safeFolderName(patientID: "PAT-1", studyUID: "1.2.3.1"))
        for columns in [LesionRow.tableColumns, RunSummary.tableColumns, StudySummary.tableColumns] {
            XCTAssertFalse(columns.isEmpty)
        }
        XCTAssertTrue(Set(LesionRow.tableColumns).isSubset(of: Set(LesionRow.columns)))
        XCTAssertTrue(Set(RunSummary.tableColumns).isSubset(of: Set(RunSummary.columns)))
        XCTAssertTrue(Set(StudySummary.tableColumns).isSubset(of: Set(StudySummary.columns)))
    }

    func testEmptyResultsKeepTheirShape() throws {
        let store = try TestStore.make()
        XCTAssertEqual(try StoreOutput.csv(try store.lesions()), LesionRow.columns.joined(separator: ",") + "\n")
        XCTAssertEqual(try jsonObjects(try StoreOutput.json(try store.runs())).count, 0)
    }

    func testTableRoundsDecimalsOnly() throws {
        let table = try StoreOutput.table(try populatedStore().lesions())
        let lines = table.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines[0].hasPrefix("runID  patientID"))
        XCTAssertTrue(lines[1].contains("2.50"), String(lines[1]))
        XCTAssertTrue(lines[1].contains("1.50"), String(lines[1]))
    }

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
        XCTAssertEqual(try store.studies(StudyFilter(since: "20250301")).map(\.studyInstanceUID), ["2.1", "2.2"])
        XCTAssertEqual(try store.studies(StudyFilter(patientID: "B")).map(\.completedRunCount), [1, 0])
        XCTAssertThrowsError(try store.studies(StudyFilter(since: "yesterday")))
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
