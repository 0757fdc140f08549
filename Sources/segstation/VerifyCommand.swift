import ArgumentParser
import Core
import Foundation
import Imaging
import Pipeline
import StudyStore

/// `segstation verify`: rehashes every artefact the database records and reports mismatches.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Rehash every recorded artefact (mask, SEG, SR, reports) and report files that changed or vanished.",
        discussion: """
        Every artefact row of the study database names a file, its SHA-256 and its size. Each current \
        artefact is read again and compared: ok, changed (another SHA-256 or size) or missing. Artefacts \
        a later run replaced with `segment --overwrite` are listed as superseded and not compared. \
        Exit 0 when every current artefact matches, 65 when any changed or is missing (the list names \
        them), 66 when there is no database. Read-only: works on read-only databases and media.
        """
    )

    @OptionGroup var database: DatabaseOption

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Entry: Encodable {
        var runID: Int64
        var kind: String
        var path: String
        /// ok, changed, missing or superseded.
        var status: String
        var recordedSHA256: String
        var actualSHA256: String?
    }

    struct Report: Encodable {
        var database: String
        var checked: Int
        var mismatches: Int
        var artefacts: [Entry]
    }

    /// Artefacts changed or missing: the input (the database's promises) does not hold.
    struct Mismatch: CategorizedError {
        var count: Int
        var database: String
        var category: ErrorCategory { .badInput }
        var description: String { "\(count) recorded artefact(s) of \(database) changed or are missing (listed above)" }
    }

    func run() throws {
        let path = database.resolvedPath
        let store = try database.openForQuery()
        var entries: [Entry] = []
        for a in try store.recordedArtefacts() {
            var entry = Entry(runID: a.runID, kind: a.kind, path: a.path, status: "ok", recordedSHA256: a.sha256, actualSHA256: nil)
            if a.supersededByRunID != nil {
                entry.status = "superseded"
            } else if let digest = Digest.sha256Hex(ofFile: URL(fileURLWithPath: a.path)) {
                entry.actualSHA256 = digest
                let size = (try? FileManager.default.attributesOfItem(atPath: a.path))?[.size] as? NSNumber
                if digest != a.sha256.lowercased() || size?.int64Value != a.bytes { entry.status = "changed" }
            } else {
                entry.status = "missing"
            }
            entries.append(entry)
        }
        let bad = entries.filter { $0.status == "changed" || $0.status == "missing" }
        let report = Report(database: path, checked: entries.filter { $0.status != "superseded" }.count, mismatches: bad.count, artefacts: entries)
        if json { try Output.json(report) } else {
            for e in bad { Output.line("\(e.status): run \(e.runID) \(e.kind) \(e.path)") }
            Output.line("verify: \(report.checked) artefact(s) checked, \(bad.count) changed or missing, \(entries.count - report.checked) superseded")
        }
        if !bad.isEmpty { throw Mismatch(count: bad.count, database: path) }
    }
}
