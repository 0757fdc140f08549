internal import CArchive
import Core
import Foundation

/// Extracts an uploaded zip of DICOM files (POST /jobs, `application/zip`) with libarchive, entry by
/// entry, so that nothing lands outside the job's folder and nothing grows past the limits:
/// - entry names must stay inside the folder (`ConfinedPath`: no absolute name, no `..`);
/// - only regular files and folders are taken: a symbolic link, hard link or device entry refuses the zip;
/// - the bytes written (counted as they are decompressed, not as the zip declares them) may not pass
///   `maxBytes`, nor the entries `maxEntries` (zip bombs).
/// A refused zip leaves nothing behind: the caller removes the folder.
enum ZipUpload {
    /// Most entries a zip may hold (a series rarely has more than a few thousand instances).
    static let maxEntries = 100_000

    struct Limits: Sendable {
        var maxBytes: Int64
        var maxEntries: Int
    }

    /// Extracts `zip` into `folder` (created, 0700; files 0600). Returns the number of files.
    /// - Throws: `ServiceError.badUpload` (not a zip, unsafe entry) or `.uploadTooLarge`.
    static func extract(_ zip: Data, into folder: URL, limits: Limits) throws -> Int {
        guard let archive = archive_read_new() else { throw ServiceError.output("libarchive could not allocate a reader") }
        defer { archive_read_free(archive) }
        archive_read_support_format_zip(archive)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return try zip.withUnsafeBytes { bytes -> Int in
            guard archive_read_open_memory(archive, bytes.baseAddress, bytes.count) == ARCHIVE_OK else {
                throw ServiceError.badUpload("the body is not a zip file (\(message(archive)))")
            }
            var files = 0, entries = 0
            var written: Int64 = 0
            var entry: OpaquePointer?
            while true {
                let status = archive_read_next_header(archive, &entry)
                if status == ARCHIVE_EOF { break }
                guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
                    throw ServiceError.badUpload("the zip cannot be read after \(entries) entries (\(message(archive)))")
                }
                entries += 1
                guard entries <= limits.maxEntries else {
                    throw ServiceError.uploadTooLarge("the zip has more than \(limits.maxEntries) entries")
                }
                guard let cName = archive_entry_pathname(entry) else {
                    throw ServiceError.badUpload("zip entry \(entries) has a name that is not valid text")
                }
                let name = String(cString: cName)
                let type = archive_entry_filetype(entry)
                guard archive_entry_hardlink(entry) == nil, type == S_IFREG || type == S_IFDIR else {
                    let what = type == S_IFLNK ? "a symbolic link" : archive_entry_hardlink(entry) != nil ? "a hard link" : "not a regular file"
                    throw ServiceError.badUpload("zip entry \(name.debugDescription) is \(what); only files and folders are accepted")
                }
                let target: URL
                do { target = try ConfinedPath.resolve(name, inside: folder, field: "entry name", file: "the uploaded zip") } catch {
                    throw ServiceError.badUpload("\(error)")
                }
                if type == S_IFDIR {
                    try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                    continue
                }
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
                written += try copyData(archive, to: target, name: name, budget: limits.maxBytes - written, limit: limits.maxBytes)
                files += 1
            }
            return files
        }
    }

    /// The job's inputs in an extracted zip: the whole folder, or the folders named by `?inputs=A,B`
    /// (comma-separated, one per model input, in the model's order), each confined to `folder`.
    /// - Throws: `ServiceError.badUpload` naming a folder that is missing or outside.
    static func inputFolders(_ list: String?, in folder: URL) throws -> [URL] {
        guard let list, !list.isEmpty else { return [folder] }
        return try list.split(separator: ",", omittingEmptySubsequences: false).map { part in
            let name = String(part)
            let url: URL
            do { url = try ConfinedPath.resolve(name, inside: folder, field: "inputs", file: "the query") } catch {
                throw ServiceError.badUpload("\(error)")
            }
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
                throw ServiceError.badUpload("inputs: the zip has no folder \(name.debugDescription)")
            }
            return url
        }
    }

    /// Writes the current entry's data to a new file (never through an existing file or link); returns the bytes.
    private static func copyData(_ archive: OpaquePointer, to target: URL, name: String, budget: Int64, limit: Int64) throws -> Int64 {
        let fd = open(target.path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw ServiceError.badUpload("zip entry \(name.debugDescription) cannot be created (\(String(cString: strerror(errno))); a duplicate name?)")
        }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var total: Int64 = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
            if n == 0 { return total }
            guard n > 0 else { throw ServiceError.badUpload("zip entry \(name.debugDescription) is corrupt (\(message(archive)))") }
            total += Int64(n)
            guard total <= budget else {
                throw ServiceError.uploadTooLarge("the zip expands past http.maxUnzippedBytes (\(limit) bytes)")
            }
            let ok = buffer.withUnsafeBytes { raw -> Bool in
                var offset = 0
                while offset < n {
                    let w = write(fd, raw.baseAddress! + offset, n - offset)
                    if w <= 0 { return false }
                    offset += w
                }
                return true
            }
            guard ok else { throw ServiceError.output("cannot write \(target.lastPathComponent) of the upload: \(String(cString: strerror(errno)))") }
        }
    }

    private static func message(_ archive: OpaquePointer) -> String {
        archive_error_string(archive).map { String(cString: $0) } ?? "no detail"
    }
}
