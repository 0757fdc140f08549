import Foundation

/// Locates the reference data (`../shared/data` beside the repository, or `$SEGSTATION_DATA`).
public enum TestData {
    /// The repository root (the folder holding Package.swift).
    public static var repositoryRoot: URL {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }

    /// The data folder, or nil when absent.
    public static var root: URL? {
        let env = ProcessInfo.processInfo.environment["SEGSTATION_DATA"]
        let url = env.map { URL(fileURLWithPath: $0) }
            ?? repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) && isDir.boolValue ? url : nil
    }

    /// A path under the data folder, or nil (with the reason) when the data is absent.
    public static func path(_ relative: String) -> String? {
        guard let root else { return nil }
        let p = root.appendingPathComponent(relative).path
        return FileManager.default.fileExists(atPath: p) ? p : nil
    }

    /// Message used when skipping a conformance test.
    public static func missing(_ relative: String) -> String {
        "reference data '\(relative)' is absent: set SEGSTATION_DATA or place ../shared/data beside the repository"
    }

    /// A fresh temporary directory, removed by the caller.
    public static func temporaryDirectory(_ label: String = "segstation") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
