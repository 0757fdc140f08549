import Core
import Foundation
import Imaging
import StudyStore

/// Files a run writes into its output folder, each written atomically and recorded with its SHA-256.
struct ArtefactList {
    let folder: URL
    private(set) var records: [ArtefactInfo] = []

    init(folder: URL) { self.folder = folder }

    var summary: [SegmentSummary.Artefact] {
        records.map { SegmentSummary.Artefact(kind: $0.kind.rawValue, path: $0.path, sha256: $0.sha256) }
    }

    /// Calls `write` with the destination; the writer itself must write atomically (VolumeIO,
    /// SEGWriter and ReportWriter do). Records path, size and digest afterwards.
    mutating func add(_ kind: ArtefactKind, _ name: String, write: (URL) throws -> Void) throws {
        let url = folder.appendingPathComponent(name)
        try write(url)
        try record(kind, url)
    }

    mutating func record(_ kind: ArtefactKind, _ url: URL) throws {
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        guard let digest = Digest.sha256Hex(ofFile: url), let bytes = attributes?[.size] as? NSNumber else {
            throw PipelineError.output("artefact \(url.path) was not written")
        }
        _ = chmod(url.path, 0o600)
        records.append(ArtefactInfo(path: url.path, kind: kind, sha256: digest, bytes: bytes.int64Value))
        FaultInjection.reach("after-artefact-\(url.lastPathComponent)")
    }

    /// Writes a JSON document atomically (not recorded as an artefact kind of its own).
    func addJSON<T: Encodable>(_ value: T, name: String) throws {
        try AtomicFile.write(try JSONFormat.encoder().encode(value), to: folder.appendingPathComponent(name), permissions: 0o600)
        FaultInjection.reach("after-artefact-\(name)")
    }
}
