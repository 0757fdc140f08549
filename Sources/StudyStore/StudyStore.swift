import Foundation
import GRDB

/// The study database: patients, studies, series, segmentation runs and their labels, lesions and
/// artefacts, in one SQLite file (WAL mode) shared safely by concurrent processes, or in a
/// PostgreSQL database shared by the tasks of an array job (`connect(_:)` with a `postgresql://` URL).
///
/// Every operation is written once, as SQL common to both backends, against `SQLSession`
/// (GRDB's `Database` for SQLite, a libpq connection for PostgreSQL); the schema is the same
/// named migrations on both (`Schema`, translated for PostgreSQL by `PostgresSchema`).
///
/// - Opening migrates the file to the current schema (`Schema`). A file written by a newer
///   SegStation (unknown migrations) is refused with `StoreError.schemaTooNew`.
/// - Writers wait up to `busyTimeoutSeconds` for the write lock instead of failing with
///   "database is locked"; every write is one IMMEDIATE transaction.
/// - A new database file is created with mode 0600 (its folder, when created, 0700); SQLite gives
///   the `-wal` and `-shm` files the same mode as the database.
public final class StudyStore: Sendable {
    /// How long a writer waits for another process's write transaction before failing.
    public static let busyTimeoutSeconds: TimeInterval = 60

    enum Backend: Sendable {
        case sqlite(any DatabaseWriter)
        case postgres(PostgresConnectionBox)
    }

    let backend: Backend
    /// The database file, or nil for an in-memory or PostgreSQL store.
    public let path: String?
    /// The file path, ":memory:", or the PostgreSQL URL without its password.
    public let location: String
    /// True when the store was opened read-only (a SQLite query, or any SQLite opening on a read-only
    /// file or medium).
    public let isReadOnly: Bool

    /// The SQLite connection (SQLite stores only: tests and SQLite-specific checks).
    var writer: any DatabaseWriter {
        guard case .sqlite(let writer) = backend else { preconditionFailure("not a SQLite store: \(location)") }
        return writer
    }

    /// Opens `location`: a `postgresql://` URL (PostgreSQL) or a file path (SQLite), as given to
    /// `--db` or `SEGSTATION_DB` (see `resolvePath`). PostgreSQL databases must exist; the first
    /// connection creates the tables. `createIfMissing` and `readOnly` (the query commands: see
    /// `init(path:createIfMissing:readOnly:)`) apply to SQLite files; a PostgreSQL query reads through its
    /// own transactions (read-only ones, `read(_:_:)`).
    public static func connect(_ location: String, createIfMissing: Bool = true, readOnly: Bool = false) throws -> StudyStore {
        if PostgresLocation.isPostgres(location) { return try StudyStore(postgres: try PostgresLocation(url: location)) }
        return try StudyStore(path: location, createIfMissing: createIfMissing, readOnly: readOnly)
    }

    /// Connects to a PostgreSQL database and migrates it.
    public init(postgres location: PostgresLocation) throws {
        let box = try PostgresConnectionBox(location)
        backend = .postgres(box)
        path = nil
        self.location = location.description
        isReadOnly = false
        try PostgresSchema.migrate(box, migrations: Schema.migrations)
    }

    /// Runs `body` in one read transaction (one snapshot), errors named by `operation`.
    func read<T>(_ operation: String, _ body: (any SQLSession) throws -> T) throws -> T {
        try StoreError.wrap(operation) {
            switch backend {
            case .sqlite(let writer): return try writer.read { try body(GRDBSession(db: $0)) }
            case .postgres(let box): return try box.transaction(write: false, body)
            }
        }
    }

    /// Runs `body` in one write transaction: all of it or nothing.
    func write<T>(_ operation: String, _ body: (any SQLSession) throws -> T) throws -> T {
        try StoreError.wrap(operation) {
            switch backend {
            case .sqlite(let writer): return try writer.write { try body(GRDBSession(db: $0)) }
            case .postgres(let box): return try box.transaction(write: true, body)
            }
        }
    }

