import Core
import Foundation
import Imaging
import Logging
import VolumeIO

/// elastix (Debian `elastix`, https://elastix.dev), run as a subprocess: the two volumes are written as
/// NIfTI to a private temporary folder, elastix runs with one of the parameter files committed in
/// `Registration/Parameters/`, and its `TransformParameters.0.txt` is read back (`ElastixTransformFile`).
/// The folder is removed afterwards, whatever happens.
enum Elastix {
    /// The parameter file of a registration kind, from the Pipeline target's resources.
    static func parameterFile(_ kind: RegistrationKind) throws -> URL {
        guard let url = Bundle.module.url(forResource: kind.rawValue, withExtension: "txt", subdirectory: "Parameters") else {
            throw RegistrationError.failed("the elastix parameter file \(kind.rawValue).txt is missing from SegStation's resources")
        }
        return url
    }

    /// The elastix program: `$SEGSTATION_ELASTIX`, else the first `elastix` on `PATH`.
    static func executable() throws -> URL {
        let environment = ProcessInfo.processInfo.environment
        var candidates = [String]()
        if let path = environment["SEGSTATION_ELASTIX"], !path.isEmpty { candidates.append(path) }
        candidates += (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map { "\($0)/elastix" }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw RegistrationError.toolMissing("elastix is not installed (Debian package `elastix`; or set SEGSTATION_ELASTIX to the program): studies in different frames of reference cannot be registered")
        }
        return URL(fileURLWithPath: found)
    }

    /// Registers `moving` to `fixed`; returns the transform mapping fixed points to moving points.
    /// - Parameter threads: elastix's `-threads` (default: all cores).
    static func register(fixed: Volume<Float>, moving: Volume<Float>, kind: RegistrationKind, threads: Int? = nil) throws -> AffineTransform3 {
        let program = try executable()
        let parameters = try parameterFile(kind)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("segstation-elastix-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let fixedPath = folder.appendingPathComponent("fixed.nii").path
        let movingPath = folder.appendingPathComponent("moving.nii").path
        try NIfTIFile.write(fixed, to: fixedPath)
        try NIfTIFile.write(moving, to: movingPath)
        var arguments = ["-f", fixedPath, "-m", movingPath, "-p", parameters.path, "-out", folder.path]
        if let threads { arguments += ["-threads", String(threads)] }
        let process = Process()
        process.executableURL = program
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        Log.logger(.pipeline).debug("running \(program.path) \(arguments.joined(separator: " "))")
        do { try process.run() } catch {
            throw RegistrationError.toolMissing("cannot start \(program.path): \(error.localizedDescription)")
        }
        process.waitUntilExit()
        let log = (try? String(contentsOf: folder.appendingPathComponent("elastix.log"), encoding: .utf8)) ?? ""
        let transformURL = folder.appendingPathComponent("TransformParameters.0.txt")
        guard process.terminationStatus == 0, let text = try? String(contentsOf: transformURL, encoding: .utf8) else {
            let tail = log.split(separator: "\n").suffix(8).joined(separator: "\n")
            throw RegistrationError.failed("elastix failed (exit status \(process.terminationStatus)); the end of its log:\n\(tail)")
        }
        return try ElastixTransformFile.parse(text, file: "TransformParameters.0.txt")
    }
}
