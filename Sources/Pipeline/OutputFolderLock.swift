import Foundation

/// Marks a run's output folder as being written, and removes what killed writers left there.
///
/// Every artefact is written atomically (`AtomicFile`: a hidden temporary `.<8 hex>.partial.<name>`
/// beside the destination, then a rename), so a reader never sees a truncated file under an
/// artefact's name. A process killed mid-write (SIGKILL, power loss) cannot remove its temporary
/// file, though: the next run that writes into the same folder removes such leftovers before writing,
/// and in the default layout (`Reports/<study>/run-<id>`) also those of its sibling run folders.
///
/// A writer holds a shared advisory lock (`flock`) on the folder itself while it writes; the kernel
/// drops it when the process ends, however it ends. Leftovers are removed from a folder only while
/// holding its exclusive lock, so temporary files of a live writer (two runs sharing `--output`,
/// runs of one study in parallel) are never touched. The lock needs no file of its own.
final class OutputFolderLock {
    private var descriptor: Int32

    /// Sweeps `folder` (and, when `sweepSiblings`, the other `run-*` folders beside it) of temporary
    /// files whose writer is gone, then holds the shared lock on `folder` until `release()`.
    /// Locking is best effort: a file system without `flock` support only loses the sweeping.
    init(folder: URL, sweepSiblings: Bool) {
        if sweepSiblings {
            let parent = folder.deletingLastPathComponent()
            let names = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
            for name in names where name.hasPrefix("run-") && name != folder.lastPathComponent {
                Self.sweep(parent.appendingPathComponent(name), keepingLock: false)
            }
        }
        descriptor = Self.sweep(folder, keepingLock: true)
    }

    /// Claims `folder` for one run (`segment -o`): takes its exclusive lock WITHOUT waiting (nil when
    /// any other process holds the folder, shared or exclusive), sweeps it, runs `check` while still
    /// exclusive, then converts to the shared lock writers hold (so this process's own report writer,
    /// which takes a shared lock on another descriptor, does not deadlock). Another run's exclusive
    /// attempt fails for as long as this lock is held. On Linux the kernel converts the lock under its
    /// lock-list spinlock, so no other process can take the folder in between.
    init?(claiming folder: URL, check: () throws -> Void) throws {
        let fd = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { close(fd); return nil }
        descriptor = fd
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names where Self.isTemporaryName(name) {
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
        try check()
        while flock(fd, LOCK_SH) != 0 && errno == EINTR {}
    }

    /// Drops the lock (also dropped when the process exits).
    func release() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    deinit { release() }

    /// Whether `name` is a temporary name `AtomicFile` gives: "." + 8 hex digits + ".partial." + name.
    static func isTemporaryName(_ name: String) -> Bool {
        let parts = name.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0].isEmpty && parts[1].count == 8 && parts[1].allSatisfy(\.isHexDigit)
            && parts[2].hasPrefix("partial.") && parts[2].count > "partial.".count
    }

    /// Removes temporary files from `folder` when no writer holds it; returns the descriptor holding
    /// the shared lock when `keepingLock` (-1 when the folder cannot be opened), else -1.
    @discardableResult
    private static func sweep(_ folder: URL, keepingLock: Bool) -> Int32 {
        let fd = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return -1 }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for name in names where isTemporaryName(name) {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
            }
        }
        guard keepingLock else { close(fd); return -1 }
        // Converting to shared lets other writers of the same folder in; it waits while another
        // process sweeps (holds the exclusive lock).
        while flock(fd, LOCK_SH) != 0 && errno == EINTR {}
        return fd
    }
}
