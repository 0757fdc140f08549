import Foundation
import GRDB
import XCTest
@testable import StudyStore

/// Issue 11: foreign databases left untouched, read-only queries, superseded artefacts, report rehash.
final class GuardTests: XCTestCase {
    /// Regression: `--db` at another program's SQLite file added SegStation's tables to it before failing.
    func testForeignDatabaseIsRefusedUnchanged() throws {
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("invoices.sqlite").path
        do {
            let queue = try DatabaseQueue(path: path)
            try queue.write { try $0.execute(sql: "CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL)") }
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        for create in [true, false] {
            XCTAssertThrowsError(try StudyStore(path: path, createIfMissing: create)) { error in
                guard case .notSegStationDatabase(_, let tables) = error as? StoreError else { return XCTFail("\(error)") }
                XCTAssertEqual(tables, ["invoices"])
                XCTAssertEqual((error as? StoreError)?.category, .badInput)
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + "-wal"))
    }

    /// Regression: queries on a 0444 database failed with "attempt to write a readonly database" and
    /// left -wal/-shm behind.
    func testReadOnlyFileIsQueriedWithoutSidecars() throws {
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("db.sqlite").path
        do {
            let store = try StudyStore(path: path)
            let run = try store.beginRun(Fixture.start())
            try store.completeRun(run, Fixture.result([(1, 2.5, [0, 0, 0])]))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + "-wal"))
        XCTAssertEqual(chmod(path, 0o444), 0)
        let store = try StudyStore(path: path, createIfMissing: false)
        XCTAssertTrue(store.isReadOnly)
        XCTAssertEqual(try store.runs().map(\.status), [.completed])
        XCTAssertEqual(try store.recordedArtefacts().count, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + "-wal"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + "-shm"))
    }

    /// On both backends (`TestStore`): `segment -o` and `batch` claim folders through these on PostgreSQL too.
    func testSupersedingArtefactsOfAFolder() throws {
        let store = try TestStore.make()
        let first = try store.beginRun(Fixture.start())
        var result = Fixture.result([(1, 2.5, [0, 0, 0])])
        result.artefacts = [ArtefactInfo(path: "/data/out/mask.nii.gz", kind: .mask, sha256: String(repeating: "a", count: 64), bytes: 10),
                            ArtefactInfo(path: "/data/outside/mask.nii.gz", kind: .mask, sha256: String(repeating: "b", count: 64), bytes: 10)]
        try store.completeRun(first, result)
        XCTAssertEqual(try store.currentArtefacts(inFolder: "/data/out").map(\.path), ["/data/out/mask.nii.gz"])
        // "/data/o" is not a prefix folder of "/data/out".
        XCTAssertEqual(try store.currentArtefacts(inFolder: "/data/o").count, 0)
        XCTAssertEqual(try store.currentArtefacts(inFolder: "/data/out", excluding: first).count, 0)
        let second = try store.beginRun(Fixture.start(series: "1.2.3.1.2"))
        XCTAssertEqual(try store.supersedeArtefacts(inFolder: "/data/out", by: second), 1)
        XCTAssertEqual(try store.currentArtefacts(inFolder: "/data/out").count, 0)
        XCTAssertEqual(try store.recordedArtefacts().map(\.supersededByRunID), [second, nil])
        XCTAssertTrue(try store.updateArtefactDigest(runID: first, path: "/data/outside/mask.nii.gz", sha256: String(repeating: "c", count: 64), bytes: 11))
        XCTAssertEqual(try store.recordedArtefacts()[1].sha256, String(repeating: "c", count: 64))
        try store.markForced(second, reason: "input 1 is CT, the model was trained on MR")
        XCTAssertEqual(try store.forcedReason(second), "input 1 is CT, the model was trained on MR")
    }
}
