import Core
import Foundation
import XCTest
@testable import StudyStore

/// PostgreSQL-specific checks: the same schema and the same output as SQLite, migrations and
/// concurrent connections. They need a server (`SEGSTATION_TEST_POSTGRES`, started by
/// Scripts/ci/postgres.sh) and skip with that reason without one. The rest of the store suite runs
/// on PostgreSQL too with `SEGSTATION_TEST_STORE=postgres` (see `TestStore`).
final class PostgresStoreTests: XCTestCase {
    func testSchemaHasTheSQLiteTablesAndColumns() throws {
        let postgres = try StudyStore(postgres: try TestStore.freshDatabase())
        XCTAssertEqual(try postgres.appliedMigrations(), Schema.identifiers)
        let sqlite = try StudyStore()
        let tables = ["patient", "study", "series", "run", "label", "lesion", "artefact"]
        for table in tables {
            let sqliteColumns = try sqlite.read("columns") { s in
                try s.fetch("SELECT name FROM pragma_table_info('\(table)') ORDER BY cid", []).compactMap { $0.string("name")?.lowercased() }
            }
            let postgresColumns = try postgres.read("columns") { s in
                try s.fetch("SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
                            [.text(table)]).compactMap { $0.string("column_name") }
            }
            XCTAssertEqual(postgresColumns, sqliteColumns, table)
        }
        let indexes = try postgres.read("indexes") { s in
            Set(try s.fetch("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'", []).compactMap { $0.string("indexname") })
        }
        for index in ["lesion_run_volume", "run_status", "study_date", "series_modality", "lesion_label", "artefact_run"] {
            XCTAssertTrue(indexes.contains(index), "index \(index) missing: \(indexes.sorted())")
        }
        XCTAssertEqual(try postgres.integrityCheck(), ["ok"])
    }

    /// One scenario recorded in both backends gives the same rows (byte-identical JSON) from every query.
    func testQueriesGiveTheSameOutputAsSQLite() throws {
        let postgres = try StudyStore(postgres: try TestStore.freshDatabase())
        let sqlite = try StudyStore()
        let clock = Date(timeIntervalSince1970: 1_760_000_000.123)
        for store in [sqlite, postgres] {
            for (n, step) in [("P-1", "1.5.1", "2025-01-10"), ("P-1", "1.5.2", "2025-04-02"), ("P-2", "1.5.3", ""), ("P-1", "1.5.2", "2025-04-02")].enumerated() {
                var start = Fixture.start(patient: step.0, study: step.1, series: step.1 + ".1", date: step.2)
                if step.2.isEmpty { start.study.studyDate = nil }
                start.startedAt = clock.addingTimeInterval(Double(n) * 60)
                let id = try store.beginRun(start)
                if n == 2 { try store.failRun(id, message: "bad input", endedAt: start.startedAt.addingTimeInterval(5)); continue }
                var result = Fixture.result([(1, 1.5 + Double(n), [0, 1, 2]), (2, 0.25, [10, 11, 12]), (1, 3, [Double(n), 0, 0])])
                result.endedAt = start.startedAt.addingTimeInterval(30)
                try store.completeRun(id, result)
            }
        }
        // The rows as the CLI's --json prints them (Core's one JSON style); the CLI's CSV and tables
        // are formatted from these rows (EndToEndTests/QueryOutputTests).
        func json<T: Encodable>(_ value: T) throws -> String { String(decoding: try JSONFormat.encoder().encode(value), as: UTF8.self) }
        func outputs(_ s: StudyStore) throws -> [String] {
            [try json(try s.studies()), try json(try s.studies(StudyFilter(modality: "mr"))),
             try json(try s.runs()), try json(try s.lesions()), try json(try s.lesions(LesionFilter(minVolumeML: 1))),
             try json(try s.lesions(LesionFilter(label: "TUMOUR"))),
             try json(try s.show(4)), try json(try s.history(patientID: "P-1"))]
        }
        let expected = try outputs(sqlite), found = try outputs(postgres)
        XCTAssertEqual(found.count, expected.count)
        for (a, b) in zip(found, expected) { XCTAssertEqual(a, b) }
        XCTAssertEqual(try postgres.completedRun(inputFingerprint: "fp-1.5.2.1", modelSHA256: String(repeating: "ab", count: 32)), 4)
        for store in [sqlite, postgres] {
            XCTAssertTrue(try store.isCompletedRun(4, inputFingerprint: "fp-1.5.2.1", modelSHA256: String(repeating: "ab", count: 32)))
            XCTAssertFalse(try store.isCompletedRun(3, inputFingerprint: "fp-1.5.2.1", modelSHA256: String(repeating: "ab", count: 32)))
        }
    }

