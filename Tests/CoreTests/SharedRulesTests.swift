import Core
import Foundation
import XCTest

/// Dates, JSON style, version and exit codes: the rules every layer shares.
final class SharedRulesTests: XCTestCase {
    func testDatesFromDICOMAndISO() {
        XCTAssertEqual(ISODate(dicomOrISO: "20240229")?.description, "2024-02-29")
        XCTAssertEqual(ISODate(dicomOrISO: "2024-02-29 ")?.description, "2024-02-29")
        XCTAssertEqual(ISODate(dicomOrISO: "00010101")?.description, "0001-01-01")
        for bad in ["20230229", "20241301", "20240100", "2024-0101", "2024/01/01", "２０２４０１０１", "", "2024010"] {
            XCTAssertNil(ISODate(dicomOrISO: bad), bad)
        }
        XCTAssertNil(ISODate("20240101"), "the ISO reader takes YYYY-MM-DD only")
        XCTAssertEqual(ISODate("2024-03-01")!.dayNumber - ISODate("2024-02-28")!.dayNumber, 2, "leap year")
        XCTAssertEqual(ISODate("1970-01-01")?.dayNumber, 0)
        XCTAssertLessThan(ISODate("1999-12-31")!, ISODate("2000-01-01")!)
    }

    func testJSONStyle() throws {
        struct Value: Encodable { var b = Double.nan; var a = "x/y"; var d = Date(timeIntervalSince1970: 0) }
        let pretty = String(decoding: try JSONFormat.encoder().encode(Value()), as: UTF8.self)
        XCTAssertEqual(pretty, "{\n  \"a\" : \"x/y\",\n  \"b\" : \"nan\",\n  \"d\" : \"1970-01-01T00:00:00Z\"\n}")
        let compact = String(decoding: try JSONFormat.encoder(pretty: false).encode(Value()), as: UTF8.self)
        XCTAssertEqual(compact, "{\"a\":\"x/y\",\"b\":\"nan\",\"d\":\"1970-01-01T00:00:00Z\"}")
        XCTAssertThrowsError(try JSONFormat.encoder(rejectNonFinite: true).encode(Value()))
    }

    func testExitCodesAreTheDocumentedOnes() {
        // README "Exit codes".
        let expected: [ErrorCategory: Int32] = [.badInput: 65, .notFound: 66, .unsupported: 69, .outputFailed: 73, .invalidArgument: 64]
        for category in ErrorCategory.allCases { XCTAssertEqual(category.exitCode, expected[category], "\(category)") }
        XCTAssertEqual(ExitStatus.internalError, 1)
    }
}
