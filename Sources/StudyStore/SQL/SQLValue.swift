import Foundation

/// A value bound to or read from SQL, the same for both backends (SQLite through GRDB, PostgreSQL
/// through libpq). Dates are stored as text in GRDB's format (`SQLValue.date`), so a
/// database's JSON/CSV output does not depend on its backend.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case bool(Bool)

    /// GRDB's text form of a date: "yyyy-MM-dd HH:mm:ss.SSS" in UTC.
    public static func date(_ date: Date) -> SQLValue { .text(SQLDateFormat.string(from: date)) }
}

extension SQLValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(nilLiteral: ()) { self = .null }
}

/// Conversions of Swift values to `SQLValue` (nil becomes NULL).
public protocol SQLBindable { var sqlValue: SQLValue { get } }
extension String: SQLBindable { public var sqlValue: SQLValue { .text(self) } }
extension Int: SQLBindable { public var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int64: SQLBindable { public var sqlValue: SQLValue { .integer(self) } }
extension Double: SQLBindable { public var sqlValue: SQLValue { .real(self) } }
extension Bool: SQLBindable { public var sqlValue: SQLValue { .bool(self) } }
extension Date: SQLBindable { public var sqlValue: SQLValue { .date(self) } }
extension Optional: SQLBindable where Wrapped: SQLBindable { public var sqlValue: SQLValue { self?.sqlValue ?? .null } }

/// GRDB's date storage format, read and written identically by both backends.
enum SQLDateFormat {
    static func string(from date: Date) -> String {
        var seconds = date.timeIntervalSince1970
        var whole = floor(seconds)
        var millis = Int(((seconds - whole) * 1000).rounded())
        if millis == 1000 { whole += 1; millis = 0 }
        seconds = whole
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d.%03d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), millis)
    }

    /// Parses "yyyy-MM-dd HH:mm:ss[.SSS]" (UTC), GRDB's form; nil otherwise.
    static func date(from text: String) -> Date? {
        let scanner = Array(text.utf8)
        func number(_ from: Int, _ count: Int) -> Int? {
            guard from + count <= scanner.count else { return nil }
            var value = 0
            for c in scanner[from..<(from + count)] {
                guard c >= 48, c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
            }
            return value
        }
        guard scanner.count >= 19, let y = number(0, 4), let mo = number(5, 2), let d = number(8, 2),
              let h = number(11, 2), let mi = number(14, 2), let s = number(17, 2) else { return nil }
        var fraction = 0.0
        if scanner.count > 20, scanner[19] == UInt8(ascii: ".") {
            let digits = scanner[20...].prefix { $0 >= 48 && $0 <= 57 }
            fraction = Double(String(decoding: digits, as: UTF8.self)).map { $0 / pow(10, Double(digits.count)) } ?? 0
        }
        var parts = tm()
        parts.tm_year = Int32(y - 1900); parts.tm_mon = Int32(mo - 1); parts.tm_mday = Int32(d)
        parts.tm_hour = Int32(h); parts.tm_min = Int32(mi); parts.tm_sec = Int32(s)
        return Date(timeIntervalSince1970: Double(timegm(&parts)) + fraction)
    }
}

/// The column names of a result, shared by its rows. Names are matched case-insensitively:
/// PostgreSQL folds unquoted identifiers to lower case (`patientID` comes back as `patientid`).
public final class SQLColumns: @unchecked Sendable {
    public let names: [String]
    private let index: [String: Int]
    init(_ names: [String]) {
        self.names = names
        var index: [String: Int] = [:]
        for (i, name) in names.enumerated() where index[name.lowercased()] == nil { index[name.lowercased()] = i }
        self.index = index
    }
    func position(_ name: String) -> Int? { index[name] ?? index[name.lowercased()] }
}

/// One result row, read by column name or position.
public struct SQLRow: Sendable {
    public let columns: SQLColumns
    public let values: [SQLValue]

    public subscript(_ column: String) -> SQLValue { columns.position(column).map { values[$0] } ?? .null }
    public subscript(_ position: Int) -> SQLValue { position < values.count ? values[position] : .null }

    public func string(_ column: String) -> String? { Self.string(self[column]) }
    public func int64(_ column: String) -> Int64? { Self.int64(self[column]) }
    public func int(_ column: String) -> Int? { int64(column).map(Int.init) }
    public func double(_ column: String) -> Double? { Self.double(self[column]) }
    public func bool(_ column: String) -> Bool? { int64(column).map { $0 != 0 } }
    public func date(_ column: String) -> Date? { string(column).flatMap(SQLDateFormat.date(from:)) }