    func testNewerDatabaseIsRefused() throws {
        let location = try TestStore.freshDatabase()
        let store = try StudyStore(postgres: location)
        try store.write("test") { try $0.execute("INSERT INTO grdb_migrations VALUES ('v99-future')", []) }
        XCTAssertThrowsError(try StudyStore(postgres: location)) { error in
            XCTAssertEqual(error as? StoreError, .schemaTooNew(path: location.description, unknownMigrations: ["v99-future"]))
        }
    }

    /// Six connections open a new database at once (one migrates, the others wait and find it
    /// done), then record runs of one patient at the same time: no error, nothing twice.
    func testConcurrentConnectionsMigrateOnceAndWriteSafely() throws {
        let location = try TestStore.freshDatabase()
        let errors = ErrorList()
        DispatchQueue.concurrentPerform(iterations: 6) { worker in
            do {
                let store = try StudyStore(postgres: location)
                for n in 0..<5 {
                    let id = try store.beginRun(Fixture.start(patient: "SHARED", study: "1.7.\(worker)", series: "1.7.\(worker).\(n)"))
                    try store.completeRun(id, Fixture.result([(1, 1, [0, 0, 0])]))
                }
            } catch {
                errors.append("\(error)")
            }
        }
        XCTAssertEqual(errors.all, [])
        let store = try StudyStore(postgres: location)
        XCTAssertEqual(try store.appliedMigrations(), Schema.identifiers)
        XCTAssertEqual(try Fixture.count(store, "patient"), 1)
        XCTAssertEqual(try store.runs(RunFilter(status: .completed)).count, 30)
        XCTAssertEqual(try store.studies().count, 6)
    }

    /// A database at a migration before i18 that already holds artefacts: i18 rebuilds the artefact
    /// table copying its ids, so PostgreSQL's identity sequence must be moved past them, or the next
    /// artefact insert collides with a copied row (duplicate key on artefact.id).
    func testOlderDatabaseWithArtefactsMigratesAndRecordsNewArtefacts() throws {
        let location = try TestStore.freshDatabase()
        let before = Schema.migrations.prefix { $0.id != "i18-rtstruct-artefact-kind" }
        XCTAssertEqual(before.last?.id, "i14-service-queue")
        do {
            let box = try PostgresConnectionBox(location)
            try PostgresSchema.migrate(box, migrations: Array(before))
            try box.transaction(write: true) { s in
                let patient = try s.insert("INSERT INTO patient (patientID) VALUES (?)", ["OLD-1"])
                let study = try s.insert("INSERT INTO study (patientRowID, studyInstanceUID) VALUES (?, ?)", [.integer(patient), "1.9.1"])
                let series = try s.insert("INSERT INTO series (studyRowID, seriesInstanceUID, modality) VALUES (?, ?, ?)", [.integer(study), "1.9.1.1", "MR"])
                let run = try s.insert("""
                    INSERT INTO run (seriesRowID, status, startedAt, modelName, modelVersion, modelSHA256, segstationVersion, inputFingerprint)
                    VALUES (?, 'completed', '2026-01-01 00:00:00.000', 'm', '1', 'ab', '0', 'fp-old')
                    """, [.integer(series)])
                for n in 0..<3 {
                    _ = try s.insert("INSERT INTO artefact (runID, path, kind, sha256, bytes) VALUES (?, ?, 'mask', 'cd', 1)",
                                     [.integer(run), .text("/old/mask\(n).nii.gz")])
                }
            }
        }
        let store = try StudyStore(postgres: location)
        XCTAssertEqual(try store.appliedMigrations(), Schema.identifiers)
        let id = try store.beginRun(Fixture.start(patient: "NEW-1", study: "1.9.2", series: "1.9.2.1"))
        try store.completeRun(id, Fixture.result([(1, 1, [0, 0, 0])], artefacts: 2))
        let artefacts = try store.recordedArtefacts()
        XCTAssertEqual(artefacts.count, 5)
        XCTAssertEqual(Set(artefacts.map(\.id)).count, 5)
        XCTAssertEqual(artefacts.filter { $0.runID == id }.map(\.id).min().map { $0 > 3 }, true, "\(artefacts.map(\.id))")
        XCTAssertEqual(try store.integrityCheck(), ["ok"])
    }

