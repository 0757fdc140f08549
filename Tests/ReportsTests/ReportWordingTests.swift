import Foundation
import Imaging
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

/// Issue 13, "the chart has no values or % labels".
final class ChartLabelTests: XCTestCase {
    func testPointsCarryValueAndChange() {
        let history = [HistoryPoint(studyDate: "2025-01-01", labelName: "tumour", volumeML: 67.25),
                       HistoryPoint(studyDate: "2025-03-01", labelName: "tumour", volumeML: 71.29),
                       HistoryPoint(studyDate: "2025-05-01", labelName: "tumour", volumeML: 0),
                       HistoryPoint(studyDate: "2025-07-01", labelName: "tumour", volumeML: 2)]
        let series = ChartRenderer.series(from: history) { _ in RGB(255, 0, 0) }
        let labels = ChartRenderer.pointLabels(series[0])
        XCTAssertEqual(labels.map(\.value), ["67.25 mL", "71.29 mL", "0.00 mL", "2.00 mL"])
        XCTAssertEqual(labels.map(\.change), [nil, "+6.0 %", "-100.0 %", nil], "no % change from 0")
    }
}

/// Issue 13, "only the first channel is shown": every input channel's axial key slice, side by side.
final class ChannelSliceTests: XCTestCase {
    func testEveryChannelIsShownSideBySide() throws {
        var input = Phantom.shared
        input.channelName = "FLAIR"
        input.otherChannels = [(name: "T1c", image: input.image.map { 200 - $0 })]
        let report = try RenderedReport.render(input)
        XCTAssertEqual(report.channelSlices.map(\.name), ["T1c"])
        XCTAssertEqual(report.channelSlices[0].image.slice.fixedIndex, report.keySlices[0].slice.fixedIndex, "the same axial slice")
        XCTAssertNotEqual(report.channelSlices[0].image.png, report.keySlices[0].png, "the other channel's pixels")
        let html = HTMLReport.render(report, generatedAt: "x")
        XCTAssertTrue(html.contains("Axial (FLAIR)") && html.contains("Axial (T1c)"), "both channels captioned")
        // A channel on another grid is refused, not drawn misaligned.
        var bad = input
        bad.otherChannels = [(name: "T1c", image: Volume<Float>(geometry: VolumeGeometry(size: SIMD3(4, 4, 4)), repeating: 0))]
        XCTAssertThrowsError(try RenderedReport.render(bad))
    }
}
