import Core
import Foundation
import Inference

/// A model package on disk: a folder with `manifest.json` and the ONNX network it names.
public struct ModelPackage: Sendable {
    public var folder: URL
    public var manifest: ModelManifest
    /// The network file, resolved inside the package folder (see `init(folder:)`).
    public var networkURL: URL

    /// The name used when `--model` is not given.
    public static let defaultName = "brats-wt-3d"

    /// Loads and validates a package; checks the network's SHA-256 against the manifest.
    ///
    /// Every path the manifest names is confined to the package folder (no absolute path, no `..`,
    /// no symlink out), and the network must be a regular file: a FIFO or /dev/zero would hang the
    /// hashing. So a mismatch message only ever shows the hash of a file inside the package.
    public init(folder: URL) throws {
        self.folder = folder
        let manifestURL = folder.appendingPathComponent("manifest.json")
        try InputFile.requireRegular(manifestURL.path, role: "model manifest")
        manifest = try ModelManifest.load(from: manifestURL)
        // Every network (the ensemble's folds too) stays inside the package, is a regular file and
        // matches its recorded SHA-256.
        var urls: [URL] = []
        for (index, network) in manifest.networks.enumerated() {
            let field = index == 0 ? "network.file" : "ensemble[\(index - 1)].file"
            let url = try ConfinedPath.resolve(network.file, inside: folder, field: field, file: manifestURL.path)
            try InputFile.requireRegular(url.path, role: "model network (manifest \(field))")
            guard let digest = Digest.sha256Hex(ofFile: url) else {
                throw InferenceError.modelPackage("cannot read the network \(url.path)")
            }
            guard digest == network.sha256.lowercased() else {
                throw InferenceError.modelPackage("\(url.path): SHA-256 \(digest) does not match the manifest's \(field.replacingOccurrences(of: ".file", with: ".sha256")) \(network.sha256)")
            }
            urls.append(url)
        }
        networkURL = urls[0]
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