    /// Parameters go to libpq as text with their types, results come back as text: every kind of value
    /// the store writes reads back unchanged (extreme integers, doubles that need 17 digits, infinities,
    /// NaN, text with quotes, question marks and non-ASCII, booleans, NULL).
    func testValuesRoundTripThroughTheServer() throws {
        let postgres = try StudyStore(postgres: try TestStore.freshDatabase())
        let values: [SQLValue] = [
            .integer(.min), .integer(.max), .integer(0), .real(0.1), .real(1e-300), .real(-2.5e300), .real(1.0 / 3.0),
            .real(.infinity), .real(-.infinity), .text("it's a \"?\" — Grüße, 日本"), .text(""), .bool(true), .bool(false), .null,
        ]
        let casts = ["BIGINT", "BIGINT", "BIGINT", "DOUBLE PRECISION", "DOUBLE PRECISION", "DOUBLE PRECISION", "DOUBLE PRECISION",
                     "DOUBLE PRECISION", "DOUBLE PRECISION", "TEXT", "TEXT", "BOOLEAN", "BOOLEAN", "TEXT"]
        let sql = "SELECT " + casts.enumerated().map { "CAST(? AS \($1)) AS v\($0)" }.joined(separator: ", ")
        let row = try XCTUnwrap(try postgres.read("round trip") { try $0.fetch(sql, values) }.first)
        XCTAssertEqual(row.values, values)
        let nan = try XCTUnwrap(try postgres.read("nan") { try $0.fetch("SELECT CAST(? AS DOUBLE PRECISION) AS v", [.real(.nan)]) }.first)
        guard case .real(let d) = nan["v"] else { return XCTFail("\(nan.values)") }
        XCTAssertTrue(d.isNaN)
        // A refused statement names its SQLSTATE and the server's message.
        XCTAssertThrowsError(try postgres.read("bad") { try $0.fetch("SELECT * FROM no_such_table", []) }) { error in
            XCTAssertTrue("\(error)".contains("42P01"), "\(error)")
            XCTAssertTrue("\(error)".contains("no_such_table"), "\(error)")
        }
    }

    func testMissingDatabaseIsNotFound() throws {
        var location = try PostgresLocation(url: try TestStore.serverURL())
        location.database = "segstation_no_such_database"
        XCTAssertThrowsError(try StudyStore(postgres: location)) { error in
            XCTAssertEqual(error as? StoreError, .databaseMissing(path: location.description))
        }
    }

    func testUnreachableServerIsATypedError() throws {
        let location = try PostgresLocation(url: "postgresql://nobody@127.0.0.1:1/none?sslmode=disable")
        XCTAssertThrowsError(try StudyStore(postgres: location)) { error in
            guard case .cannotOpen(let path, _)? = error as? StoreError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "postgresql://nobody@127.0.0.1:1/none")
        }
    }
}

