import CLibPQ
import Foundation
import Logging

/// One connection to a PostgreSQL server through libpq, used synchronously by the store (the store's API is
/// synchronous; its callers are command-line processes and batch worker threads). Transactions are
/// serialised on the connection by a lock.
///
/// Write transactions first take a transaction-scoped advisory lock, so writers queue one after
/// another as SQLite's IMMEDIATE transactions do: the store's upserts (find the patient, else insert
/// it) then need no retry loop when array tasks record runs of one patient at the same time.
final class PostgresConnectionBox: @unchecked Sendable {
    // @unchecked: `connection` (a libpq PGconn, not thread-safe) is only used by `run`, whose callers hold `lock`.

    /// The advisory lock key of the store's write transactions.
    static let writeLockKey: Int64 = 0x5365_6753_7461_7431  // "SegStat1"

    let location: PostgresLocation
    private let connection: OpaquePointer
    private let lock = NSLock()

    init(_ location: PostgresLocation) throws {
        self.location = location
        var parameters: [(String, String)] = [
            ("host", location.host), ("port", String(location.port)), ("user", location.user),
            ("dbname", location.database), ("sslmode", location.tls.rawValue), ("connect_timeout", "30"),
            ("client_encoding", "UTF8"), ("application_name", "segstation"),
        ]
        if let password = location.password { parameters.append(("password", password)) }
        let connection = Self.withCStrings(parameters.map(\.0), terminated: true) { keywords in
            Self.withCStrings(parameters.map(\.1), terminated: true) { values in PQconnectdbParams(keywords, values, 0) }
        }
        guard let connection else { throw StoreError.cannotOpen(path: location.description, reason: "libpq: out of memory") }
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = Self.trimmed(PQerrorMessage(connection))
            PQfinish(connection)
            // libpq reports a failed connection as text only: the server's FATAL for invalid_catalog_name (3D000).
            // The store never creates PostgreSQL databases.
            if reason.contains("database \"\(location.database)\" does not exist") {
                throw StoreError.databaseMissing(path: location.description)
            }
            throw StoreError.cannotOpen(path: location.description, reason: reason)
        }
        // Notices (e.g. "relation already exists, skipping") go to the debug log, not to stderr.
        PQsetNoticeProcessor(connection, { _, message in
            if let message { PostgresConnectionBox.logger.debug("\(PostgresConnectionBox.trimmed(message))") }
        }, nil)
        self.connection = connection
    }

    private static let logger = Logger(label: "segstation.postgres")

    deinit { PQfinish(connection) }

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

    /// The type OIDs of the parameters and results the store uses (pg_type.h).
    enum TypeOID: UInt32 {
        case bool = 16, int8 = 20, int2 = 21, int4 = 23, text = 25, oid = 26, float4 = 700, float8 = 701, numeric = 1700
    }

    /// Runs one statement (no transaction of its own); the caller holds `lock`. Parameters go as text
    /// with their types named (NULL untyped, as the server infers it), results come back as text.
    fileprivate func run(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        var types: [UInt32] = []
        var texts: [String?] = []
        for value in arguments {
            switch value {
            case .null: types.append(0); texts.append(nil)
            case .integer(let i): types.append(TypeOID.int8.rawValue); texts.append(String(i))
            case .real(let d): types.append(TypeOID.float8.rawValue); texts.append(Self.text(of: d))
            case .text(let s): types.append(TypeOID.text.rawValue); texts.append(s)
            case .bool(let b): types.append(TypeOID.bool.rawValue); texts.append(b ? "t" : "f")
            }
        }
        let result = Self.withCStrings(texts) { values in
            PQexecParams(connection, Self.numberedPlaceholders(sql), Int32(arguments.count), types, values, nil, nil, 0)
        }
        guard let result else { throw PostgresFailure(message: Self.trimmed(PQerrorMessage(connection))) }
        defer { PQclear(result) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK: return []
        case PGRES_TUPLES_OK: break
        default: throw PostgresFailure(message: Self.message(result, connection: connection))
        }
        let columnCount = PQnfields(result)
        let columns = SQLColumns((0..<columnCount).map { String(cString: PQfname(result, $0)) })
        let columnTypes = (0..<columnCount).map { TypeOID(rawValue: PQftype(result, $0)) }
        return try (0..<PQntuples(result)).map { row in
            var values: [SQLValue] = []
            values.reserveCapacity(Int(columnCount))
            for column in 0..<columnCount {
                if PQgetisnull(result, row, column) == 1 {
                    values.append(.null)
                } else {
                    values.append(try Self.value(of: String(cString: PQgetvalue(result, row, column)), type: columnTypes[Int(column)],
                                                 column: columns.names[Int(column)]))
                }
            }
            return SQLRow(columns: columns, values: values)
        }
    }

    /// A result cell's text as the store's value: integers, reals and booleans by their column type, else text.
    static func value(of text: String, type: TypeOID?, column: String) throws -> SQLValue {
        switch type {
        case .int2, .int4, .int8, .oid:
            guard let i = Int64(text) else { throw PostgresFailure(message: "column \(column): '\(text)' is not an integer") }
            return .integer(i)
        case .float4, .float8, .numeric:
            guard let d = Double(text) else { throw PostgresFailure(message: "column \(column): '\(text)' is not a number") }
            return .real(d)
        case .bool: return .bool(text == "t")
        case .text, nil: return .text(text)
        }
    }

    /// `d` as PostgreSQL's float8 input reads it back exactly (Swift's shortest round-trip digits).
    static func text(of d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        return "\(d)"
    }

    /// Calls `body` with C copies of `strings` (nil entries as NULL pointers), valid during the call; with
    /// `terminated`, one NULL pointer follows them (libpq's keyword and value lists end so).
    static func withCStrings<R>(_ strings: [String?], terminated: Bool = false, _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let copies = strings.map { $0.flatMap { strdup($0) } }
        defer { for copy in copies { free(copy) } }
        return body(copies.map { $0.map { UnsafePointer($0) } } + (terminated ? [nil] : []))
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

    /// A failed statement's SQLSTATE, message and detail.
    static func message(_ result: OpaquePointer, connection: OpaquePointer) -> String {
        func field(_ code: Int32) -> String? { PQresultErrorField(result, code).map { String(cString: $0) } }
        guard let text = field(ss_pg_diag_message_primary) else { return trimmed(PQerrorMessage(connection)) }
        return [field(ss_pg_diag_sqlstate).map { "SQLSTATE \($0)" }, text, field(ss_pg_diag_message_detail)].compactMap { $0 }.joined(separator: ": ")
    }

    /// A libpq message without its trailing newline.
    static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        message.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "unknown libpq error"
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
