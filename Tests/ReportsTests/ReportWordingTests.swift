import Foundation
import TestSupport
import XCTest
@testable import Reports

/// Issue 13, "layout and wording": provenance in words, the model's licence and intended use, and a
/// visible warning for forced or derived-identity runs, in the HTML and in the PDF's text.
final class ReportWordingTests: XCTestCase {
    func testProvenanceInWordsLicenceAndWarnings() throws {
        XCTAssertEqual(ReportFormatting.timingWords([StageTiming(stage: "inferenceSeconds", seconds: 61.72),
                                                    StageTiming(stage: "loadSeconds", seconds: 0.5),
                                                    StageTiming(stage: "someNewStageSeconds", seconds: 1)]),
                       "load 0.50 s, inference 61.7 s, some new stage 1.00 s")
        var input = Phantom.shared
        input.provenance.timings = [StageTiming(stage: "inferenceSeconds", seconds: 61.72), StageTiming(stage: "loadSeconds", seconds: 0.5)]
        input.provenance.modelLicence = "CC BY-NC-SA 3.0 CH"
        input.provenance.intendedUse = "Demonstration only, not for clinical use."
        input.provenance.warnings = ["This run was forced (--force) outside the model's stated inputs: CT."]
        let html = HTMLReport.render(try RenderedReport.render(input), generatedAt: "2026-12-06T12:00:00Z")
        for text in ["load 0.50 s, inference 61.7 s", "CC BY-NC-SA 3.0 CH", "Demonstration only, not for clinical use.",
                     "role=\"alert\"", "This run was forced (--force)"] {
            XCTAssertTrue(html.contains(HTMLReport.escape(text)) || html.contains(text), "HTML lacks \(text)")
        }
        XCTAssertFalse(html.contains("inferenceSeconds"), "no raw keys")
        XCTAssertFalse(HTMLReport.render(try RenderedReport.render(Phantom.shared), generatedAt: "x").contains("role=\"alert\""),
                       "no banner without warnings")
        guard let pdftotext = ExternalRenderTests.tool("pdftotext") else {
            throw XCTSkip("pdftotext is not installed (Debian poppler-utils): the PDF text check is skipped")
        }
        let root = try TestData.temporaryDirectory("reports-words")
        defer { try? FileManager.default.removeItem(at: root) }
        let pdf = try ReportWriter.write(input, formats: [.pdf], to: root)[0].url
        let textURL = root.appendingPathComponent("report.txt")
        XCTAssertEqual(try ExternalRenderTests.run(pdftotext, [pdf.path, textURL.path]), 0)
        let text = try String(contentsOf: textURL, encoding: .utf8)
        for needle in ["Warning", "forced (--force)", "CC BY-NC-SA 3.0 CH", "inference 61.7 s"] {
            XCTAssertTrue(text.contains(needle), "PDF text lacks \(needle)")
        }
    }
}