    /// Opens (and when `createIfMissing`, creates) the database at `path` and migrates it.
    ///
    /// The schema is looked at read-only first: a SQLite file that is not a SegStation database is
    /// refused before anything (WAL mode, a migration table) is written to it. A `readOnly` opening
    /// (the query commands) never writes to the database: it reads through a read-only connection and
    /// does not migrate; on a writable medium SQLite may create the WAL index files (`-wal`/`-shm`,
    /// no database content, the database's mode) that a concurrent writer's locking needs, and a
    /// read-only connection cannot delete them. Only a database of an older schema is migrated first
    /// (its one write, in the migration's transaction), as any opening would. A read-only file (no
    /// write permission bits) or a read-only mount is opened read-only whatever is asked, without
    /// creating `-wal`/`-shm` files and without migrating.
    /// - Throws: `StoreError.databaseMissing` when absent and not `createIfMissing`;
    ///   `.cannotOpen` when the file cannot be created or is not a database; `.notSegStationDatabase`;
    ///   `.schemaTooNew`.
    public init(path: String, createIfMissing: Bool = true, readOnly requested: Bool = false) throws {
        let url = URL(fileURLWithPath: path)
        try Self.prepareFile(at: url, createIfMissing: createIfMissing)
        let medium = !createIfMissing && Self.isReadOnlyMedium(url)
        try Self.requireSegStationSchema(url, readOnlyMedium: medium)
        let readOnly = medium || (requested && !createIfMissing && !Self.needsMigration(url))
        self.path = url.path
        location = url.path
        isReadOnly = readOnly
        if readOnly {
            backend = .sqlite(try Self.openReadOnly(url, immutableWhenQuiet: medium))
            try requireKnownMigrations()
        } else {
            backend = .sqlite(try Self.openPool(url))
            try migrate()
        }
    }

    /// A private in-memory store (tests, dry runs); gone when released.
    public init(inMemory: Void = ()) throws {
        backend = .sqlite(try DatabaseQueue(configuration: Self.configuration()))
        path = nil
        isReadOnly = false
        location = ":memory:"
        try migrate()
    }

    /// Opens the WAL pool. Turning a fresh file into WAL mode needs a moment of exclusive access, and
    /// SQLite reports SQLITE_BUSY for it at once instead of waiting on the busy timeout when another
    /// process is opening the same new file: such opens are retried with backoff for up to
    /// `busyTimeoutSeconds` (MigrationTests.testConcurrentFirstOpenMigratesOnce opens one new file from 8 stores at once).
    static func openPool(_ url: URL) throws -> DatabasePool {
        let deadline = Date().addingTimeInterval(busyTimeoutSeconds)
        var delayMicroseconds: useconds_t = 5_000
        while true {
            do {
                return try DatabasePool(path: url.path, configuration: configuration())
            } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED {
                guard Date() < deadline else { throw StoreError.cannotOpen(path: url.path, reason: message(error)) }
                usleep(delayMicroseconds)
                delayMicroseconds = min(delayMicroseconds * 2, 200_000)
            } catch {
                throw StoreError.cannotOpen(path: url.path, reason: message(error))
            }
        }
    }

    static func configuration() -> Configuration {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(busyTimeoutSeconds)
        config.label = "StudyStore"
        return config
    }

    // MARK: Location

