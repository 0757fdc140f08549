import Foundation
import GRDB
import XCTest
import TestSupport
@testable import StudyStore

/// Migrations from an empty database and from every earlier schema version. The schema after each
/// migration is frozen in Fixtures/schema-<id>.sql; a missing snapshot is written only when
/// SEGSTATION_RECORD_SCHEMA=1 (once, when a migration is added) and never overwritten.
final class MigrationTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// The schema as SQL text: tables then indexes and triggers, by name (GRDB's own table excluded).
    static func schemaSQL(_ db: Database) throws -> String {
        try String.fetchAll(db, sql: """
            SELECT sql FROM sqlite_master
            WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> 'grdb_migrations'
            ORDER BY CASE type WHEN 'table' THEN 0 ELSE 1 END, name
            """).map { $0 + ";\n" }.joined()
    }

    static func snapshot(_ id: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent("schema-\(id).sql"), encoding: .utf8)
    }

    /// Each migration, applied in turn to an empty database, yields its frozen snapshot
    /// (so a shipped migration that was edited fails here).
    func testEachMigrationMatchesItsFrozenSnapshot() throws {
        let queue = try DatabaseQueue()
        for id in Schema.identifiers {
            try Schema.migrator.migrate(queue, upTo: id)
            let sql = try queue.read(Self.schemaSQL)
            let file = Self.fixtures.appendingPathComponent("schema-\(id).sql")
            if !FileManager.default.fileExists(atPath: file.path),
               ProcessInfo.processInfo.environment["SEGSTATION_RECORD_SCHEMA"] == "1" {
                try sql.write(to: file, atomically: true, encoding: .utf8)
            }
            XCTAssertEqual(sql, try Self.snapshot(id), "schema after \(id) differs from Fixtures/schema-\(id).sql")
        }
    }

    func testFromEmptyDatabase() throws {
        let store = try StudyStore()
        XCTAssertEqual(try store.appliedMigrations(), Schema.identifiers)
        XCTAssertEqual(try store.writer.read(Self.schemaSQL), try Self.snapshot(Schema.identifiers.last!))
    }

    /// A database frozen at every earlier version, holding data, migrates to the current schema
    /// and keeps its data; a run left running before v3 (no process identity) reads as incomplete.
    func testFromEveryEarlierVersion() throws {
        for (k, id) in Schema.identifiers.enumerated().dropLast() {
            let folder = try Fixture.temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let path = folder.appendingPathComponent("old.sqlite").path
            do {
                let old = try DatabaseQueue(path: path)
                try old.write { db in
                    try db.execute(sql: try Self.snapshot(id))
                    try db.execute(sql: "CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY)")
                    for applied in Schema.identifiers[...k] {
                        try db.execute(sql: "INSERT INTO grdb_migrations VALUES (?)", arguments: [applied])
                    }
                    try db.execute(sql: Self.dataAtV1)
                }
            }
            let store = try StudyStore(path: path)
            XCTAssertEqual(try store.appliedMigrations(), Schema.identifiers, "from \(id)")
            XCTAssertEqual(try store.writer.read(Self.schemaSQL), try Self.snapshot(Schema.identifiers.last!), "from \(id)")
            XCTAssertEqual(try store.integrityCheck(), ["ok"], "from \(id)")
            XCTAssertEqual(try store.lesions(LesionFilter(patientID: "OLD-1")).map(\.volumeML), [4.5], "from \(id)")
            XCTAssertEqual(try store.runs().map(\.status), [.completed, .incomplete], "from \(id)")
            // New runs work on the migrated file and reuse the old identities.
            let runID = try store.beginRun(Fixture.start(patient: "OLD-1", study: "1.9", series: "1.9.1"))
            try store.completeRun(runID, Fixture.result([(1, 1, [0, 0, 0])]))
            XCTAssertEqual(try Fixture.count(store, "series"), 1, "from \(id)")
        }
    }

    func testNewerDatabaseIsRefused() throws {
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("new.sqlite").path
        do {
            let store = try StudyStore(path: path)
            try store.writer.write { try $0.execute(sql: "INSERT INTO grdb_migrations VALUES ('v99-future')") }
        }
        XCTAssertThrowsError(try StudyStore(path: path)) { error in
            XCTAssertEqual(error as? StoreError, .schemaTooNew(path: path, unknownMigrations: ["v99-future"]))
        }
    }

    /// Several stores opening one fresh file at once all end up on the current schema.
    func testConcurrentFirstOpenMigratesOnce() throws {
        let folder = try Fixture.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("race.sqlite").path
        let errors = Locked([String]())
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            do { _ = try StudyStore(path: path) } catch { errors.withLock { $0.append("\(error)") } }
        }
        XCTAssertEqual(errors.current, [])
        XCTAssertEqual(try StudyStore(path: path).appliedMigrations(), Schema.identifiers)
    }

    /// Rows valid at every schema version (v1 columns only).
    static let dataAtV1 = """
        INSERT INTO patient (id, patientID, issuer, name) VALUES (1, 'OLD-1', '', 'Old^Patient');
        INSERT INTO study (id, patientRowID, studyInstanceUID, studyDate) VALUES (1, 1, '1.9', '2024-05-06');
        INSERT INTO series (id, studyRowID, seriesInstanceUID, modality) VALUES (1, 1, '1.9.1', 'CT');
        INSERT INTO run (id, seriesRowID, status, startedAt, endedAt, durationSeconds, modelName, modelVersion,
                         modelSHA256, segstationVersion, inputFingerprint)
            VALUES (1, 1, 'completed', '2024-05-06 10:00:00.000', '2024-05-06 10:01:00.000', 60, 'm', '1', 'aa', '0.0.1', 'fp'),
                   (2, 1, 'running', '2024-05-07 10:00:00.000', NULL, NULL, 'm', '1', 'aa', '0.0.1', 'fp');
        INSERT INTO label (id, runID, value, name) VALUES (1, 1, 1, 'tumour');
        INSERT INTO lesion (runID, labelID, lesionIndex, voxelCount, volumeML, centroidXMM, centroidYMM, centroidZMM)
            VALUES (1, 1, 1, 4500, 4.5, 1, 2, 3);
        INSERT INTO artefact (runID, path, kind, sha256, bytes) VALUES (1, 'Reports/x/seg.dcm', 'seg', 'bb', 10);
        """
}
