import Foundation

/// A `postgresql://` (or `postgres://`) database URL, as given to `--db` or `SEGSTATION_DB`:
/// `postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE]`, MODE one of libpq's (disable, allow,
/// prefer, require, verify-ca, verify-full; default prefer). The password may also come from `PGPASSWORD`
/// (or, as libpq does, from ~/.pgpass).
public struct PostgresLocation: Equatable, Sendable, CustomStringConvertible {
    public enum TLSMode: String, Sendable { case disable, allow, prefer, require, verifyCA = "verify-ca", verifyFull = "verify-full" }
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    /// True when `location` names a PostgreSQL database rather than a SQLite file.
    public static func isPostgres(_ location: String) -> Bool {
        location.hasPrefix("postgresql://") || location.hasPrefix("postgres://")
    }

    public init(url text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard Self.isPostgres(text), let url = URLComponents(string: text), let host = url.host, !host.isEmpty else {
            throw StoreError.invalidArgument("'\(Self.redacted(text))' is not a postgresql://USER@HOST[:PORT]/DATABASE URL")
        }
        self.host = host
        port = url.port ?? 5432
        guard let user = url.user, !user.isEmpty else {
            throw StoreError.invalidArgument("\(Self.redacted(text)): the URL names no user (postgresql://USER@HOST/DATABASE)")
        }
        self.user = user.removingPercentEncoding ?? user
        password = url.password.map { $0.removingPercentEncoding ?? $0 } ?? environment["PGPASSWORD"]
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        guard !path.isEmpty, !path.contains("/") else {
            throw StoreError.invalidArgument("\(Self.redacted(text)): the URL names no database (postgresql://USER@HOST/DATABASE)")
        }
        database = path.removingPercentEncoding ?? path
        let mode = url.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        guard let tls = TLSMode(rawValue: mode) else {
            throw StoreError.invalidArgument("\(Self.redacted(text)): sslmode '\(mode)' is not disable, allow, prefer, require, verify-ca or verify-full")
        }
        self.tls = tls
    }

    /// The URL without its password (for messages and summaries).
    public var description: String { "postgresql://\(user)@\(host):\(port)/\(database)" }

    /// `text` with any password replaced by `***`.
    public static func redacted(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "***"
        return url.string ?? text
    }
}
