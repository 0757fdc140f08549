import Core
import Foundation

/// Bearer tokens for the HTTP API, stored as SHA-256 hex digests (one per line, `#` comments) in a
/// file that must be owner-only (0600): a leaked file does not reveal a token.
public struct TokenFile: Sendable {
    public let digests: Set<String>

    /// The token's SHA-256 as lower-case hex (`Digest`, as every digest SegStation records; checked on
    /// every request, so not through `String(format:)`, which took 3 % of the server's CPU under load).
    public static func digest(_ token: String) -> String { Digest.sha256Hex(token) }

    /// Reads `path`; refuses a file readable or writable by group or others, and one without any digest.
    public init(path: String) throws {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw ServiceError.config(key: "auth.tokensFile", problem: "\(path) does not exist (create one with `segstation serve --config FILE --new-token`)")
        }
        guard st.st_mode & 0o077 == 0 else {
            throw ServiceError.config(key: "auth.tokensFile", problem: "\(path) has mode \(String(st.st_mode & 0o777, radix: 8)); it must be 0600 (owner only)")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ServiceError.config(key: "auth.tokensFile", problem: "\(path) cannot be read as text")
        }
        var digests = Set<String>()
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard line.count == 64, line.allSatisfy({ $0.isHexDigit }) else {
                throw ServiceError.config(key: "auth.tokensFile", problem: "\(path) line \(n + 1) is not a SHA-256 hex digest")
            }
            digests.insert(line.lowercased())
        }
        guard !digests.isEmpty else { throw ServiceError.config(key: "auth.tokensFile", problem: "\(path) holds no token digest") }
        self.digests = digests
    }

    public func accepts(_ token: String) -> Bool { digests.contains(Self.digest(token)) }

    /// Creates a random token, appends its digest to `path` (created 0600), and returns the token.
    public static func addNewToken(path: String) throws -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        let token = Digest.hex(bytes)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ServiceError.output("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        fchmod(fd, 0o600)
        let line = digest(token) + "\n"
        guard write(fd, line, line.utf8.count) == line.utf8.count else { throw ServiceError.output("cannot write \(path)") }
        return token
    }
}
