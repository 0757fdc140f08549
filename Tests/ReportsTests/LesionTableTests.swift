import Foundation
import Imaging
import XCTest
@testable import Reports

/// Issue 13, "the lesion table is unusable on real data": rows largest first, specks under the threshold
/// summarised in one row, RECIST-measurable lesions flagged.
final class LesionTableTests: XCTestCase {
    func testRowsLargestFirstAndSpecksSummarised() throws {
        var input = Phantom.shared
        var rows = [LesionRow]()
        for (n, volume) in [0.02, 203.0, 0.0, 4.5, 0.05, 0.1].enumerated() {
            var row = input.lesions[0]
            row.lesionIndex = n + 1; row.volumeML = volume; row.longestAxialDiameterMM = volume >= 4 ? 12 : 2
            rows.append(row)
        }
        input.lesions = rows
        XCTAssertEqual(input.tableRows.map(\.lesionIndex), [2, 4, 6], "largest first; 0.1 mL is not below 0.1 mL")
        let summary = try XCTUnwrap(input.smallLesionSummary)
        XCTAssertEqual(summary.count, 3)
        XCTAssertEqual(summary.volumeML, 0.07, accuracy: 1e-12)
        XCTAssertEqual(ReportFormatting.smallLesionSummary(input), "3 components < 0.1 mL, 0.07 mL in total")
        let recist = ReportFormatting.lesionColumnTitles.firstIndex { $0.0 == "RECIST" }!
        XCTAssertEqual(ReportFormatting.lesionCells(rows[1])[recist], "measurable")
        XCTAssertEqual(ReportFormatting.lesionCells(rows[0])[recist], "-")

        let html = HTMLReport.lesionTable(input)
        let order = ["203.00", "4.50", "0.10", "3 components &lt; 0.1 mL, 0.07 mL in total"].map { html.range(of: $0)?.lowerBound }
        XCTAssertTrue(order.allSatisfy { $0 != nil }, html)
        XCTAssertEqual(order.compactMap { $0 }, order.compactMap { $0 }.sorted(), "rows in volume order, summary last")
        XCTAssertFalse(html.contains(">0.02<"), "specks are not listed one by one")
        XCTAssertTrue(html.contains("<th scope=\"col\">"), "column headers are marked as such")

        // Configurable threshold; 0 lists everything.
        input.smallLesionThresholdML = 0
        XCTAssertEqual(input.tableRows.count, 6)
        XCTAssertNil(input.smallLesionSummary)
        input.smallLesionThresholdML = -1
        XCTAssertThrowsError(try input.validate())
    }
}
