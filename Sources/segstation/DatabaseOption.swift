import ArgumentParser
import StudyStore

/// `--db`: the study database, shared by every command that reads or writes it.
struct DatabaseOption: ParsableArguments {
    @Option(name: .customLong("db"), help: ArgumentHelp(
        "Study database: an SQLite file path or a postgresql://USER@HOST[:PORT]/DATABASE URL.",
        discussion: "Default: $SEGSTATION_DB, else $XDG_DATA_HOME/segstation/studies.sqlite, else ~/.local/share/segstation/studies.sqlite.",
        valueName: "path"))
    var path: String?

    /// The database path after applying the defaults.
    var resolvedPath: String { StudyStore.resolvePath(option: path) }

    /// Opens an existing database read-only, for the query commands: they never create a database and
    /// never write to one (see `StudyStore.init(path:createIfMissing:readOnly:)` for the WAL index files).
    func openForQuery() throws -> StudyStore { try StudyStore.connect(resolvedPath, createIfMissing: false, readOnly: true) }

    /// Opens an existing database to write to it (`track` records identities): never creates one.
    func openExistingForWriting() throws -> StudyStore { try StudyStore.connect(resolvedPath, createIfMissing: false) }
}
