import Core
import Foundation
import Inference

/// One case of a cohort: its channel inputs in manifest order, or why it cannot be run.
public struct BatchCase: Equatable, Sendable {
    /// The case id: nnU-Net's case name, the CSV's `case_id`, or the DICOM StudyInstanceUID.
    /// It decides the shard and the (hashed) output folder.
    public var id: String
    /// One path per model input, in manifest order (DICOM folders, NIfTI or NRRD files).
    public var inputs: [String]
    /// SeriesInstanceUID per input for DICOM cases; empty otherwise.
    public var seriesUIDs: [String]
    /// Identifiers from a CSV manifest (NIfTI/NRRD cases only), as `segment --patient-id ...` gives them.
    public var identity: IdentityOverrides
    /// Set when the case was found incomplete (a missing channel, an unknown channel): it is
    /// recorded as failed with this reason, without being loaded.
    public var problem: String?

    public init(id: String, inputs: [String], seriesUIDs: [String] = [], identity: IdentityOverrides = IdentityOverrides(), problem: String? = nil) {
        self.id = id; self.inputs = inputs; self.seriesUIDs = seriesUIDs; self.identity = identity; self.problem = problem
    }

    /// The case's output folder name below OUT: `case-` and 16 hex digits of SHA-256(case id), so
    /// no identifier (a study UID, a patient-derived case name) appears in a path.
    public var folderName: String { "case-" + Digest.sha256Hex(id).prefix(16) }
}

/// What `batch` found in its INPUT: the cases, sorted by id, and notes about files it ignored.
public struct BatchCohort: Sendable {
    public enum Kind: String, Codable, Sendable { case nnUNetFolder = "nnunet-folder", csvManifest = "csv-manifest", dicomTree = "dicom-tree" }
    public var kind: Kind
    public var cases: [BatchCase]
    public var notes: [String]

    /// Reads INPUT: a `.csv` file is a manifest; a folder holding files named `CASE_XXXX.nii[.gz]`
    /// is an nnU-Net folder; any other folder is a DICOM tree routed by `rules`.
    public static func discover(_ path: String, manifest: ModelManifest, rules: () throws -> SeriesRoutingRules) throws -> BatchCohort {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw BatchError.notFound("\(path): no such file or folder")
        }
        var cohort: BatchCohort
        if !isDirectory.boolValue {
            guard path.lowercased().hasSuffix(".csv") else {
                throw BatchError.badInput("\(path): INPUT must be a folder (nnU-Net NIfTI files or DICOM studies) or a .csv manifest")
            }
            cohort = try BatchCSVManifest.read(path, manifest: manifest)
        } else if let folder = try NNUNetFolder.read(path, manifest: manifest) {
            cohort = folder
        } else {
            cohort = try BatchDICOMTree.read(path, manifest: manifest, rules: try rules())
        }
        cohort.cases.sort { $0.id < $1.id }
        guard !cohort.cases.isEmpty else {
            throw BatchError.notFound("\(path): no case found (\(cohort.kind.rawValue))" + (cohort.notes.isEmpty ? "" : "; " + cohort.notes.joined(separator: "; ")))
        }
        return cohort
    }
}

/// nnU-Net's raw-data naming: `CASE_XXXX.nii.gz` (or `.nii`, `.nrrd`), XXXX the 4-digit channel index
/// in the model manifest's input order.
enum NNUNetFolder {
    /// The cases of `folder`, or nil when no file in it follows the naming (then it is not such a folder).
    static func read(_ folder: String, manifest: ModelManifest) throws -> BatchCohort? {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted() } catch {
            throw BatchError.badInput("\(folder): cannot list the folder (\(error.localizedDescription))")
        }
        var channels: [String: [Int: String]] = [:]
        var ignored: [String] = []
        let pattern = #/^(.+)_([0-9]{4})\.(nii\.gz|nii|nrrd)$/#
        for name in names where !name.hasPrefix(".") {
            guard let m = name.wholeMatch(of: pattern), let index = Int(m.output.2) else {
                ignored.append(name)
                continue
            }
            channels[String(m.output.1), default: [:]][index] = (folder as NSString).appendingPathComponent(name)
        }
        if channels.isEmpty { return nil }
        let inputs = manifest.inputs
        let cases = channels.map { id, files -> BatchCase in
            var problems: [String] = []
            for index in files.keys.sorted() where index >= inputs.count {
                problems.append("unexpected channel \(String(format: "%04d", index)): the model takes \(inputs.count) (\(inputs.map(\.name).joined(separator: ", ")))")
            }
            for (index, input) in inputs.enumerated() where files[index] == nil {
                problems.append("missing channel \(String(format: "%04d", index)) (\(input.name)): no \(id)_\(String(format: "%04d", index)).nii.gz")
            }
            return BatchCase(id: id, inputs: inputs.indices.compactMap { files[$0] },
                             problem: problems.isEmpty ? nil : problems.joined(separator: "; "))
        }
        let notes = ignored.isEmpty ? [] : ["ignored \(ignored.count) file(s) not named CASE_XXXX.nii[.gz]: \(ignored.prefix(5).joined(separator: ", "))\(ignored.count > 5 ? ", ..." : "")"]
        return BatchCohort(kind: .nnUNetFolder, cases: cases, notes: notes)
    }
}
