import Core
import Foundation
import GRDB
import XCTest
import TestSupport
@testable import StudyStore

/// Checks of what `segment` leaves on disk and in the database.
enum RunOutputCheck {
    /// The artefacts a completed `segment` run on DICOM input records.
    static let completedKinds: Set<ArtefactKind> = [.mask, .seg, .sr, .reportHTML, .reportPDF, .reportJSON]

    /// Whether `name` is a temporary name of an atomic write (`Core.TemporaryName`).
    static func isTemporaryName(_ name: String) -> Bool { TemporaryName.isTemporary(name) }

    /// The number of rows of `table`.
    static func rowCount(_ store: StudyStore, _ table: String) throws -> Int {
        try store.writer.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }

    /// Every file under `root` (relative paths), recursively.
    static func files(under root: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else { return [] }
        return enumerator.compactMap { item -> String? in
            guard let path = item as? String else { return nil }
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: root.appendingPathComponent(path).path, isDirectory: &isDirectory)
            return !exists || isDirectory.boolValue ? nil : path
        }.sorted()
    }

    /// Why the file at `url` is not a whole artefact of its kind (by name), or nil when it is whole.
    /// JSON must parse, HTML must end with </html>, PDF must carry its %%EOF trailer, DICOM must be
    /// read to the end by DCMTK's dcmdump, NIfTI .nii.gz must pass `gzip -t`.
    static func problem(wholeFile url: URL) -> String? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return "unreadable" }
        let name = url.lastPathComponent
        switch name {
        case "segmentation.json", "report.json":
            return (try? JSONSerialization.jsonObject(with: data)) == nil ? "JSON does not parse (\(data.count) bytes)" : nil
        case "report.html":
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.hasSuffix("</html>") ? nil : "HTML does not end with </html> (\(data.count) bytes)"
        case "report.pdf":
            let tail = String(decoding: data.suffix(64), as: UTF8.self)
            return data.starts(with: Data("%PDF-".utf8)) && tail.contains("%%EOF") ? nil : "PDF without header or %%EOF trailer (\(data.count) bytes)"
        case "seg.dcm", "sr.dcm":
            return tool("/usr/bin/dcmdump", ["-q", url.path])
        case "mask.nii.gz":
            return tool("/usr/bin/gzip", ["-t", url.path])
        default:
            return "unexpected file \(name)"
        }
    }

    /// nil when `executable arguments` exits 0, else its exit status and message.
    static func tool(_ executable: String, _ arguments: [String]) -> String? {
        let outcome: ProcessRunner.Outcome
        do { outcome = try ProcessRunner.run(URL(fileURLWithPath: executable), arguments) } catch { return "\(executable) cannot run: \(error)" }
        return outcome.status == 0 && !outcome.signalled ? nil
            : "\(URL(fileURLWithPath: executable).lastPathComponent) \(arguments.joined(separator: " ")) exited \(outcome.status): \(outcome.stderr)"
    }

    /// Problems of the runs in `store`: every run is completed or incomplete (its process is gone);
    /// a completed run has lesions and all its artefacts on disk with the recorded SHA-256; an
    /// incomplete run has no lesion, label or artefact rows. Relative artefact paths are resolved
    /// against `directory` (the process's working directory).
    static func runProblems(_ store: StudyStore, directory: URL, cache: FileCache = FileCache()) throws -> (problems: [String], completed: Int, incomplete: Int) {
        var problems = try store.integrityCheck() == ["ok"] ? [] : ["integrity_check: \(try store.integrityCheck())"]
        var completed = 0, incomplete = 0
        for run in try store.runs() {
            let detail = try store.show(run.runID)
            switch run.status {
            case .completed:
                completed += 1
                if detail.lesions.isEmpty { problems.append("run \(run.runID) completed without lesions") }
                let kinds = Set(detail.artefacts.map(\.kind))
                if kinds != completedKinds { problems.append("run \(run.runID) completed with artefacts \(kinds.map(\.rawValue).sorted())") }
                for artefact in detail.artefacts {
                    let url = artefact.path.hasPrefix("/") ? URL(fileURLWithPath: artefact.path) : directory.appendingPathComponent(artefact.path)
                    guard let digest = cache.sha256(url) else {
                        problems.append("run \(run.runID) completed but \(artefact.path) is missing"); continue
                    }
                    if digest != artefact.sha256 { problems.append("run \(run.runID): \(artefact.path) differs from its recorded SHA-256") }
                }
            case .incomplete:
                incomplete += 1
                if !detail.lesions.isEmpty || !detail.artefacts.isEmpty || !detail.labels.isEmpty {
                    problems.append("incomplete run \(run.runID) has \(detail.lesions.count) lesions, \(detail.labels.count) labels, \(detail.artefacts.count) artefacts")
                }
            default:
                problems.append("run \(run.runID) is \(run.status.rawValue) after its process ended")
            }
        }
        return (problems, completed, incomplete)
    }

    /// Problems of the files under `root`: each is either a whole artefact under its final name or
    /// an AtomicFile temporary (returned in `temporaries`).
    static func folderProblems(under root: URL, cache: FileCache = FileCache()) -> (problems: [String], temporaries: [String]) {
        var problems: [String] = [], temporaries: [String] = []
        for path in files(under: root) {
            let name = URL(fileURLWithPath: path).lastPathComponent
            if isTemporaryName(name) { temporaries.append(path); continue }
            if let problem = cache.wholeFileProblem(root.appendingPathComponent(path)) { problems.append("\(path): \(problem)") }
        }
        return (problems, temporaries)
    }
}

extension RunOutputCheck {
    /// Files and folders under `root` (and `extraFiles`) that others than the owner may read, or
    /// whose path contains one of `identifiers` (patient ID or name).
    static func privacyProblems(under root: URL, extraFiles: [String] = [], identifiers: [String]) -> [String] {
        var problems: [String] = []
        let relative = (FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []) + [""]
        for path in relative.map({ root.appendingPathComponent($0).path }) + extraFiles {
            if let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber,
               mode.intValue & 0o077 != 0 {
                problems.append("\(path) has mode \(String(mode.intValue, radix: 8))")
            }
            for identifier in identifiers where path.localizedCaseInsensitiveContains(identifier) {
                problems.append("\(path) contains the identifier \(identifier)")
            }
        }
        return problems
    }
}

/// Results of the file checks by path, size and modification time, so the kill harness checks each
/// file version once (a later run replacing a file gives it a new key). Only successes are kept.
final class FileCache {
    private var whole: Set<String> = []
    private var digests: [String: String] = [:]

    private func key(_ url: URL) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
              let size = attributes[.size] as? NSNumber, let modified = attributes[.modificationDate] as? Date else { return nil }
        return "\(url.path)|\(size)|\(modified.timeIntervalSinceReferenceDate)"
    }

    func wholeFileProblem(_ url: URL) -> String? {
        guard let key = key(url) else { return "unreadable" }
        if whole.contains(key) { return nil }
        let problem = RunOutputCheck.problem(wholeFile: url)
        if problem == nil { whole.insert(key) }
        return problem
    }

    /// nil when the file is missing.
    func sha256(_ url: URL) -> String? {
        guard let key = key(url) else { return nil }
        if let digest = digests[key] { return digest }
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        let digest = Digest.sha256Hex(data)
        digests[key] = digest
        return digest
    }
}
