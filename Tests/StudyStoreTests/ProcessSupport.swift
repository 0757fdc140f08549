import Foundation
import XCTest
@testable import StudyStore

/// Runs the built `segstation` executable (beside the test bundle, or $SEGSTATION_BIN) with its
/// output captured in files under `scratch` (no pipe can fill up).
struct CLIRunner {
    let scratch: URL

    struct Outcome {
        var status: Int32
        /// True when the process ended by a signal (e.g. our SIGKILL), false when it exited.
        var signalled: Bool
        var stdout: String
        var stderr: String
        var arguments: [String]
    }

    static func binary() throws -> URL {
        if let env = ProcessInfo.processInfo.environment["SEGSTATION_BIN"] { return URL(fileURLWithPath: env) }
        let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]), Bundle.main.bundleURL, Bundle(for: ProcessTests.self).bundleURL]
            .map { $0.deletingLastPathComponent().appendingPathComponent("segstation") }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("segstation binary not found beside the tests (\(candidates.map(\.path))): run `swift build` first or set SEGSTATION_BIN")
        }
        return found
    }

    /// Starts `segstation arguments` in `directory` (default: the test's working directory).
    func launch(_ arguments: [String], in directory: URL? = nil) throws -> (Process, () throws -> Outcome) {
        let process = Process()
        process.executableURL = try Self.binary()
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = scratch.appendingPathComponent("\(UUID().uuidString).out"), err = scratch.appendingPathComponent("\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        return (process, {
            process.waitUntilExit()
            return Outcome(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                           stdout: try String(contentsOf: out, encoding: .utf8),
                           stderr: try String(contentsOf: err, encoding: .utf8), arguments: arguments)
        })
    }

    func run(_ arguments: [String], in directory: URL? = nil) throws -> Outcome {
        let (_, wait) = try launch(arguments, in: directory)
        return try wait()
    }

    /// Writes a small phantom DICOM study (`segstation sample --size`) into `folder`; returns the
    /// FLAIR and T1c series folders.
    func phantom(in folder: URL, size: String = "32,32,16") throws -> [String] {
        let outcome = try run(["sample", "-o", folder.path, "--size", size])
        guard outcome.status == 0 else { throw StoreError.sqlite(operation: "segstation sample", message: outcome.stderr) }
        return [folder.appendingPathComponent("FLAIR").path, folder.appendingPathComponent("T1c").path]
    }

    /// The tiny fixture model of the pipeline tests: label 1 where FLAIR > 0.5 (a 1x1x1 convolution),
    /// so a debug-build `segment` spends its time in our code paths, not in a network.
    static let fixtureModel = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("PipelineTests/Fixtures/threshold-3d").path
}

/// Checks of what `segment` leaves on disk and in the database.
enum RunOutputCheck {
    /// The artefacts a completed `segment` run on DICOM input records.
    static let completedKinds: Set<ArtefactKind> = [.mask, .seg, .sr, .reportHTML, .reportPDF, .reportJSON]

    /// Whether `name` is a temporary name of `Imaging.AtomicFile`: "." + 8 hex digits + ".partial." + name.
    static func isTemporaryName(_ name: String) -> Bool {
        let parts = name.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0].isEmpty && parts[1].count == 8 && parts[1].allSatisfy(\.isHexDigit)
            && parts[2].hasPrefix("partial.")
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

    /// nil when `executable arguments` exits 0, else its exit status.
    static func tool(_ executable: String, _ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return "\(executable) cannot run: \(error)" }
        process.waitUntilExit()
        return process.terminationStatus == 0 ? nil : "\(URL(fileURLWithPath: executable).lastPathComponent) \(arguments.joined(separator: " ")) exited \(process.terminationStatus)"
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

/// A thread-safe integer for workers of `concurrentPerform`. `@unchecked Sendable`: `storage` is
/// read and written only while holding `lock`.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: Int
    init(_ value: Int) { storage = value }
    func add(_ delta: Int) { lock.lock(); storage += delta; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return storage }
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
        let digest = StudyStore.sha256Hex(data)
        digests[key] = digest
        return digest
    }
}

/// Base of the tests that drive `segstation` processes: a scratch folder per test and a runner.
class ProcessTestCase: XCTestCase {
    var folder: URL!
    var cli: CLIRunner!
    override func setUpWithError() throws {
        folder = try Fixture.temporaryFolder()
        cli = CLIRunner(scratch: folder)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }
}