    public func string(_ i: Int) -> String? { Self.string(self[i]) }
    public func int64(_ i: Int) -> Int64? { Self.int64(self[i]) }
    public func int(_ i: Int) -> Int? { Self.int64(self[i]).map(Int.init) }
    public func double(_ i: Int) -> Double? { Self.double(self[i]) }
    public func bool(_ i: Int) -> Bool? { Self.int64(self[i]).map { $0 != 0 } }

    static func string(_ v: SQLValue) -> String? {
        switch v {
        case .text(let s): return s
        case .integer(let i): return String(i)
        case .real(let d): return String(d)
        case .bool(let b): return b ? "1" : "0"
        case .null: return nil
        }
    }
    static func int64(_ v: SQLValue) -> Int64? {
        switch v {
        case .integer(let i): return i
        case .real(let d): return Int64(exactly: d.rounded())
        case .bool(let b): return b ? 1 : 0
        case .text(let s): return Int64(s)
        case .null: return nil
        }
    }
    static func double(_ v: SQLValue) -> Double? {
        switch v {
        case .real(let d): return d
        case .integer(let i): return Double(i)
        case .text(let s): return Double(s)
        case .bool(let b): return b ? 1 : 0
        case .null: return nil
        }
    }
}

/// Runs SQL inside one read or write transaction of a backend. SQL texts use `?` placeholders and
/// the SQL common to SQLite and PostgreSQL; the PostgreSQL session rewrites `?` to `$1, $2, ...`.
public protocol SQLSession {
    var dialect: SQLDialect { get }
    func fetch(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow]
    func execute(_ sql: String, _ arguments: [SQLValue]) throws
    /// Hands each result row to `body` as it is read, to be read by position there (the reader is only
    /// valid inside `body`). For large results: SQLite's session reads the columns straight from the
    /// statement, without the `SQLRow` (values array, strings of every text column) `fetch` builds per
    /// row. The values are `SQLRow`'s for the same columns.
    func forEachRow(_ sql: String, _ arguments: [SQLValue], _ body: (any SQLColumnReader) throws -> Void) throws
}

/// One result row read by position: the conversions of `SQLRow`'s positional accessors.
public protocol SQLColumnReader {
    func int64(_ i: Int) -> Int64?
    func double(_ i: Int) -> Double?
    func string(_ i: Int) -> String?
}

extension SQLColumnReader {
    public func int(_ i: Int) -> Int? { int64(i).map(Int.init) }
    public func bool(_ i: Int) -> Bool? { int64(i).map { $0 != 0 } }
}

extension SQLRow: SQLColumnReader {}

extension SQLSession {
    /// Through `fetch` (PostgreSQL: libpq has received the whole result already).
    func forEachRow(_ sql: String, _ arguments: [SQLValue], _ body: (any SQLColumnReader) throws -> Void) throws {
        for row in try fetch(sql, arguments) { try body(row) }
    }

    func fetchOne(_ sql: String, _ arguments: [SQLValue] = []) throws -> SQLRow? { try fetch(sql, arguments).first }
    /// Runs an `INSERT ... RETURNING id` (both SQLite >= 3.35 and PostgreSQL support RETURNING).
    func insert(_ sql: String, _ arguments: [SQLValue]) throws -> Int64 {
        guard let id = try fetch(sql + " RETURNING id", arguments).first?.int64("id") else {
            throw StoreError.sqlite(operation: "inserting", message: "no id returned for: \(sql)")
        }
        return id
    }
}

/// Where the two backends' SQL differs; everything else is one text.
public enum SQLDialect: String, Sendable {
    case sqlite, postgres

    /// A string aggregate: `group_concat(x, sep)` / `string_agg(x, sep)`.
    func groupConcat(_ expression: String, separator: String) -> String {
        self == .sqlite ? "group_concat(\(expression), '\(separator)')" : "string_agg(\(expression), '\(separator)')"
    }

    /// Appended to an ascending ORDER BY term of a nullable column: SQLite sorts NULL first,
    /// PostgreSQL last unless told.
    var nullsFirst: String { self == .postgres ? " NULLS FIRST" : "" }

    /// `+column` keeps SQLite's planner off an index of that column; PostgreSQL has no such hint.
    func noIndex(_ column: String) -> String { self == .sqlite ? "+" + column : column }
}
