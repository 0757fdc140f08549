import Foundation
import Core
import StudyStore

/// `segment -o DIR`: the folder belongs to one run at a time, and a run never overwrites artefacts
/// another run recorded (issue 11 point 8).
///
/// - The folder's lock (`OutputFolderLock(claiming:)`) is taken without waiting: a second run into a
///   folder another run is writing into is REFUSED (exit 73), never queued and never interleaved.
/// - Holding the lock, the folder is checked for another run's artefacts: current artefacts recorded
///   in the database under it, or a `segmentation.json` a run left there (another database). Either
///   refuses the run (exit 73) unless `--overwrite`, which marks the older artefacts superseded in
///   the database (`supersede(by:)`) before anything is written.
struct OutputFolderClaim {
    let folder: URL
    let lock: OutputFolderLock
    /// Artefacts of other runs recorded under the folder (to supersede with `--overwrite`).
    let previous: [RecordedArtefact]

    /// Creates the folder (0700) and claims it.
    /// - Throws: `SafetyError.badOutput` (exit 73) when another run holds it or it holds another run's
    ///   artefacts without `overwrite`; `PipelineError.output` when it cannot be created.
    static func claim(_ path: String, store: StudyStore, overwrite: Bool) throws -> OutputFolderClaim {
        let folder = try create(path)
        var previous: [RecordedArtefact] = []
        let claimed = try OutputFolderLock(claiming: folder) {
            previous = try store.currentArtefacts(inFolder: folder.path)
            let leftover = FileManager.default.fileExists(atPath: folder.appendingPathComponent("segmentation.json").path)
            if !overwrite, !previous.isEmpty || leftover {
                let runs = Set(previous.map(\.runID)).sorted().map { "run \($0)" }
                let what = runs.isEmpty ? "the artefacts of a run recorded elsewhere (segmentation.json)"
                    : "artefacts recorded by \(runs.joined(separator: ", ")) (\(previous.prefix(3).map { URL(fileURLWithPath: $0.path).lastPathComponent }.joined(separator: ", ")))"
                throw SafetyError(.badOutput, subject: folder.path,
                                  reason: "-o: the folder holds \(what); pass --overwrite to replace them (the older run's artefacts are then marked superseded in the database), or choose another -o")
            }
        }
        guard let lock = claimed else {
            throw SafetyError(.badOutput, subject: folder.path,
                              reason: "-o: another segstation run is writing into this folder (it holds the folder's lock); refused rather than interleaved: wait for it or choose another -o")
        }
        return OutputFolderClaim(folder: folder, lock: lock, previous: previous)
    }

    /// Marks the previous artefacts superseded by `runID`, before the new run writes anything.
    func supersede(by runID: RunID, store: StudyStore) throws {
        guard !previous.isEmpty else { return }
        try store.supersedeArtefacts(inFolder: folder.path, by: runID)
    }

    /// The folder as an absolute path with symlinks resolved (artefact paths are compared by prefix).
    static func create(_ path: String) throws -> URL {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw PipelineError.output("cannot create the output folder \(url.path) (-o): \(error.localizedDescription)")
        }
        return url.resolvingSymlinksInPath()
    }
}
