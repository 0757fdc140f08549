import Foundation

/// Marks an output folder as being written, and removes what killed writers left there.
///
/// Every output is written atomically (`AtomicFile`: a hidden `TemporaryName` beside the destination,
/// then a rename), so a reader never sees a truncated file under an artefact's name. A process killed
/// mid-write (SIGKILL, power loss) cannot remove its temporary, though: the next writer of the same
/// folder removes such leftovers before writing (`segment` also sweeps its sibling `run-*` folders).
///
/// A writer holds a shared advisory lock (`flock`) on the folder itself while it writes; the kernel
/// drops it when the process ends, however it ends. Leftovers are removed from a folder only while
/// holding its exclusive lock, so temporaries of a live writer (two runs sharing `--output`, runs of
/// one study in parallel) are never touched. The lock needs no file of its own. Locking is best
/// effort: a file system without `flock` support only loses the sweeping.
public final class OutputFolderLock {
    private var descriptor: Int32

    /// Sweeps `folder` (and, when `sweepSiblings`, the other `run-*` folders beside it) of temporaries
    /// whose writer is gone, then holds the shared lock on `folder` until `release()`.
    public init(folder: URL, sweepSiblings: Bool = false) {
        if sweepSiblings {
            let parent = folder.deletingLastPathComponent()
            let names = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
            for name in names where name.hasPrefix("run-") && name != folder.lastPathComponent {
                Self.sweep(parent.appendingPathComponent(name))
            }
        }
        var removed: [String] = []
        descriptor = Self.sweep(folder, keepingLock: true, removed: &removed)
    }

    /// Drops the lock (also dropped when the process exits).
    public func release() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }

    deinit { release() }

    /// Removes temporaries (`TemporaryName`) from `folder` unless a writer holds it, and returns
    /// their names ([] for a busy folder). A supervisor may call it after a crash.
    @discardableResult
    public static func sweep(_ folder: URL) -> [String] {
        var removed: [String] = []
        sweep(folder, keepingLock: false, removed: &removed)
        return removed
    }

    /// Sweeps under the exclusive lock, then fsyncs the folder; returns the descriptor holding the
    /// shared lock when `keepingLock` (-1 when the folder cannot be opened), else -1.
    @discardableResult
    private static func sweep(_ folder: URL, keepingLock: Bool, removed: inout [String]) -> Int32 {
        let fd = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return -1 }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for name in names.sorted() where TemporaryName.isTemporary(name) {
                if (try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))) != nil {
                    removed.append(name)
                }
            }
            if !removed.isEmpty { _ = fsync(fd) }
        }
        guard keepingLock else { close(fd); return -1 }
        // Converting to shared lets other writers of the same folder in; it waits while another
        // process sweeps (holds the exclusive lock).
        while flock(fd, LOCK_SH) != 0 && errno == EINTR {}
        return fd
    }
}
