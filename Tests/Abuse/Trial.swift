import Foundation

/// One abuse trial: a command line over generated input, and what it must do.
struct Trial {
    /// Category (the headings of issue 11) and a name unique within it.
    var category: String
    var name: String
    /// Arguments after `segstation`.
    var arguments: [String]
    /// The documented exit codes this trial may end with. Exactly one for crafted input; fuzzed input
    /// (a random bit flip may leave a valid file) lists every acceptable outcome, e.g. [0, 65].
    var expectedExit: Set<Int32>
    /// When the command fails, its stderr must contain one of these (the file or field it names).
    var mentions: [String]
    /// Folders whose content must be unchanged by a failing command, apart from files the command
    /// was allowed to complete (none when it fails): the integrity check.
    var watchedFolders: [String] = []
    var timeout: Double = 30
    /// Extra environment (e.g. a tighter budget).
    var environment: [String: String] = [:]
    /// Runs after the command with its result; returns a failure text or nil (extra assertions).
    var check: ((Finished) -> String?)? = nil
    /// Runs just before the command (e.g. damages a file an earlier trial made).
    var prepare: (() -> Void)? = nil
    /// The trial is known to depend on work not on this branch yet; it still runs and counts.
    var note: String? = nil
}

/// The verdict on one trial.
struct Verdict {
    var trial: Trial
    var finished: Finished
    var failures: [String]
}

/// A snapshot of a folder tree: path -> (size, modification time), to detect files a failing command
/// left under a final name or changed.
struct FolderSnapshot {
    var entries: [String: String]

    init(_ folder: String) {
        entries = [:]
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return }
        for case let relative as String in walker {
            let full = folder + "/" + relative
            guard let a = try? FileManager.default.attributesOfItem(atPath: full), a[.type] as? FileAttributeType == .typeRegular else { continue }
            let size = (a[.size] as? NSNumber)?.intValue ?? -1
            let time = (a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            entries[relative] = "\(size)@\(time)"
        }
    }

    /// Files that appeared or changed since `before`.
    func changes(since before: FolderSnapshot) -> [String] {
        entries.compactMap { name, stamp in before.entries[name] == stamp ? nil : name }.sorted()
    }
}

/// Judges a finished trial: exit code, message naming the file or field, no crash, no hang,
/// peak memory under the budget, nothing left under a final name by a failing command.
func judge(_ trial: Trial, _ finished: Finished, budgetBytes: Int, before: [FolderSnapshot]) -> [String] {
    var failures: [String] = []
    if finished.timedOut { failures.append("hung: killed after \(Int(trial.timeout)) s") }
    if let signal = finished.signal, !finished.timedOut { failures.append("crashed with signal \(signal)") }
    if let code = finished.exitCode {
        if code == 1 { failures.append("exit 1 (internal error)") }
        if !trial.expectedExit.contains(code) {
            failures.append("exit \(code), expected \(trial.expectedExit.sorted().map(String.init).joined(separator: " or "))")
        }
        if code != 0, !trial.mentions.isEmpty, !trial.mentions.contains(where: { finished.stderr.contains($0) }) {
            failures.append("message names none of \(trial.mentions)")
        }
        if code != 0 {
            for (folder, snapshot) in zip(trial.watchedFolders, before) {
                // The study database is written in transactions (a refused run may be recorded as failed): not an artefact.
                let changed = FolderSnapshot(folder).changes(since: snapshot).filter { name in
                    ![".abuse-stdout", ".abuse-stderr", ".sqlite", ".sqlite-wal", ".sqlite-shm"].contains { name.hasSuffix($0) }
                }
                if !changed.isEmpty { failures.append("failing command left or changed \(changed.prefix(3)) in \(folder)") }
            }
        }
    }
    if finished.peakRSSBytes > budgetBytes {
        failures.append("peak memory \(finished.peakRSSBytes / 1_048_576) MiB over the \(budgetBytes / 1_048_576) MiB budget")
    }
    if let check = trial.check, let problem = check(finished) { failures.append(problem) }
    return failures
}
