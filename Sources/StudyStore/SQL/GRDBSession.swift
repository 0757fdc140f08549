import Foundation
import GRDB

/// The `SQLSession` of a GRDB (SQLite) transaction.
struct GRDBSession: SQLSession {
    let db: Database
    var dialect: SQLDialect { .sqlite }

    func fetch(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
        let statement = try db.cachedStatement(sql: sql)
        let columns = SQLColumns(statement.columnNames)
        var rows: [SQLRow] = []
        let cursor = try Row.fetchCursor(statement, arguments: Self.arguments(arguments))
        while let row = try cursor.next() {
            rows.append(SQLRow(columns: columns, values: row.databaseValues.map(Self.value)))
        }
        return rows
    }

    func forEachRow(_ sql: String, _ arguments: [SQLValue], _ body: (any SQLColumnReader) throws -> Void) throws {
        let statement = try db.cachedStatement(sql: sql)
        let cursor = try Row.fetchCursor(statement, arguments: Self.arguments(arguments))
        let reader = ColumnReader(statement: statement.sqliteStatement)
        while try cursor.next() != nil { try body(reader) }
    }

    /// The current row of a stepping statement, read column by column with `SQLRow`'s conversions.
    struct ColumnReader: SQLColumnReader {
        let statement: SQLiteStatement
        func value(_ i: Int) -> SQLValue { GRDBSession.value(DatabaseValue(sqliteStatement: statement, index: CInt(i))) }
        func int64(_ i: Int) -> Int64? { SQLRow.int64(value(i)) }
        func double(_ i: Int) -> Double? { SQLRow.double(value(i)) }
        func string(_ i: Int) -> String? { SQLRow.string(value(i)) }
    }

    func execute(_ sql: String, _ arguments: [SQLValue]) throws {
        try db.execute(sql: sql, arguments: Self.arguments(arguments))
    }

    static func arguments(_ values: [SQLValue]) -> StatementArguments {
        StatementArguments(values.map { value -> (any DatabaseValueConvertible)? in
            switch value {
            case .null: return nil
            case .integer(let i): return i
            case .real(let d): return d
            case .text(let s): return s
            case .bool(let b): return b
            }
        })
    }

    static func value(_ value: DatabaseValue) -> SQLValue {
        switch value.storage {
        case .null: return .null
        case .int64(let i): return .integer(i)
        case .double(let d): return .real(d)
        case .string(let s): return .text(s)
        case .blob(let data): return .text(String(decoding: data, as: UTF8.self))
        }
    }
}
