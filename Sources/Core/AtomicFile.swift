import Foundation

/// Writing without half-written files: produce the file at a temporary path in the destination's
/// folder (`TemporaryName`), flush it to disk, then rename it over the destination (atomic on one
/// file system) and flush the folder, so that after a crash the destination holds the old or the new
/// bytes, never a mixture. Leftover temporaries of killed writers are removed by `OutputFolderLock`.
public enum AtomicFile {
    /// Calls `produce` with a temporary path beside `destination`, then fsyncs and renames it to
    /// `destination`. With `permissions`, the file gets that mode before the rename. On any error the
    /// temporary file is removed and the destination is left untouched.
    /// - Throws: whatever `produce` throws, or `AtomicFileError` when syncing or renaming fails.
    public static func write(to destination: URL, permissions: mode_t? = nil, _ produce: (URL) throws -> Void) throws {
        let temporary = TemporaryName.beside(destination)
        do {
            try produce(temporary)
            if let permissions, chmod(temporary.path, permissions) != 0 {
                throw AtomicFileError(path: destination.path, operation: "chmod", errno: errno)
            }
            try sync(temporary)
            try commit(temporary, to: destination)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    /// Writes `data` atomically (see `write(to:permissions:_:)`). The temporary is created with
    /// `permissions` (default 0666 less the umask, like `Data.write`) before any byte is written.
    public static func write(_ data: Data, to destination: URL, permissions: mode_t? = nil) throws {
        try write(to: destination) { temporary in
            let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, permissions ?? 0o666)
            guard fd >= 0 else { throw AtomicFileError(path: temporary.path, operation: "create", errno: errno) }
            defer { close(fd) }
            if let permissions { fchmod(fd, permissions) }  // independent of the umask
            try data.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let n = Foundation.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { throw AtomicFileError(path: temporary.path, operation: "write", errno: errno) }
                    offset += n
                }
            }
        }
    }

    /// Renames the finished `temporary` (a file or a folder) to `destination` and fsyncs the folder
    /// holding it, so the new name survives a crash.
    /// - Throws: `AtomicFileError` naming the destination when the rename fails.
    public static func commit(_ temporary: URL, to destination: URL) throws {
        guard rename(temporary.path, destination.path) == 0 else {
            throw AtomicFileError(path: destination.path, operation: "rename", errno: errno)
        }
        syncFolder(destination.deletingLastPathComponent())
    }

    /// Flushes a written file to disk.
    static func sync(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw AtomicFileError(path: url.path, operation: "open", errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 || errno == EINVAL else { throw AtomicFileError(path: url.path, operation: "fsync", errno: errno) }
    }

    /// Flushes a folder's entries (renames, removals) to disk; best effort (some file systems refuse).
    public static func syncFolder(_ folder: URL) {
        let fd = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}

/// A failed step of an atomic write, naming the file and the system's reason.
public struct AtomicFileError: CategorizedError, Equatable {
    public var path: String
    public var operation: String
    public var reason: String

    public init(path: String, operation: String, errno code: Int32) {
        self.path = path; self.operation = operation; self.reason = String(cString: strerror(code))
    }

    public var category: ErrorCategory { .outputFailed }
    public var description: String { "cannot write \(path) (\(operation)): \(reason)" }
}
