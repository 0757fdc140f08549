import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// One connection to a PostgreSQL server, used synchronously by the store (the store's API is
/// synchronous; its callers are command-line processes and batch worker threads, never an event loop).
/// Transactions are serialised on the connection by a lock.
///
/// Write transactions first take a transaction-scoped advisory lock, so writers queue one after
/// another as SQLite's IMMEDIATE transactions do: the store's upserts (find the patient, else insert
/// it) then need no retry loop when array tasks record runs of one patient at the same time.
final class PostgresConnectionBox: @unchecked Sendable {
    /// The advisory lock key of the store's write transactions.
    static let writeLockKey: Int64 = 0x5365_6753_7461_7431  // "SegStat1"

    let location: PostgresLocation
    private let connection: PostgresConnection
    private let lock = NSLock()
    private let logger = Logger(label: "segstation.postgres")

    init(_ location: PostgresLocation) throws {
        self.location = location
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: .disable)
        do {
            switch location.tls {
            case .disable: break
            case .prefer: configuration.tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: configuration.tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
            configuration.options.connectTimeout = .seconds(30)
            connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
                                                        id: 1, logger: logger).wait()
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "3D000" {
            // invalid_catalog_name: the database does not exist (the store never creates PostgreSQL databases).
            throw StoreError.databaseMissing(path: location.description)
        } catch {
            throw StoreError.cannotOpen(path: location.description, reason: Self.message(error))
        }
    }

    deinit { try? connection.close().wait() }

    /// Runs `body` in one transaction (BEGIN ... COMMIT, ROLLBACK on error).
    func transaction<T>(write: Bool, _ body: (PostgresSQLSession) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let session = PostgresSQLSession(box: self)
        try session.execute(write ? "BEGIN" : "BEGIN READ ONLY", [])
        do {
            if write { try session.execute("SELECT pg_advisory_xact_lock(?)", [.integer(Self.writeLockKey)]) }
            let result = try body(session)
            try session.execute("COMMIT", [])
            return result
        } catch {
            try? session.execute("ROLLBACK", [])
            throw error
        }
    }

    /// Runs one statement outside any transaction (CREATE DATABASE and the like).
    func executeOutsideTransaction(_ sql: String) throws {
        lock.lock()
        defer { lock.unlock() }
        _ = try run(sql, [])
    }

    /// Runs one statement (no transaction of its own); the caller holds `lock`.
    fileprivate func run(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        var binds = PostgresBindings(capacity: arguments.count)
        for value in arguments {
            switch value {
            case .null: binds.appendNull()
            case .integer(let i): binds.append(i)
            case .real(let d): binds.append(d)
            case .text(let s): binds.append(s)
            case .bool(let b): binds.append(b)
            }
        }
        let query = PostgresQuery(unsafeSQL: Self.numberedPlaceholders(sql), binds: binds)
        let result: PostgresQueryResult
        do {
            result = try connection.query(query, logger: logger).wait()
        } catch {
            throw PostgresFailure(message: Self.message(error))
        }
        var columns: SQLColumns?
        return try result.rows.map { row in
            var values: [SQLValue] = []
            if columns == nil { columns = SQLColumns(row.map(\.columnName)) }
            for cell in row { values.append(try Self.value(of: cell)) }
            return SQLRow(columns: columns!, values: values)
        }
    }

    static func value(of cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        do {
            switch cell.dataType {
            case .int2, .int4, .int8, .oid: return .integer(try cell.decode(Int64.self))
            case .float4, .float8: return .real(try cell.decode(Double.self))
            case .numeric: return .real(Double(try cell.decode(String.self)) ?? .nan)
            case .bool: return .bool(try cell.decode(Bool.self))
            default: return .text(try cell.decode(String.self))
            }
        } catch {
            throw PostgresFailure(message: "cannot read column \(cell.columnName) of type \(cell.dataType): \(error)")
        }
    }

    /// `?` placeholders (outside quoted text) as PostgreSQL's `$1, $2, ...`: one SQL text serves both backends.
    static func numberedPlaceholders(_ sql: String) -> String {
        var out = ""
        out.reserveCapacity(sql.count + 8)
        var n = 0
        var quote: Character?
        for c in sql {
            if let q = quote {
                if c == q { quote = nil }
                out.append(c)
            } else if c == "'" || c == "\"" {
                quote = c
                out.append(c)
            } else if c == "?" {
                n += 1
                out += "$\(n)"
            } else {
                out.append(c)
            }
        }
        return out
    }

    static func message(_ error: Error) -> String {
        if let psql = error as? PSQLError {
            if let server = psql.serverInfo, let text = server[.message] {
                return [server[.sqlState].map { "SQLSTATE \($0)" }, text, server[.detail]].compactMap { $0 }.joined(separator: ": ")
            }
            return "\(psql.code)" + (psql.underlying.map { ": \($0)" } ?? "")
        }
        return "\(error)"
    }
}

/// A statement PostgreSQL refused (`StoreError.wrap` turns it into `.sqlite` naming the operation).
struct PostgresFailure: Error, CustomStringConvertible {
    var message: String
    var description: String { "PostgreSQL: \(message)" }
}

/// The `SQLSession` of a PostgreSQL transaction.
struct PostgresSQLSession: SQLSession {
    let box: PostgresConnectionBox
    var dialect: SQLDialect { .postgres }
    func fetch(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] { try box.run(sql, arguments) }
    func execute(_ sql: String, _ arguments: [SQLValue]) throws { _ = try box.run(sql, arguments) }
}
