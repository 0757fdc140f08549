import Foundation
import XCTest
@testable import StudyStore

/// The store the store tests run on. By default a private in-memory SQLite store; with
/// `SEGSTATION_TEST_STORE=postgres` a fresh database on the PostgreSQL server named by
/// `SEGSTATION_TEST_POSTGRES` (Scripts/ci/postgres.sh starts one), so the same tests check both
/// backends (Scripts/test.sh runs StudyStoreTests a second time that way).
enum TestStore {
    static var backend: String { ProcessInfo.processInfo.environment["SEGSTATION_TEST_STORE"] ?? "sqlite" }
    static var isPostgres: Bool { backend == "postgres" }

    /// A new, empty store on the backend under test.
    static func make() throws -> StudyStore {
        guard isPostgres else { return try StudyStore() }
        return try StudyStore(postgres: try freshDatabase())
    }

    /// The server's URL, or XCTSkip naming what is missing.
    static func serverURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["SEGSTATION_TEST_POSTGRES"], !url.isEmpty else {
            throw XCTSkip("SEGSTATION_TEST_POSTGRES is not set: no PostgreSQL server to test against (Scripts/ci/postgres.sh starts one; Scripts/test.sh does)")
        }
        return url
    }

    /// Creates a new database `segstation_test_<random>` on the test server and returns its location.
    static func freshDatabase() throws -> PostgresLocation {
        var location = try PostgresLocation(url: try serverURL())
        let admin = try PostgresConnectionBox(location)
        let name = "segstation_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try admin.executeOutsideTransaction("CREATE DATABASE \(name)")
        location.database = String(name)
        return location
    }

    /// Skips a test that checks something only SQLite has (files, PRAGMAs, SQLite trigger syntax).
    static func requireSQLite(_ what: String) throws {
        if isPostgres { throw XCTSkip("SQLite-only check (\(what)); this pass runs the store tests on PostgreSQL") }
    }
}
