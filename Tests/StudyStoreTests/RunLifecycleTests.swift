import Foundation
import GRDB
import XCTest
@testable import StudyStore

final class RunLifecycleTests: XCTestCase {
    func testCompletedRunStoresEverythingInMemory() throws {
        let store = try StudyStore()
        let runID = try store.beginRun(Fixture.start())
        XCTAssertEqual(try store.runs().map(\.status), [.running])
        try store.completeRun(runID, Fixture.result([(1, 2.5, [0, 0, 0]), (1, 0.5, [30, 0, 0]), (2, 1, [0, 40, 0])], artefacts: 2))
        let detail = try store.show(runID)
        XCTAssertEqual(detail.run.status, .completed)
        XCTAssertEqual(detail.labels.map(\.name), ["tumour", "cyst"])
        XCTAssertEqual(detail.lesions.count, 3)
        XCTAssertEqual(detail.artefacts.count, 2)
        XCTAssertEqual(detail.parametersJSON, #"{"threshold":0.5,"tta":false}"#)
        XCTAssertEqual(detail.lesions.first?.recistLongMM, 12)
        XCTAssertEqual(detail.lesions.first?.bboxMaxK, 6)
        XCTAssertNotNil(detail.run.durationSeconds)
        XCTAssertEqual(try store.integrityCheck(), ["ok"])
    }

    func testRerunAddsOneRunAndDuplicatesNothingElse() throws {
        let store = try StudyStore()
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

    func testFailedRunLeavesNoLesionsOrArtefacts() throws {
        let store = try StudyStore()
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
        let store = try StudyStore()
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
        let store = try StudyStore()
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
        let store = try StudyStore()
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
        let store = try StudyStore()
        let alive = try store.beginRun(Fixture.start())
        let dead = try store.beginRun(Fixture.start())
        let legacy = try store.beginRun(Fixture.start())
        let here = ProcessIdentity.current
        XCTAssertNotNil(here.startTicks, "Linux /proc is expected")
        try store.writer.write { db in
            // A process start time that does not match: the PID was reused or the process is gone.
            try db.execute(sql: "UPDATE run SET processStartTicks = processStartTicks + 1 WHERE id = ?", arguments: [dead])
            // Recorded before schema v3: no process identity.
            try db.execute(sql: "UPDATE run SET hostname = NULL, pid = NULL WHERE id = ?", arguments: [legacy])
        }
        let status = Dictionary(uniqueKeysWithValues: try store.runs().map { ($0.runID, $0.status) })
        XCTAssertEqual(status[alive], .running)
        XCTAssertEqual(status[dead], .incomplete)
        XCTAssertEqual(status[legacy], .incomplete)
        XCTAssertEqual(try store.runs(RunFilter(status: .incomplete)).map(\.runID), [dead, legacy])
        XCTAssertEqual(try store.runs(RunFilter(status: .running)).map(\.runID), [alive])
        XCTAssertEqual(try store.runs(RunFilter(status: .completed)).count, 0)
    }

    func testProcStatParsingHandlesSpacesInCommandName() throws {
        // Our own entry is parsed; a PID that cannot exist gives nil.
        XCTAssertNotNil(ProcessIdentity.startTicks(of: Int64(getpid())))
        XCTAssertNil(ProcessIdentity.startTicks(of: 999_999_999))
        XCTAssertEqual(ProcessIdentity(hostname: "another-host", pid: 1, startTicks: 1, bootID: nil).isAlive(), nil)
    }

    func testForeignKeysCascadeAndAreEnforced() throws {
        let store = try StudyStore()
        let runID = try store.beginRun(Fixture.start())
        try store.completeRun(runID, Fixture.result([(1, 1, [0, 0, 0])]))
        try store.writer.write { db in
            XCTAssertThrowsError(try db.execute(sql: "INSERT INTO lesion (runID, labelID, lesionIndex, voxelCount, volumeML, centroidXMM, centroidYMM, centroidZMM) VALUES (999, 999, 1, 1, 1, 0, 0, 0)"))
            try db.execute(sql: "DELETE FROM patient")
        }
        for table in ["study", "series", "run", "label", "lesion", "artefact"] {
            XCTAssertEqual(try Fixture.count(store, table), 0, table)
        }
        XCTAssertEqual(try store.integrityCheck(), ["ok"])
    }
}
