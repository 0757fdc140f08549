import Core
import Foundation
import StudyStore
import XCTest
@testable import segstation

/// Shapes of the CSV, JSON and table output of the query commands, from typed store rows.
final class QueryOutputTests: XCTestCase {
    /// A store with one completed run of two lesions; label 1 is named `label`.
    func populatedStore(label: String = "tumour, \"primary\"") throws -> StudyStore {
        let store = try StudyStore()
        let runID = try store.beginRun(RunStart(
            patient: PatientInfo(patientID: "PAT-1", name: "Doe^Jane"),
            study: StudyInfo(studyInstanceUID: "1.2.3.1", studyDate: "2025-01-10"),
            series: SeriesInfo(seriesInstanceUID: "1.2.3.1.1", modality: "MR", frameOfReferenceUID: "1.2.3.9"),
            model: ModelInfo(name: "liver-net", version: "1.0", sha256: String(repeating: "ab", count: 32)),
            inputFingerprint: "fp", segstationVersion: "0.1.0"))
        let lesions = [(2.5, [1.5, -2, 3]), (0.75, [0, 0, 0])].enumerated().map { i, lesion in
            LesionInfo(labelValue: 1, index: i + 1, voxelCount: 100, volumeML: lesion.0, centroidLPSMM: lesion.1,
                       meshVolumeML: 1e-7, maxDiameter3DMM: 12.5, touchesBorder: false, extraJSON: #"{"elongation":0.7}"#)
        }
        try store.completeRun(runID, RunResult(labels: [LabelInfo(value: 1, name: label, colorHex: "#FF0000")],
                                               lesions: lesions, artefacts: []))
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

    func jsonObjects<T: Encodable>(_ rows: T) throws -> [[String: Any]] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: JSONFormat.encoder().encode(rows)) as? [[String: Any]])
    }

    func testLesionCSVHasOneColumnPerFieldAndQuotes() throws {
        let rows = try populatedStore().lesions()
        let lines = QueryOutput.csv(rows).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 3)
        let names = LesionRow.columns.map(\.name)
        XCTAssertEqual(fields(lines[0]), names)
        let first = Dictionary(uniqueKeysWithValues: zip(names, fields(lines[1])))
        XCTAssertEqual(fields(lines[1]).count, names.count)
        XCTAssertEqual(first["label"], "tumour, \"primary\"")
        XCTAssertEqual(first["volumeML"], "2.5")
        XCTAssertEqual(first["centroidYMM"], "-2", "numbers are never neutralised")
        XCTAssertEqual(first["meshVolumeML"], "1e-07")
        XCTAssertEqual(first["touchesBorder"], "false")
        XCTAssertEqual(first["sphericity"], "", "not measured")
        XCTAssertEqual(first["extraJSON"], #"{"elongation":0.7}"#)
        XCTAssertTrue(lines[1].contains(#""{""elongation"":0.7}""#), "JSON text is quoted with doubled quotes")
    }

    /// Issue 11 point 13: text a spreadsheet would run as a formula gets a leading ' (OWASP CSV injection).
    func testCSVNeutralisesFormulas() throws {
        for (label, expected) in [("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"), ("+1+1", "'+1+1"),
                                  ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\r=x", "'\r=x"),
                                  ("tumour", "tumour"), ("a=b", "a=b")] {
            let rows = try populatedStore(label: label).lesions()
            let csv = QueryOutput.csv(rows)
            let line = String(csv.split(separator: "\n", omittingEmptySubsequences: false)[1])
            XCTAssertEqual(fields(line)[LesionRow.columns.firstIndex { $0.name == "label" }!], expected, label)
        }
        XCTAssertEqual(QueryOutput.csvField("-2.5"), "-2.5", "only text cells are neutralised")
        XCTAssertEqual(QueryOutput.csvField("=1", neutraliseFormula: true), "'=1")
    }

    func testJSONKeysAreTheCSVColumns() throws {
        let store = try populatedStore()
        let lesions = try jsonObjects(try store.lesions())
        XCTAssertEqual(lesions.count, 2)
        // A lesion with every measurement except sphericity (and no detection score: not an instance
        // model's): every other column present, nothing else.
        XCTAssertEqual(Set(lesions[0].keys).union(["sphericity", "surfaceAreaMM2", "recistLongMM", "recistShortMM", "frameOfReferenceUID",
                                                   "bboxMinI", "bboxMinJ", "bboxMinK", "bboxMaxI", "bboxMaxJ", "bboxMaxK",
                                                   "meanIntensity", "stdIntensity", "minIntensity", "maxIntensity", "medianIntensity",
                                                   "detectionScoreMean", "detectionScoreMax"]),
                       Set(LesionRow.columns.map(\.name)))
        XCTAssertTrue(Set(lesions[0].keys).isSubset(of: Set(LesionRow.columns.map(\.name))))
        XCTAssertEqual(lesions[0]["volumeML"] as? Double, 2.5)
        let runs = try jsonObjects(try store.runs())
        XCTAssertTrue(Set(runs[0].keys).isSubset(of: Set(RunSummary.columns.map(\.name))))
        XCTAssertEqual(runs[0]["status"] as? String, "completed")
        let started = try XCTUnwrap(runs[0]["startedAt"] as? String)
        XCTAssertNotNil(ISO8601DateFormatter().date(from: started), started)
        let csvStarted = fields(String(QueryOutput.csv(try store.runs()).split(separator: "\n")[1]))[RunSummary.columns.firstIndex { $0.name == "startedAt" }!]
        XCTAssertEqual(csvStarted, started, "CSV and JSON write dates alike")
        let studies = try jsonObjects(try store.studies())
        XCTAssertEqual(Set(studies[0].keys).union(["accessionNumber", "studyDescription"]), Set(StudySummary.columns.map(\.name)))
        XCTAssertEqual(studies[0]["folderName"] as? String, SafeNames.studyFolder(patientID: "PAT-1", studyUID: "1.2.3.1"))
        for (table, all) in [(LesionRow.tableColumns, LesionRow.columns.map(\.name)), (RunSummary.tableColumns, RunSummary.columns.map(\.name)),
                             (StudySummary.tableColumns, StudySummary.columns.map(\.name))] {
            XCTAssertFalse(table.isEmpty)
            XCTAssertTrue(Set(table).isSubset(of: Set(all)))
        }
    }

    func testEmptyResultsKeepTheirShape() throws {
        let store = try StudyStore()
        XCTAssertEqual(QueryOutput.csv(try store.lesions()), LesionRow.columns.map(\.name).joined(separator: ",") + "\n")
        XCTAssertEqual(try jsonObjects(try store.runs()).count, 0)
    }

    func testTableRoundsDecimalsOnly() throws {
        let table = QueryOutput.table(try populatedStore().lesions())
        let lines = table.split(separator: "\n")
        XCTAssertEqual(lines.count, 3)
        XCTAssertTrue(lines[0].hasPrefix("runID  patientID"))
        XCTAssertTrue(lines[1].contains("2.50"), String(lines[1]))
        XCTAssertTrue(lines[1].contains("1.50"), String(lines[1]))
        XCTAssertTrue(lines[1].hasPrefix("1      PAT-1"), String(lines[1]))
    }
}
