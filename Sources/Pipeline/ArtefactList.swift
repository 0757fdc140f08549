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
        guard let digest = FileDigest.sha256(of: url), let bytes = attributes?[.size] as? NSNumber else {
            throw PipelineError.output("artefact \(url.path) was not written")
        }
        _ = chmod(url.path, 0o600)
        records.append(ArtefactInfo(path: url.path, kind: kind, sha256: digest, bytes: bytes.int64Value))
    }

    /// Writes a JSON document atomically (not recorded as an artefact kind of its own).
    func addJSON<T: Encodable>(_ value: T, name: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let url = folder.appendingPathComponent(name)
        try AtomicFile.write(try encoder.encode(value), to: url)
        _ = chmod(url.path, 0o600)
    }
}

/// Errors of the pipeline itself (outputs it could not write).
public enum PipelineError: CategorizedError {
    case output(String)
    case notFound(String)
    case invalidArgument(String)
    /// The inputs cannot be used together (channels of different patients, studies or frames of reference).
    case badInput(String)

    public var category: ErrorCategory {
        switch self {
        case .badInput: return .badInput
        case .output: return .outputFailed
        case .notFound: return .notFound
        case .invalidArgument: return .invalidArgument
        }
    }
    public var description: String {
        switch self {
        case .output(let m), .notFound(let m), .invalidArgument(let m), .badInput(let m): return m
        }
    }
}
