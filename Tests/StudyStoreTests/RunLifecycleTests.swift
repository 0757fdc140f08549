import Foundation
import GRDB
import XCTest
@testable import StudyStore

final class RunLifecycleTests: XCTestCase {
    /// An instance model's detection scores (migration "i17-lesion-detection-score") come back with the
    /// lesion; other lesions read NULL.
    func testDetectionScoresRoundTrip() throws {
        let store = try TestStore.make()
        let runID = try store.beginRun(Fixture.start())
        var result = Fixture.result([(1, 2.5, [0, 0, 0]), (1, 0.5, [30, 0, 0])])
        result.lesions[0].detectionScoreMean = 0.8125
        result.lesions[0].detectionScoreMax = 0.96875
        try store.completeRun(runID, result)
        let lesions = try store.show(runID).lesions
        XCTAssertEqual(lesions.map(\.detectionScoreMean), [0.8125, nil])
        XCTAssertEqual(lesions.map(\.detectionScoreMax), [0.96875, nil])
        XCTAssertEqual(try store.lesions(LesionFilter()).map(\.detectionScoreMax), [0.96875, nil])
    }

    func testCompletedRunStoresEverythingInMemory() throws {
        let store = try TestStore.make()
        let runID = try store.beginRun(Fixture.start())
        XCTAssertEqual(try store.runs().map(\.status), [.running])
        try store.completeRun(runID, Fixture.result([(1, 2.5, [0, 0, 0]), (1, 0.5, [30, 0, 0]), (2, 1, [0, 40, 0])], artefacts: 2))
        let detail = try store.show(runID)
        XCTAssertEqual(detail.run.status, .completed)
        XCTAssertEqual(detail.labels.map(\.name), ["tumour", "cyst"])
        XCTAssertEqual(detail.lesions.count, 3)
        XCTAssertEqual(detail.artefacts.count, 2)
        XCTAssertEqual(detail.parametersJSON, #"{"threshold":0.5,"tta":false}"#)
        // Every measurement comes back in its own column.
        let row = try XCTUnwrap(detail.lesions.first)
        let sent = Fixture.result([(1, 2.5, [0, 0, 0])]).lesions[0]
        XCTAssertEqual([row.volumeML, row.meshVolumeML, row.surfaceAreaMM2, row.sphericity, row.maxDiameter3DMM,
                        row.recistLongMM, row.recistShortMM, row.meanIntensity, row.stdIntensity, row.minIntensity,
                        row.maxIntensity, row.medianIntensity],
                       [sent.volumeML, sent.meshVolumeML, sent.surfaceAreaMM2, sent.sphericity, sent.maxDiameter3DMM,
                        sent.recistLongMM, sent.recistShortMM, sent.meanIntensity, sent.stdIntensity, sent.minIntensity,
                        sent.maxIntensity, sent.medianIntensity])
        XCTAssertEqual([row.bboxMinI, row.bboxMinJ, row.bboxMinK, row.bboxMaxI, row.bboxMaxJ, row.bboxMaxK], [1, 2, 3, 4, 5, 6])
        XCTAssertEqual([row.voxelCount, row.lesionIndex, row.labelValue], [sent.voxelCount, 1, 1])
        XCTAssertEqual(row.label, "tumour")
        XCTAssertEqual(row.extraJSON, sent.extraJSON)
        XCTAssertEqual(detail.lesions[1].centroidXMM, 30)
        XCTAssertEqual(detail.lesions[2].centroidYMM, 40)
        XCTAssertEqual(row.modelName, "liver-net")
        XCTAssertEqual(row.frameOfReferenceUID, "1.2.3.9")
        XCTAssertEqual(row.seriesInstanceUID, "1.2.3.1.1")
        XCTAssertEqual(row.studyDate, "2025-01-10")
        XCTAssertNotNil(detail.run.durationSeconds)
        XCTAssertEqual(try store.integrityCheck(), ["ok"])
    }

    func testRerunAddsOneRunAndDuplicatesNothingElse() throws {
        let store = try TestStore.make()
        for _ in 0..<3 {
            let runID = try store.beginRun(Fixture.start())
            try store.completeRun(runID, Fixture.result([(1, 2.5, [0, 0, 0])]))
        }
        XCTAssertEqual(try Fixture.count(store, "patient"), 1)
        XCTAssertEqual(try Fixture.count(store, "study"), 1)
        XCTAssertEqual(try Fixture.count(store, "series"), 1)
        XCTAssertEqual(try Fixture.count(store, "run"), 3)
        XCTAssertEqual(try Fixture.count(store, "lesion"), 3)
        // A second series of the same study adds a series only.
        _ = try store.beginRun(Fixture.start(series: "1.2.3.1.2"))
        XCTAssertEqual(try Fixture.count(store, "study"), 1)
        XCTAssertEqual(try Fixture.count(store, "series"), 2)
    }

    func testEncodableParametersAreSortedJSONWithPlainSlashes() throws {
        struct Parameters: Encodable { var tta = false; var inputs = ["scans/FLAIR", "scans/T1c"] }
        let base = Fixture.start()
        let start = try RunStart(patient: base.patient, study: base.study, series: base.series, model: base.model,
                                 parameters: Parameters(), inputFingerprint: "fp", segstationVersion: "0.1.0")
        XCTAssertEqual(start.parametersJSON, #"{"inputs":["scans/FLAIR","scans/T1c"],"tta":false}"#)
        let store = try TestStore.make()
        XCTAssertEqual(try store.show(try store.beginRun(start)).parametersJSON, start.parametersJSON)
    }

    func testFailedRunLeavesNoLesionsOrArtefacts() throws {
        let store = try TestStore.make()
        let runID = try store.beginRun(Fixture.start())
        try store.failRun(runID, message: "engine: out of memory")
        let detail = try store.show(runID)
        XCTAssertEqual(detail.run.status, .failed)
        XCTAssertEqual(detail.run.errorMessage, "engine: out of memory")
        XCTAssertEqual(try Fixture.count(store, "lesion"), 0)
        XCTAssertEqual(try Fixture.count(store, "artefact"), 0)
        XCTAssertEqual(try Fixture.count(store, "label"), 0)
        XCTAssertThrowsError(try store.completeRun(runID, Fixture.result([]))) { error in
            XCTAssertEqual(error as? StoreError, .runNotRunning(runID: runID, status: "failed"))
        }
    }

    func testCompleteIsAllOrNothing() throws {
        let store = try TestStore.make()
        let runID = try store.beginRun(Fixture.start())
        // Label 7 is not declared: the whole result is refused and nothing is written.
        var result = Fixture.result([(1, 1, [0, 0, 0])])
        result.lesions.append(LesionInfo(labelValue: 7, index: 1, voxelCount: 3, volumeML: 0.1, centroidLPSMM: [1, 1, 1]))
        XCTAssertThrowsError(try store.completeRun(runID, result))
        XCTAssertEqual(try Fixture.count(store, "label"), 0)
        XCTAssertEqual(try Fixture.count(store, "lesion"), 0)
        XCTAssertEqual(try store.runs().first?.status, .running)
        try store.completeRun(runID, Fixture.result([(1, 1, [0, 0, 0])]))
        XCTAssertThrowsError(try store.completeRun(runID, Fixture.result([]))) { error in
            XCTAssertEqual(error as? StoreError, .runNotRunning(runID: runID, status: "completed"))
        }
        XCTAssertThrowsError(try store.failRun(runID, message: "late")) { error in
            XCTAssertEqual(error as? StoreError, .runNotRunning(runID: runID, status: "completed"))
        }
    }

    func testDatabaseErrorInsideCompleteRollsBack() throws {
        try TestStore.requireSQLite("a SQLite trigger makes the last statement fail")
        let store = try TestStore.make()
        let runID = try store.beginRun(Fixture.start())
        // Make the final UPDATE of the run fail after labels and lesions were inserted.
        try store.writer.write { db in
            try db.execute(sql: """
                CREATE TRIGGER refuse_completion BEFORE UPDATE OF status ON run WHEN NEW.status = 'completed'
                BEGIN SELECT RAISE(ABORT, 'refused by test'); END
                """)
        }
        XCTAssertThrowsError(try store.completeRun(runID, Fixture.result([(1, 1, [0, 0, 0]), (2, 2, [1, 1, 1])]))) { error in
            guard case .sqlite(_, let message)? = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("refused by test"), message)
        }
        XCTAssertEqual(try Fixture.count(store, "label"), 0)
        XCTAssertEqual(try Fixture.count(store, "lesion"), 0)
        XCTAssertEqual(try Fixture.count(store, "artefact"), 0)
    }

    func testIdentityConflictsAndValidation() throws {
        let store = try TestStore.make()
        _ = try store.beginRun(Fixture.start(patient: "A"))
        XCTAssertThrowsError(try store.beginRun(Fixture.start(patient: "B"))) { error in
            guard case .identityConflict? = error as? StoreError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try store.beginRun(Fixture.start(patient: "A", study: "9.9", series: "1.2.3.1.1"))) { error in
            guard case .identityConflict? = error as? StoreError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try store.beginRun(Fixture.start(date: "2025-13-01")))
        var badJSON = Fixture.start()
        badJSON.parametersJSON = "[1,2"
        XCTAssertThrowsError(try store.beginRun(badJSON))
        XCTAssertThrowsError(try store.completeRun(999, Fixture.result([]))) { error in
            XCTAssertEqual(error as? StoreError, .runNotFound(999))
        }
        // Same patient ID under another issuer is another patient.
        _ = try store.beginRun(Fixture.start(patient: "A", study: "7.7", series: "7.7.1", issuer: "HOSP2"))
        XCTAssertEqual(try Fixture.count(store, "patient"), 2)
        XCTAssertEqual(try Fixture.count(store, "run"), 2)
    }

    func testDeadRunningRunIsIncompleteNeverCompleted() throws {
        let store = try TestStore.make()
        let alive = try store.beginRun(Fixture.start())
        let dead = try store.beginRun(Fixture.start())
        let legacy = try store.beginRun(Fixture.start())
        let otherHostRecent = try store.beginRun(Fixture.start())
        let otherHostOld = try store.beginRun(Fixture.start())
        let here = ProcessIdentity.current
        XCTAssertNotNil(here.startTicks, "Linux /proc is expected")
        try store.write("test") { db in
            // A process start time that does not match: the PID was reused or the process is gone.
            try db.execute("UPDATE run SET processStartTicks = processStartTicks + 1 WHERE id = ?", [dead.sqlValue])
            // Recorded before schema v3: no process identity.
            try db.execute("UPDATE run SET hostname = NULL, pid = NULL WHERE id = ?", [legacy.sqlValue])
            // Another host cannot be checked: believed for 24 h.
            try db.execute("UPDATE run SET hostname = 'elsewhere.example' WHERE id IN (?, ?)", [otherHostRecent.sqlValue, otherHostOld.sqlValue])
            try db.execute("UPDATE run SET startedAt = ? WHERE id = ?", [Date().addingTimeInterval(-25 * 3600).sqlValue, otherHostOld.sqlValue])
        }
        let status = Dictionary(uniqueKeysWithValues: try store.runs().map { ($0.runID, $0.status) })
        XCTAssertEqual(status[alive], .running)
        XCTAssertEqual(status[dead], .incomplete)
        XCTAssertEqual(status[legacy], .incomplete)
        XCTAssertEqual(status[otherHostRecent], .running)
        XCTAssertEqual(status[otherHostOld], .incomplete)
        XCTAssertEqual(Set(try store.runs(RunFilter(status: .incomplete)).map(\.runID)), [dead, legacy, otherHostOld])
        XCTAssertEqual(Set(try store.runs(RunFilter(status: .running)).map(\.runID)), [alive, otherHostRecent])
        XCTAssertEqual(try store.runs(RunFilter(status: .completed)).count, 0)
    }

    func testProcStatParsingHandlesSpacesInCommandName() throws {
        // Our own entry is parsed; a PID that cannot exist gives nil.
        XCTAssertNotNil(ProcessIdentity.startTicks(of: Int64(getpid())))
        XCTAssertNil(ProcessIdentity.startTicks(of: 999_999_999))
        XCTAssertEqual(ProcessIdentity(hostname: "another-host", pid: 1, startTicks: 1, bootID: nil).isAlive(), nil)
    }

    func testForeignKeysCascadeAndAreEnforced() throws {
        let store = try TestStore.make()
        let runID = try store.beginRun(Fixture.start())
        try store.completeRun(runID, Fixture.result([(1, 1, [0, 0, 0])]))
        XCTAssertThrowsError(try store.write("test") { db in
            try db.execute("INSERT INTO lesion (runID, labelID, lesionIndex, voxelCount, volumeML, centroidXMM, centroidYMM, centroidZMM) VALUES (999, 999, 1, 1, 1, 0, 0, 0)", [])
        })
        try store.write("test") { db in try db.execute("DELETE FROM patient", []) }
        for table in ["study", "series", "run", "label", "lesion", "artefact"] {
            XCTAssertEqual(try Fixture.count(store, table), 0, table)
        }
        XCTAssertEqual(try store.integrityCheck(), ["ok"])
    }
}
