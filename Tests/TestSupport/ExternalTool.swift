import Foundation

/// A reference tool installed on the machine (Debian packages such as plastimatch or dciodvfy), run by tests
/// that check SegStation's files against it; tests skip with a message when it is absent.
public struct ExternalTool: Sendable {
    public let path: String

    /// The tool `name` in /usr/bin or /usr/local/bin, or nil.
    public init?(_ name: String) {
        guard let found = ["/usr/bin/", "/usr/local/bin/"].map({ $0 + name }).first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { return nil }
        path = found
    }

    /// Why a test skips without `name`.
    public static func missing(_ name: String, package: String) -> String {
        "\(name) is not installed (Debian package \(package), Scripts/install-deps.sh): the check against it is skipped"
    }

    /// Runs the tool; returns its exit status and combined output.
    @discardableResult
    public func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
