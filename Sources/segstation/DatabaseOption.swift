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

    /// Opens an existing database (queries never create one).
    func openExisting() throws -> StudyStore { try StudyStore.connect(resolvedPath, createIfMissing: false) }
}
