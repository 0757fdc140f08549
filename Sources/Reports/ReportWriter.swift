import Core
import Foundation
import Imaging

/// An output format of `ReportWriter`.
public enum ReportFormat: String, Sendable, CaseIterable, Codable {
    case html, pdf, json

    /// Parses a comma-separated list such as "html,pdf" (case-insensitive, duplicates dropped).
    /// - Throws: `ReportError.invalidInput` naming an unknown format.
    public static func parseList(_ text: String) throws -> [ReportFormat] {
        var result = [ReportFormat]()
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces).lowercased()
            guard let format = ReportFormat(rawValue: name) else {
                throw ReportError.invalidInput("report format '\(name)'; expected html, pdf or json")
            }
            if !result.contains(format) { result.append(format) }
        }
        guard !result.isEmpty else { throw ReportError.invalidInput("empty report format list '\(text)'") }
        return result
    }
}

/// One file written by `ReportWriter`.
public struct ReportArtefact: Sendable, Equatable {
    public var format: ReportFormat
    public var url: URL
    /// Hex SHA-256 of the file's bytes (what the study database records).
    public var sha256: String
    public var byteCount: Int
}

/// Writes reports as `report.html`, `report.pdf` and `report.json` in a folder, each file atomically
/// (`AtomicFile`) with mode 0600; folders it creates get mode 0700. Everything is rendered in memory
/// before the first file is written, and files already written by a failing call are removed, so a
/// failure leaves no partial report.
public enum ReportWriter {
    /// Renders `input` and writes the requested formats into `folder` (created when missing).
    /// - Throws: `ReportError.invalidInput`, `.renderFailed` or `.writeFailed`.
    @discardableResult
    public static func write(_ input: ReportInput, formats: [ReportFormat] = ReportFormat.allCases, to folder: URL,
                             generatedAt: Date = Date()) throws -> [ReportArtefact] {
        let report = try RenderedReport.render(input)
        return try write(report, formats: formats, to: folder, generatedAt: generatedAt)
    }

    /// Writes an already rendered report (see `write(_:formats:to:generatedAt:)`); for tests that
    /// write one rendering in several ways.
    @discardableResult
    static func write(_ report: RenderedReport, formats: [ReportFormat], to folder: URL,
                             generatedAt: Date = Date()) throws -> [ReportArtefact] {
        let document = ReportDocument(report, generatedAt: generatedAt)
        var contents = [(ReportFormat, Data)]()
        for format in formats where !contents.contains(where: { $0.0 == format }) {
            switch format {
            case .html: contents.append((format, Data(HTMLReport.render(report, generatedAt: document.generatedAt).utf8)))
            case .pdf: contents.append((format, try PDFReport.render(report, generatedAt: document.generatedAt)))
            case .json: contents.append((format, try document.encoded()))
            }
        }
        try createPrivateFolder(folder)
        let lock = OutputFolderLock(folder: folder)
        defer { lock.release() }
        var written = [ReportArtefact]()
        do {
            for (format, data) in contents {
                let url = folder.appendingPathComponent("report.\(format.rawValue)")
                try writePrivateFile(data, to: url)
                written.append(ReportArtefact(format: format, url: url, sha256: Digest.sha256Hex(data), byteCount: data.count))
            }
        } catch {
            for artefact in written { try? FileManager.default.removeItem(at: artefact.url) }
            throw error
        }
        return written
    }

    /// Writes into `defaultFolder(root:header:runID:)` with the input's run id.
    @discardableResult
    static func writeToDefaultFolder(_ input: ReportInput, formats: [ReportFormat] = ReportFormat.allCases,
                                            root: URL, generatedAt: Date = Date()) throws -> [ReportArtefact] {
        let folder = defaultFolder(root: root, header: input.header, runID: input.provenance.runID)
        return try write(input, formats: formats, to: folder, generatedAt: generatedAt)
    }

    /// The default folder of a run's report (`SafeNames.runFolder`, the layout `segment` uses).
    static func defaultFolder(root: URL, header: StudyHeader, runID: String) -> URL {
        root.appendingPathComponent(SafeNames.runFolder(patientID: header.patientID, studyUID: header.studyInstanceUID, runID: runID))
    }

    /// Creates `folder` and any missing parents with mode 0700 (existing folders are left as they are).
    static func createPrivateFolder(_ folder: URL) throws {
        var missing = [URL]()
        var current = folder.standardizedFileURL
        var isDirectory: ObjCBool = false
        while !FileManager.default.fileExists(atPath: current.path, isDirectory: &isDirectory) {
            missing.append(current)
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { break }
            current = parent
        }
        if missing.isEmpty && !isDirectory.boolValue {
            throw ReportError.writeFailed(path: folder.path, reason: "exists and is not a folder")
        }
        for url in missing.reversed() {
            if mkdir(url.path, 0o700) != 0 && errno != EEXIST {
                throw ReportError.writeFailed(path: url.path, reason: String(cString: strerror(errno)))
            }
            chmod(url.path, 0o700)  // umask may have removed bits; 0700 is the intended mode.
        }
    }

    /// Writes `data` atomically; the file is created with mode 0600 before any byte is written.
    static func writePrivateFile(_ data: Data, to url: URL) throws {
        do {
            try AtomicFile.write(data, to: url, permissions: 0o600)
        } catch {
            throw ReportError.writeFailed(path: url.path, reason: "\(error)")
        }
    }
}
