import Foundation
import GRDB

extension StudyStore {
    /// Whether the database cannot be written here: a read-only mount, or a file without any write
    /// permission bit (0444; checked from the mode, since root may write it anyway).
    static func isReadOnlyMedium(_ url: URL) -> Bool {
        var fs = statvfs()
        if statvfs(url.deletingLastPathComponent().path, &fs) == 0, fs.f_flag & UInt(ST_RDONLY) != 0 { return true }
        var info = stat()
        return stat(url.path, &info) == 0 && info.st_mode & 0o222 == 0
    }

    /// Whether a writer has the database open (or died with it open): its `-wal` or `-shm` exists.
    static func hasSidecars(_ url: URL) -> Bool {
        FileManager.default.fileExists(atPath: url.path + "-wal") || FileManager.default.fileExists(atPath: url.path + "-shm")
    }

    /// A read-only connection. With `immutableWhenQuiet` (a read-only medium or file) and no `-wal`/`-shm`
    /// present, nobody is writing, and the file is opened `immutable`: SQLite then needs no shared
    /// memory, which a read-only mount cannot hold, and creates nothing beside the file. Otherwise the
    /// connection takes part in WAL locking, so that a writer in another process cannot change pages
    /// under a read (this may create the `-wal`/`-shm` index files on a writable medium).
    static func openReadOnly(_ url: URL, immutableWhenQuiet: Bool = true) throws -> DatabaseQueue {
        var config = configuration()
        config.readonly = true
        let immutable = immutableWhenQuiet && !hasSidecars(url)
        let target = !immutable ? url.path : "file:\(url.path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? url.path)?immutable=1"
        do {
            return try DatabaseQueue(path: target, configuration: config)
        } catch {
            throw StoreError.cannotOpen(path: url.path, reason: "read-only: \(message(error))")
        }
    }

    /// Whether the file holds a SegStation database of an older schema (or none yet): known migrations
    /// are missing. Looked at read-only; a file that cannot be read says false (the opening reports it).
    static func needsMigration(_ url: URL) -> Bool {
        guard let queue = try? openReadOnly(url) else { return false }
        return ((try? queue.read { try Schema.migrator.hasCompletedMigrations($0) }) ?? true) == false
    }

    /// Refuses a SQLite file that holds tables but no SegStation migrations, looking at it read-only
    /// (nothing is written to a foreign file, not even WAL mode). An empty file is a new database.
    static func requireSegStationSchema(_ url: URL, readOnlyMedium: Bool) throws {
        let size = ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber)?.intValue ?? 0
        guard size > 0 else { return }
        // Our own WAL databases keep their sidecars for the pool that opens next; a foreign file
        // (rollback journal) gets none from a read-only look.
        let tables: [String]
        do {
            let queue = try openReadOnly(url)
            tables = try queue.read { try String.fetchAll($0, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.cannotOpen(path: url.path, reason: message(error))
        }
        if !tables.isEmpty, !tables.contains("grdb_migrations") {
            throw StoreError.notSegStationDatabase(path: url.path, tables: tables.sorted())
        }
    }
}
