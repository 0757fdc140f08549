import Core
import Foundation
import StudyStore

/// Files received instances under `storage.folder/Instances/<hash(study)>/<hash(series)>/<hash(sop)>.dcm`
/// (SHA-256 prefixes: no patient identifier or UID in any path; folders 0700, files 0600) and records
/// them in the study database. An instance already held is acknowledged and kept once.
public final class InstanceStore: Sendable {
    public enum Outcome: Sendable, Equatable { case stored, duplicate }

    public let root: URL
    public let incoming: URL
    let store: StudyStore

    public init(storageFolder: String, store: StudyStore) throws {
        root = URL(fileURLWithPath: storageFolder).appendingPathComponent("Instances")
        incoming = URL(fileURLWithPath: storageFolder).appendingPathComponent("Incoming")
        self.store = store
        for folder in [URL(fileURLWithPath: storageFolder), root, incoming] {
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw ServiceError.output("cannot create the storage folder \(folder.path): \(error.localizedDescription)")
            }
        }
        // Temporary files of a previous run that stopped mid-transfer.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: incoming.path)) ?? [] where name.hasPrefix(".recv-") {
            try? FileManager.default.removeItem(at: incoming.appendingPathComponent(name))
        }
    }

    /// A 32-hex-digit SHA-256 prefix of `text`.
    static func hashed(_ text: String) -> String {
        Digest.hex(Digest.sha256(Data(text.utf8)).prefix(16))
    }

    /// The folder of a series (relative names only, from hashes of its UIDs).
    public func seriesFolder(studyUID: String, seriesUID: String) -> URL {
        root.appendingPathComponent(Self.hashed("study|" + studyUID)).appendingPathComponent(Self.hashed("series|" + seriesUID))
    }

    /// Moves the bridge's temporary file into place (rename: atomic on one file system) and records it.
    public func file(temporary: URL, _ instance: ReceivedInstance) throws -> Outcome {
        let folder = seriesFolder(studyUID: instance.studyInstanceUID, seriesUID: instance.seriesInstanceUID)
        let destination = folder.appendingPathComponent(Self.hashed("sop|" + instance.sopInstanceUID) + ".dcm")
        if FileManager.default.fileExists(atPath: destination.path) {
            try? FileManager.default.removeItem(at: temporary)
            _ = try? store.recordReceivedInstance(withPath(instance, folder: folder, file: destination))
            return .duplicate
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            _ = chmod(temporary.path, 0o600)
            guard rename(temporary.path, destination.path) == 0 else {
                throw ServiceError.output("cannot store a received instance in \(folder.path): \(String(cString: strerror(errno)))")
            }
        } catch let error as ServiceError { throw error } catch {
            throw ServiceError.output("cannot create \(folder.path): \(error.localizedDescription)")
        }
        return try store.recordReceivedInstance(withPath(instance, folder: folder, file: destination)) ? .stored : .duplicate
    }

    private func withPath(_ instance: ReceivedInstance, folder: URL, file: URL) -> ReceivedInstance {
        var i = instance
        i.folder = folder.path
        i.path = file.path
        return i
    }
}
