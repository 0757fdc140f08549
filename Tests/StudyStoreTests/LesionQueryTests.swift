import Foundation
import XCTest
import TestSupport
@testable import StudyStore

/// `StudyStore.lesions` (three statements, ordered in Swift) against the plain definition: one join
/// of lesion, label, run, series, study and patient with the filters in WHERE and
/// `ORDER BY patientID, studyDate, run, label value, lesion index`, on data built to trip the
/// ordering: labels stored in an order other than their values, studies without a date and on the
/// same date, one patient ID under two issuers, re-runs, failed and running runs.
final class LesionQueryTests: XCTestCase {
    func makeStore() throws -> StudyStore {
        let store = try TestStore.make()
        var random = SplitMix(seed: 7)
        func lesions(_ count: Int) -> [LesionInfo] {
            var perLabel: [Int: Int] = [:]
            return (0..<count).map { _ in
                let label = [1, 2, 3].randomElement(using: &random)!
                perLabel[label, default: 0] += 1
                let volume = Double(Int.random(in: 1...4000, using: &random)) / 1000
                return LesionInfo(labelValue: label, index: perLabel[label]!, voxelCount: 10, volumeML: volume,
                                  centroidLPSMM: [Double(count), volume, -1], meshVolumeML: Bool.random(using: &random) ? volume : nil,
                                  bboxIJK: [1, 2, 3, 4, 5, 6], touchesBorder: Bool.random(using: &random),
                                  extraJSON: Bool.random(using: &random) ? #"{"k":1}"# : nil)
            }.shuffled(using: &random)
        }
        // Label rows inserted in value order 3, 1, 2 (so label row ids do not follow values).
        let labels = [LabelInfo(value: 3, name: "Oedema"), LabelInfo(value: 1, name: "tumour"), LabelInfo(value: 2, name: "cyst")]
        let plan: [(patient: String, issuer: String, study: String, date: String?, status: String)] = [
            ("P-2", "", "1.9.1", "2025-03-01", "completed"), ("P-1", "", "1.9.2", nil, "completed"),
            ("P-1", "", "1.9.3", "2024-12-31", "completed"), ("P-1", "", "1.9.3", "2024-12-31", "completed"),
            ("P-1", "", "1.9.4", "2024-12-31", "failed"), ("P-1", "ISSUER-B", "1.9.5", "2024-06-01", "completed"),
            ("P-3", "", "1.9.6", "2025-01-01", "running"), ("P-2", "", "1.9.1", "2025-03-01", "completed"),
        ]
        for (n, step) in plan.enumerated() {
            var start = Fixture.start(patient: step.patient, study: step.study, series: step.study + ".1",
                                      date: step.date ?? "", issuer: step.issuer)
            if step.date == nil { start.study.studyDate = nil }
            let runID = try store.beginRun(start)
            switch step.status {
            case "completed": try store.completeRun(runID, RunResult(labels: labels, lesions: lesions(5 + 7 * n), artefacts: []))
            case "failed": try store.failRun(runID, message: "test")
            default: break
            }
        }
        return store
    }

    /// The join the query must equal (the implementation before the three-statement version).
    func reference(_ store: StudyStore, _ filter: LesionFilter, completedRunsOnly: Bool = true) throws -> [LesionRow] {
        var c = Conditions()
        if completedRunsOnly { c.add("r.status = 'completed'", []) }
        if let id = filter.patientID { c.add("p.patientID = ?", [id.sqlValue]) }
        if let v = filter.minVolumeML { c.add("l.volumeML >= ?", [v.sqlValue]) }
        if let name = filter.label { c.add("upper(lb.name) = upper(?)", [name.sqlValue]) }
        if let runID = filter.runID { c.add("l.runID = ?", [runID.sqlValue]) }
        if filter.latestRunsOnly {
            c.add("NOT EXISTS (SELECT 1 FROM run later WHERE later.seriesRowID = r.seriesRowID AND later.status = 'completed' AND later.modelName = r.modelName AND later.id > r.id)", [])
        }
        let context = ["runID": "l.runID", "patientID": "p.patientID", "studyInstanceUID": "s.studyInstanceUID",
                       "studyDate": "s.studyDate", "seriesInstanceUID": "x.seriesInstanceUID",
                       "frameOfReferenceUID": "x.frameOfReferenceUID", "modelName": "r.modelName",
                       "labelValue": "lb.value", "label": "lb.name"]
        let columns = Array(context.keys) + StudyStore.lesionMeasurementColumns
        let select = columns.map { "\(context[$0] ?? "l.\($0)") AS \($0)" }.joined(separator: ", ")
        let sql = """
            SELECT \(select) FROM lesion l JOIN label lb ON lb.id = l.labelID JOIN run r ON r.id = l.runID
            JOIN series x ON x.id = r.seriesRowID JOIN study s ON s.id = x.studyRowID JOIN patient p ON p.id = s.patientRowID
            \(c.sql) ORDER BY p.patientID, s.studyDate\(TestStore.isPostgres ? " NULLS FIRST" : ""), r.id, lb.value, l.lesionIndex
            """
        return try store.read("reference join") { db in
            try db.fetch(sql, c.arguments).map { row in
                LesionRow(runID: row.int64("runID")!, patientID: row.string("patientID")!, studyInstanceUID: row.string("studyInstanceUID")!,
                          studyDate: row.string("studyDate"), seriesInstanceUID: row.string("seriesInstanceUID")!,
                          frameOfReferenceUID: row.string("frameOfReferenceUID"), modelName: row.string("modelName")!,
                          labelValue: row.int("labelValue")!, label: row.string("label")!, lesionIndex: row.int("lesionIndex")!,
                          voxelCount: row.int("voxelCount")!, volumeML: row.double("volumeML")!, meshVolumeML: row.double("meshVolumeML"),
                          surfaceAreaMM2: row.double("surfaceAreaMM2"), sphericity: row.double("sphericity"), maxDiameter3DMM: row.double("maxDiameter3DMM"),
                          recistLongMM: row.double("recistLongMM"), recistShortMM: row.double("recistShortMM"), centroidXMM: row.double("centroidXMM")!,
                          centroidYMM: row.double("centroidYMM")!, centroidZMM: row.double("centroidZMM")!, bboxMinI: row.int("bboxMinI"),
                          bboxMinJ: row.int("bboxMinJ"), bboxMinK: row.int("bboxMinK"), bboxMaxI: row.int("bboxMaxI"), bboxMaxJ: row.int("bboxMaxJ"),
                          bboxMaxK: row.int("bboxMaxK"), meanIntensity: row.double("meanIntensity"), stdIntensity: row.double("stdIntensity"),
                          minIntensity: row.double("minIntensity"), maxIntensity: row.double("maxIntensity"), medianIntensity: row.double("medianIntensity"),
                          touchesBorder: row.bool("touchesBorder")!, extraJSON: row.string("extraJSON"))
            }
        }
    }

    func testLesionQueryEqualsPlainJoinForEveryFilter() throws {
        let store = try makeStore()
        var filters: [LesionFilter] = []
        for patient in [nil, "P-1", "P-2", "P-3", "absent"] {
            for volume in [nil, 0, 1.5, 3.999, 10] as [Double?] {
                for label in [nil, "TUMOUR", "oedema", "none"] {
                    for latest in [false, true] {
                        filters.append(LesionFilter(patientID: patient, minVolumeML: volume, label: label, latestRunsOnly: latest))
                    }
                }
            }
        }
        for runID in 1...9 { filters.append(LesionFilter(minVolumeML: 1, runID: Int64(runID))) }
        var nonEmpty = 0
        for filter in filters {
            let expected = try reference(store, filter)
            XCTAssertEqual(try store.lesions(filter), expected, "\(filter)")
            // The other form of statements 2 and 3: the scope as a subquery (more runs than `listedRuns`).
            for listed in [0, 1] {
                XCTAssertEqual(try store.read("test") { try StudyStore.fetchLesions($0, filter, listedRuns: listed) }, expected, "\(filter), \(listed)")
            }
            if !expected.isEmpty { nonEmpty += 1 }
        }
        XCTAssertGreaterThan(nonEmpty, 40, "the filters should mostly select something")
        let all = try store.lesions()
        XCTAssertEqual(all.count, try Fixture.count(store, "lesion"))
        XCTAssertEqual(Set(all.map(\.labelValue)), [1, 2, 3])
        // show() lists a run's lesions whatever its status, in the same order.
        for runID in 1...8 {
            XCTAssertEqual(try store.show(Int64(runID)).lesions,
                           try reference(store, LesionFilter(runID: Int64(runID)), completedRunsOnly: false), "run \(runID)")
        }
    }
}
