import Foundation

/// "Open a regular input file": the one check every command makes before it opens a file it reads.
///
/// A FIFO or a character device (`/dev/zero`) hangs or streams for ever, a symlink loop fails deep
/// inside a library, and a directory where a file is expected gives a misleading error. All are
/// refused here, from `stat`, before anything opens the path.
public enum InputFile {
    /// What a path is, from `stat` (symlinks followed).
    public enum Kind: Sendable, Equatable { case regular, directory, other(String), loop, missing }

    public static func kind(of path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ELOOP { return .loop }
            if errno == ENOENT || errno == ENOTDIR { return .missing }
            return .other(String(cString: strerror(errno)))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .regular
        case S_IFDIR: return .directory
        case S_IFIFO: return .other("a FIFO (named pipe)")
        case S_IFCHR: return .other("a character device")
        case S_IFBLK: return .other("a block device")
        case S_IFSOCK: return .other("a socket")
        default: return .other("not a regular file")
        }
    }

    /// Returns `path` when it is a regular file (after following symlinks).
    /// - Parameter role: what the file is for, in messages ("model network", "--mask").
    /// - Throws: `SafetyError` `.notFound`, or `.notRegularFile` naming the path, its role and what it is.
    @discardableResult
    public static func requireRegular(_ path: String, role: String) throws -> String {
        switch kind(of: path) {
        case .regular: return path
        case .missing: throw SafetyError(.notFound, subject: path, reason: "\(role): no such file")
        case .directory: throw SafetyError(.notRegularFile, subject: path, reason: "\(role): is a directory; expected a regular file")
        case .loop: throw SafetyError(.notRegularFile, subject: path, reason: "\(role): symbolic link loop")
        case .other(let what): throw SafetyError(.notRegularFile, subject: path, reason: "\(role): is \(what); expected a regular file")
        }
    }

    /// Returns `path` when it is a regular file or a directory (inputs that may be DICOM folders).
    @discardableResult
    public static func requireRegularOrDirectory(_ path: String, role: String) throws -> String {
        if kind(of: path) == .directory { return path }
        return try requireRegular(path, role: role)
    }

    /// Checks an output file path before any work: it may be replaced when it is a regular file or
    /// absent, and its folder must exist.
    /// - Parameter flag: the option naming it (`-o`), for the message.
    /// - Throws: `SafetyError.badOutput` (exit 73) for a directory, FIFO, device, loop or missing folder.
    public static func requireWritableFileTarget(_ path: String, flag: String) throws {
        func refuse(_ why: String) -> SafetyError { SafetyError(.badOutput, subject: path, reason: "\(flag): \(why)") }
        switch kind(of: path) {
        case .regular, .missing: break
        case .directory: throw refuse("is an existing directory; give a file name (e.g. \(path)/out\(suffix(of: path)))")
        case .loop: throw refuse("symbolic link loop")
        case .other(let what): throw refuse("is \(what); expected a file name")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard kind(of: folder) == .directory else { throw refuse("the folder \(folder) does not exist") }
    }

    private static func suffix(of path: String) -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        return name.contains(".") ? "" : ".dcm"
    }
}
