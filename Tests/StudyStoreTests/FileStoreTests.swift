import Foundation
import GRDB
import XCTest
@testable import StudyStore

final class FileStoreTests: XCTestCase {
    var folder: URL!
    override func setUpWithError() throws { folder = try Fixture.temporaryFolder() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue & 0o777
    }

    func testNewDatabaseAndFolderAreOwnerOnly() throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        let path = folder.appendingPathComponent("a/b/studies.sqlite").path
        let store = try StudyStore(path: path)
        let runID = try store.beginRun(Fixture.start())
        try store.completeRun(runID, Fixture.result([(1, 1, [0, 0, 0])]))
        XCTAssertEqual(try mode(path), 0o600)
        XCTAssertEqual(try mode(folder.appendingPathComponent("a/b").path), 0o700)
        XCTAssertEqual(try mode(folder.appendingPathComponent("a").path), 0o700)
        // While open, WAL mode keeps -wal and -shm files: SQLite gives them the database's mode.
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            XCTAssertEqual(try mode(path + suffix), 0o600, suffix)
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + "-wal"))
        let journal = try store.writer.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        XCTAssertEqual(journal, "wal")
    }

    func testReopenKeepsDataAndQueriesNeverCreate() throws {
        let path = folder.appendingPathComponent("studies.sqlite").path
        do {
            let store = try StudyStore(path: path)
            let runID = try store.beginRun(Fixture.start())
            try store.completeRun(runID, Fixture.result([(1, 1, [0, 0, 0])]))
        }
        let reopened = try StudyStore(path: path, createIfMissing: false)
        XCTAssertEqual(try reopened.lesions().count, 1)
        XCTAssertEqual(try reopened.appliedMigrations(), Schema.identifiers)
        XCTAssertEqual(try reopened.integrityCheck(), ["ok"])
        let missing = folder.appendingPathComponent("none.sqlite").path
        XCTAssertThrowsError(try StudyStore(path: missing, createIfMissing: false)) { error in
            XCTAssertEqual(error as? StoreError, .databaseMissing(path: missing))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing))
    }

    func testNotADatabaseIsATypedError() throws {
        let path = folder.appendingPathComponent("junk.sqlite").path
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try StudyStore(path: path)) { error in
            guard let e = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertTrue(e.description.contains(path), e.description)
        }
    }

    func testDefaultLocationPrecedence() {
        XCTAssertEqual(StudyStore.resolvePath(option: "/x/o.sqlite", environment: ["SEGSTATION_DB": "/e.sqlite"]), "/x/o.sqlite")
        XCTAssertEqual(StudyStore.resolvePath(option: nil, environment: ["SEGSTATION_DB": "/e.sqlite", "XDG_DATA_HOME": "/d"]), "/e.sqlite")
        XCTAssertEqual(StudyStore.resolvePath(option: nil, environment: ["XDG_DATA_HOME": "/d", "HOME": "/h"]), "/d/segstation/studies.sqlite")
        // A relative XDG_DATA_HOME is invalid per the XDG spec and ignored.
        XCTAssertEqual(StudyStore.resolvePath(option: nil, environment: ["XDG_DATA_HOME": "rel", "HOME": "/h"]), "/h/.local/share/segstation/studies.sqlite")
        XCTAssertEqual(StudyStore.resolvePath(option: nil, environment: ["HOME": "/h"]), "/h/.local/share/segstation/studies.sqlite")
    }

}
