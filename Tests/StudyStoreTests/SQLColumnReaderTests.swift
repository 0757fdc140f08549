import Foundation
import GRDB
import XCTest
@testable import StudyStore

/// `SQLSession.forEachRow` (the lesion query reads its rows through it) gives, for every SQLite storage
/// class and every accessor, the values `fetch`'s `SQLRow` gives.
final class SQLColumnReaderTests: XCTestCase {
    func testForEachRowReadsWhatFetchReads() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (a, b, c, d, e)")  // no affinity: values keep their storage class
            let values: [[DatabaseValueConvertible?]] = [
                [1, 2.5, "text", nil, Data([0x41, 0x42])],
                [Int64.max, -0.0, "12", 3.0, "é\u{0}x"],
                [Int64.min, Double.greatestFiniteMagnitude, "2.5", -7, ""],
                [0, 1e-300, " 1", 9_007_199_254_740_993, Data()],
            ]
            for row in values { try db.execute(sql: "INSERT INTO t VALUES (?, ?, ?, ?, ?)", arguments: StatementArguments(row)) }
        }
        try queue.read { db in
            let session = GRDBSession(db: db)
            let sql = "SELECT a, b, c, d, e FROM t WHERE rowid >= ? ORDER BY rowid"
            let fetched = try session.fetch(sql, [.integer(1)])
            var read: [[String]] = []
            try session.forEachRow(sql, [.integer(1)]) { row in read.append(Self.describe(row, columns: 5)) }
            XCTAssertEqual(fetched.count, 4)
            XCTAssertEqual(read, fetched.map { Self.describe($0, columns: 5) })
            var none = 0
            try session.forEachRow(sql, [.integer(99)]) { _ in none += 1 }
            XCTAssertEqual(none, 0)
        }
    }

    /// Every accessor's answer for each column, as text ("nil" for nil).
    static func describe(_ row: any SQLColumnReader, columns: Int) -> [String] {
        (0..<columns).flatMap { i in
            [row.int64(i).map { "\($0)" }, row.double(i).map { "\($0.bitPattern)" }, row.string(i), row.int(i).map { "\($0)" },
             row.bool(i).map { "\($0)" }].map { $0 ?? "nil" }
        }
    }
}