    /// The database location: `option` (`--db PATH|URL`) when given, else `$SEGSTATION_DB`, else
    /// `$XDG_DATA_HOME/segstation/studies.sqlite` (XDG_DATA_HOME only when absolute), else
    /// `~/.local/share/segstation/studies.sqlite`.
    public static func resolvePath(option: String?,
                                   environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let option, !option.isEmpty { return option }
        if let env = environment["SEGSTATION_DB"], !env.isEmpty { return env }
        let dataHome: String
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            dataHome = xdg
        } else {
            let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
                ?? FileManager.default.homeDirectoryForCurrentUser.path
            dataHome = (home as NSString).appendingPathComponent(".local/share")
        }
        return (dataHome as NSString).appendingPathComponent("segstation/studies.sqlite")
    }

    /// Creates the file (mode 0600) and missing folders (mode 0700) before SQLite opens it, so the
    /// database is never briefly readable by others. An existing file is left as it is.
    static func prepareFile(at url: URL, createIfMissing: Bool) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: url.path) { return }
        guard createIfMissing else { throw StoreError.databaseMissing(path: url.path) }
        let folder = url.deletingLastPathComponent()
        if !fm.fileExists(atPath: folder.path) {
            do {
                try fm.createDirectory(at: folder, withIntermediateDirectories: true,
                                       attributes: [.posixPermissions: 0o700])
            } catch {
                throw StoreError.cannotOpen(path: url.path, reason: "cannot create folder \(folder.path): \(message(error))")
            }
        }
        let fd = open(url.path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if fd < 0 {
            let code = errno
            if code == EEXIST { return }  // another process created it first
            throw StoreError.cannotOpen(path: url.path, reason: String(cString: strerror(code)))
        }
        fchmod(fd, 0o600)  // independent of the umask
        close(fd)
    }

    // MARK: Migrations

    /// Applies missing migrations. Concurrent processes may race on a fresh file: the loser's
    /// migration transaction fails and rolls back, and it re-checks before trying again.
    private func migrate() throws {
        guard case .sqlite(let writer) = backend else { return }
        let migrator = Schema.migrator
        let where_ = path ?? ":memory:"
        try requireKnownMigrations()
        // Up to date (the usual case): no write lock, so query processes never queue behind writers here.
        if (try? writer.read({ try migrator.hasCompletedMigrations($0) })) == true { return }
        var attempt = 0
        while true {
            do {
                try migrator.migrate(writer)
                return
            } catch {
                attempt += 1
                let done = (try? writer.read { try migrator.hasCompletedMigrations($0) }) ?? false
                if done { return }
                if attempt >= 5 {
                    throw StoreError.sqlite(operation: "migrating \(where_)", message: Self.message(error))
                }
                usleep(useconds_t(20_000 * attempt))
            }
        }
    }

    /// Refuses a database written by a newer SegStation (migrations this build does not know).
    private func requireKnownMigrations() throws {
        // A newer SegStation applied migrations this build does not register (GRDB: "superseded").
        let migrator = Schema.migrator
        let unknown: [String] = try StoreError.wrap("reading the schema version") {
            try writer.read { db in
                guard try migrator.hasBeenSuperseded(db) else { return [] }
                return try migrator.appliedIdentifiers(db).subtracting(migrator.migrations).sorted()
            }
        }
        if !unknown.isEmpty { throw StoreError.schemaTooNew(path: path ?? ":memory:", unknownMigrations: unknown) }
    }

    /// Identifiers of the applied migrations, oldest first.
    public func appliedMigrations() throws -> [String] {
        let applied = try read("reading migrations") { s in
            Set(try s.fetch("SELECT identifier FROM grdb_migrations", []).compactMap { $0.string("identifier") })
        }
        return Schema.identifiers.filter { applied.contains($0) }
    }

    /// `PRAGMA integrity_check` and `PRAGMA foreign_key_check`: ["ok"] when the file is sound,
    /// otherwise SQLite's messages (foreign-key violations as "orphan row in TABLE rowid N").
    /// On PostgreSQL (which enforces keys itself) it checks that no row lost its parent.
    public func integrityCheck() throws -> [String] {
        if case .postgres = backend {
            return try read("checking integrity") { s in
                var messages: [String] = []
                for (table, column, parent) in Schema.foreignKeys {
                    let sql = "SELECT count(*) AS n FROM \(table) c WHERE c.\(column) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM \(parent) p WHERE p.id = c.\(column))"
                    if let n = try s.fetchOne(sql)?.int64("n"), n > 0 { messages.append("\(n) orphan row(s) in \(table)") }
                }
                return messages.isEmpty ? ["ok"] : messages
            }
        }
        return try StoreError.wrap("checking integrity") {
            try writer.read { db in
                var messages = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                let orphans = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check")
                for row in orphans {
                    let table: String = row[0]
                    let rowID: Int64? = row[1]
                    messages.append("orphan row in \(table) rowid \(rowID.map(String.init) ?? "?")")
                }
                if messages.count > 1 { messages.removeAll { $0 == "ok" } }
                return messages
            }
        }
    }

    static func message(_ error: Error) -> String {
        if let db = error as? DatabaseError { return db.message ?? db.description }
        return "\(error)"
    }
}
