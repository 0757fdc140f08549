import Foundation

/// Writing without half-written files: produce the file at a temporary path in the destination's
/// folder, then rename it over the destination (atomic on one file system).
public enum AtomicFile {
    /// Calls `produce` with a temporary path beside `destination` (same extension, so libraries that
    /// choose compression by suffix behave the same), then renames it to `destination`. On any error
    /// the temporary file is removed and the destination is left untouched.
    public static func write(to destination: URL, _ produce: (URL) throws -> Void) throws {
        let folder = destination.deletingLastPathComponent()
        let name = destination.lastPathComponent
        // Keep multi-part extensions such as ".nii.gz": the temporary name only gets a prefix.
        let temporary = folder.appendingPathComponent(".\(UUID().uuidString.prefix(8)).partial.\(name)")
        do {
            try produce(temporary)
            if rename(temporary.path, destination.path) != 0 {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: destination.path,
                                                               NSLocalizedDescriptionKey: String(cString: strerror(errno))])
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    /// Writes `data` atomically (see `write(to:_:)`).
    public static func write(_ data: Data, to destination: URL) throws {
        try write(to: destination) { try data.write(to: $0) }
    }
}
