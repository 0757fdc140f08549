import Foundation
import GRDB

/// Tells whether anything was committed to a SQLite study database since it last looked: SQLite's
/// `PRAGMA data_version`, read on a connection of its own.
///
/// SQLite documents the value as changing whenever another connection, in this process or any other,
/// commits to the database, and as unchanged by commits of the connection that reads it. This
/// connection never writes, so every commit changes it: the job worker's (the store's writer), the DICOM
/// listener's, a `segstation batch` or `segment` process's. Reading it starts and ends a read transaction
/// on a connection without a transaction: microseconds, no lock that a writer waits for.
///
/// The value is only comparable with values from the same probe (each connection counts on its own, from
/// its opening); compare two of them for equality, not order.
public final class DataVersionProbe: Sendable {
    private let connection: DatabaseQueue

    init(path: String) throws {
        var config = StudyStore.configuration()
        config.readonly = true
        // A probe that waits long for a lock is worse than none: its caller then answers uncached.
        config.busyMode = .timeout(1)
        config.label = "StudyStore.dataVersion"
        connection = try DatabaseQueue(path: path, configuration: config)
    }

    /// The database's data version now.
    public func current() throws -> Int64 {
        try StoreError.wrap("reading the database's data version") {
            // Outside any transaction, so that SQLite looks at the database (the WAL index) afresh.
            try connection.unsafeRead { db in try Int64.fetchOne(db.cachedStatement(sql: "PRAGMA data_version")) ?? 0 }
        }
    }
}

extension StudyStore {
    /// A probe of this database's change state, or nil where there is none: an in-memory store (one
    /// connection only) and PostgreSQL (no equivalent of `data_version`; its readers answer uncached).
    public func dataVersionProbe() throws -> DataVersionProbe? {
        guard case .sqlite = backend, let path else { return nil }
        do { return try DataVersionProbe(path: path) } catch {
            throw StoreError.cannotOpen(path: path, reason: "data version probe: \(Self.message(error))")
        }
    }
}