/// The parts of the PostgreSQL backend that need no server.
final class PostgresSQLTests: XCTestCase {
    func testPlaceholdersAreNumberedOutsideQuotes() {
        XCTAssertEqual(PostgresConnectionBox.numberedPlaceholders("SELECT '?' AS q, \"a?\" FROM t WHERE a = ? AND b IN (?, ?)"),
                       "SELECT '?' AS q, \"a?\" FROM t WHERE a = $1 AND b IN ($2, $3)")
    }

    func testMigrationsTranslateTypesOnly() {
        let statements = PostgresSchema.statements(Schema.v1Initial)
        XCTAssertEqual(statements.count, Schema.v1Initial.components(separatedBy: ";").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }.count)
        XCTAssertTrue(statements[0].contains("id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"), statements[0])
        let all = statements.joined(separator: "\n")
        XCTAssertFalse(all.contains("AUTOINCREMENT") || all.contains("DATETIME") || all.contains("DEFAULT 0"))
        XCTAssertTrue(all.contains("touchesBorder BOOLEAN NOT NULL DEFAULT FALSE"))
        XCTAssertTrue(all.contains("volumeML DOUBLE PRECISION NOT NULL CHECK (volumeML >= 0)"))
    }

    func testURLs() throws {
        let l = try PostgresLocation(url: "postgresql://seg%40x:p%3Ass@db.example:6543/cohort?sslmode=require", environment: [:])
        XCTAssertEqual([l.user, l.password, l.host, l.database], ["seg@x", "p:ss", "db.example", "cohort"])
        XCTAssertEqual(l.port, 6543)
        XCTAssertEqual(l.tls, .require)
        XCTAssertEqual(l.description, "postgresql://seg@x@db.example:6543/cohort")
        XCTAssertEqual(try PostgresLocation(url: "postgres://u@h/d", environment: ["PGPASSWORD": "pw"]).password, "pw")
        XCTAssertEqual(try PostgresLocation(url: "postgres://u@h/d", environment: [:]).tls, .prefer)
        // libpq's certificate checks are kept, not weakened to `require` (they were before libpq).
        XCTAssertEqual(try PostgresLocation(url: "postgres://u@h/d?sslmode=verify-full", environment: [:]).tls, .verifyFull)
        XCTAssertEqual(try PostgresLocation(url: "postgres://u@h/d?sslmode=verify-ca", environment: [:]).tls.rawValue, "verify-ca")
        for bad in ["postgresql://h/d", "postgresql://u@h", "postgresql://u@h/d?sslmode=maybe", "mysql://u@h/d"] {
            XCTAssertThrowsError(try PostgresLocation(url: bad, environment: [:]), bad)
        }
        XCTAssertEqual(PostgresLocation.redacted("postgresql://u:secret@h/d"), "postgresql://u:***@h/d")
        XCTAssertTrue(PostgresLocation.isPostgres("postgresql://u@h/d"))
        XCTAssertFalse(PostgresLocation.isPostgres("/tmp/postgresql.sqlite"))
    }

    func testDatesKeepGRDBsTextForm() {
        let date = Date(timeIntervalSince1970: 1_760_000_000.1234)
        XCTAssertEqual(SQLDateFormat.string(from: date), "2025-10-09 08:53:20.123")
        XCTAssertEqual(SQLDateFormat.date(from: "2025-10-09 08:53:20.123")!.timeIntervalSince1970, 1_760_000_000.123, accuracy: 1e-6)
        XCTAssertEqual(SQLDateFormat.date(from: "2025-10-09 08:53:20")!.timeIntervalSince1970, 1_760_000_000, accuracy: 1e-9)
        XCTAssertNil(SQLDateFormat.date(from: "yesterday"))
    }
}

/// Errors collected from several threads.
final class ErrorList: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ text: String) { lock.lock(); items.append(text); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
