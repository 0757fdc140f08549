import Foundation

/// Paths named inside a file (an NRRD `data file:`, a model manifest's `network.file`) must stay in
/// the folder of the file that names them: absolute paths and `..` components are refused, and the
/// resolved path (symlinks followed) must still lie inside the folder.
public enum ConfinedPath {
    /// Resolves `relative` inside `folder`.
    /// - Parameters:
    ///   - field: the field naming the path (`data file`, `network.file`), for the message.
    ///   - file: the file holding the field.
    /// - Throws: `SafetyError.outsideFolder` naming the file and the field.
    public static func resolve(_ relative: String, inside folder: URL, field: String, file: String) throws -> URL {
        func refuse(_ why: String) -> SafetyError {
            SafetyError(.outsideFolder, subject: file, reason: "'\(field)' \(relative.debugDescription) \(why); it must name a file inside \(folder.path)")
        }
        guard !relative.isEmpty, !relative.contains("\0") else { throw refuse("is empty or holds a NUL") }
        guard !relative.hasPrefix("/") else { throw refuse("is an absolute path") }
        guard !relative.split(separator: "/").contains("..") else { throw refuse("climbs out with '..'") }
        let base = folder.standardizedFileURL.resolvingSymlinksInPath()
        let candidate = base.appendingPathComponent(relative)
        let resolved = candidate.resolvingSymlinksInPath()
        let prefix = base.path.hasSuffix("/") ? base.path : base.path + "/"
        guard resolved.path.hasPrefix(prefix) else { throw refuse("resolves through a symbolic link to \(resolved.path)") }
        return resolved
    }
}
