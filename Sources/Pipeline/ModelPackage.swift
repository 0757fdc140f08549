import Core
import Foundation
import Inference

/// A model package on disk: a folder with `manifest.json` and the ONNX network it names.
public struct ModelPackage: Sendable {
    public var folder: URL
    public var manifest: ModelManifest
    public var networkURL: URL { folder.appendingPathComponent(manifest.network.file) }

    /// The name used when `--model` is not given.
    public static let defaultName = "brats-wt-3d"

    /// Loads and validates a package; checks the network's SHA-256 against the manifest.
    public init(folder: URL) throws {
        self.folder = folder
        manifest = try ModelManifest.load(from: folder.appendingPathComponent("manifest.json"))
        guard let digest = Digest.sha256Hex(ofFile: networkURL) else {
            throw InferenceError.modelPackage("cannot read the network \(networkURL.path)")
        }
        guard digest == manifest.network.sha256.lowercased() else {
            throw InferenceError.modelPackage("\(networkURL.path): SHA-256 \(digest) does not match the manifest's \(manifest.network.sha256)")
        }
    }

    /// Resolves `--model NAME|PATH`: an existing folder (or a manifest.json inside one) is used as is;
    /// a name is looked up in `$SEGSTATION_MODELS`, then in `Models/` next to the installation
    /// (the repository when run from `.build/<config>/segstation`), then /usr/local/share/segstation/models.
    public static func resolve(_ nameOrPath: String?) throws -> ModelPackage {
        let fm = FileManager.default
        let request = nameOrPath ?? defaultName
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: request, isDirectory: &isDir) {
            let url = URL(fileURLWithPath: request)
            return try ModelPackage(folder: isDir.boolValue ? url : url.deletingLastPathComponent())
        }
        let searched = searchFolders()
        for root in searched {
            let candidate = root.appendingPathComponent(request)
            if fm.fileExists(atPath: candidate.appendingPathComponent("manifest.json").path) {
                return try ModelPackage(folder: candidate)
            }
        }
        throw InferenceError.modelPackage("no model '\(request)' in \(searched.map(\.path).joined(separator: ", ")); pass --model PATH or set SEGSTATION_MODELS")
    }

    static func searchFolders() -> [URL] {
        var folders: [URL] = []
        if let env = ProcessInfo.processInfo.environment["SEGSTATION_MODELS"] { folders.append(URL(fileURLWithPath: env)) }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        var dir = executable.deletingLastPathComponent()
        for _ in 0..<4 {
            folders.append(dir.appendingPathComponent("Models"))
            dir.deleteLastPathComponent()
        }
        folders.append(URL(fileURLWithPath: "/usr/local/share/segstation/models"))
        return folders
    }
}
