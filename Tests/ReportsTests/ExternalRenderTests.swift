import Foundation
import Imaging
import TestSupport
import XCTest
@testable import Reports

/// The PDF rendered by poppler's pdftoppm and the HTML rendered by headless Chromium (Debian packages
/// poppler-utils and chromium); each test skips with a message when its tool is absent.
final class ExternalRenderTests: XCTestCase {
    static func tool(_ name: String) -> String? { ProcessRunner.tool(name)?.path }

    /// Runs `executable` with `arguments`, killing it after `timeoutSeconds`; returns the exit status
    /// (-1 after a timeout).
    static func run(_ executable: String, _ arguments: [String], timeoutSeconds: Double = 120) throws -> Int32 {
        let outcome = try ProcessRunner.run(URL(fileURLWithPath: executable), arguments, capture: false, timeoutSeconds: timeoutSeconds)
        return outcome.timedOut ? -1 : outcome.status
    }

    /// Fraction of pixels that are not near-white.
    static func inkFraction(_ image: RasterImage) -> Double {
        var ink = 0
        for n in stride(from: 0, to: image.rgba.count, by: 4) where min(image.rgba[n], image.rgba[n + 1], image.rgba[n + 2]) < 235 { ink += 1 }
        return Double(ink) / Double(image.width * image.height)
    }

    func pdfPages(_ input: ReportInput, in folder: URL, pdftoppm: String) throws -> [RasterImage] {
        let artefacts = try ReportWriter.write(input, formats: [.pdf], to: folder)
        XCTAssertEqual(try Self.run(pdftoppm, ["-r", "40", "-png", artefacts[0].url.path, folder.appendingPathComponent("page").path]), 0)
        let pages = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("page") }.sorted()
        return try pages.map { try RasterImage(pngData: Data(contentsOf: folder.appendingPathComponent($0))) }
    }

    func testPDFRendersIntoNonBlankPages() throws {
        guard let pdftoppm = Self.tool("pdftoppm") else { throw XCTSkip("pdftoppm not found: apt-get install poppler-utils") }
        let root = try TestData.temporaryDirectory("reports-pdf")
        defer { try? FileManager.default.removeItem(at: root) }
        let pages = try pdfPages(Phantom.shared, in: root.appendingPathComponent("one"), pdftoppm: pdftoppm)
        XCTAssertEqual(pages.count, 1)
        for page in pages {
            XCTAssertEqual(page.width, 331, accuracy: 2, "A4 at 40 dpi")
            XCTAssertGreaterThan(Self.inkFraction(page), 0.10, "page has content")
        }
        // The PDF's text layer has every lesion's rounded numbers (pdftotext, also poppler-utils).
        if let pdftotext = Self.tool("pdftotext") {
            let textURL = root.appendingPathComponent("one.txt")
            XCTAssertEqual(try Self.run(pdftotext, ["-layout", root.appendingPathComponent("one/report.pdf").path, textURL.path]), 0)
            let text = try String(contentsOf: textURL, encoding: .utf8)
            for row in Phantom.shared.lesions {
                for cell in [String(format: "%.2f", row.volumeML), String(format: "%.1f", row.shortAxisMM),
                             String(format: "%.1f, %.1f, %.1f", row.centroidLPS.x, row.centroidLPS.y, row.centroidLPS.z)] {
                    XCTAssertTrue(text.contains(cell), "PDF text lacks \(cell)")
                }
            }
            XCTAssertTrue(text.contains(Phantom.header.patientID))
        }
        // A long lesion table continues on further pages, each with content.
        var long = Phantom.shared
        long.lesions = (0..<90).map { n in var row = long.lesions[n % 3]; row.lesionIndex = n + 1; return row }
        let longPages = try pdfPages(long, in: root.appendingPathComponent("long"), pdftoppm: pdftoppm)
        XCTAssertGreaterThanOrEqual(longPages.count, 3)
        print("pdftoppm: \(pages.count) page(s), ink \(pages.map { Self.inkFraction($0) }); long table: \(longPages.count) pages, ink \(longPages.map { Self.inkFraction($0) })")
        Phantom.keep([root.appendingPathComponent("long/report.pdf")], as: "long")
        for (n, page) in longPages.enumerated() { XCTAssertGreaterThan(Self.inkFraction(page), 0.02, "page \(n + 1)") }
    }

    /// What the Chromium screenshot shows.
    struct ScreenshotFindings {
        /// Rows of the key-image band (many near-black pixels in a row) and, inside it, grey-scale and outline pixels.
        var imageBandRows = 0, midGreyPixels = 0, outlinePixels = 0
        /// Rows with the lesion table's header background, and dark (text) pixels in and below them.
        var tableHeaderRows = 0, tableTextPixels = 0
    }

    static func findings(_ shot: RasterImage) -> ScreenshotFindings {
        var f = ScreenshotFindings()
        var headerRows = [Int]()
        for y in 0..<shot.height {
            var black = 0, header = 0
            for x in 0..<shot.width {
                let p = shot.pixel(x: x, y: y)
                if max(p.red, p.green, p.blue) < 16 { black += 1 }
                if abs(Int(p.red) - 219) < 4 && abs(Int(p.green) - 231) < 4 && abs(Int(p.blue) - 243) < 4 { header += 1 }
            }
            if header > shot.width / 2 { headerRows.append(y) }
            guard black > shot.width / 5 else { continue }
            f.imageBandRows += 1
            for x in 0..<shot.width {
                let p = shot.pixel(x: x, y: y)
                let (r, g, b) = (Int(p.red), Int(p.green), Int(p.blue))
                if abs(r - g) < 6 && abs(g - b) < 6 && (60...230).contains(g) { f.midGreyPixels += 1 }
                if r > 180 && g < 110 && b < 110 { f.outlinePixels += 1 }
            }
        }
        f.tableHeaderRows = headerRows.count
        if let first = headerRows.first {
            for y in first..<min(shot.height, first + 90) {
                for x in 0..<shot.width {
                    let p = shot.pixel(x: x, y: y)
                    if max(p.red, p.green, p.blue) < 90 { f.tableTextPixels += 1 }
                }
            }
        }
        return f
    }

    func screenshot(_ html: URL, chromium: String, to png: URL) throws -> RasterImage {
        let status = try Self.run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                             "--screenshot=\(png.path)", "--window-size=1200,2000", html.absoluteString])
        XCTAssertEqual(status, 0, "chromium exit status")
        return try RasterImage(pngData: Data(contentsOf: png))
    }

    func testHTMLScreenshotShowsImagesAndTable() throws {
        guard let chromium = Self.tool("chromium") else { throw XCTSkip("chromium not found: apt-get install chromium") }
        let root = try TestData.temporaryDirectory("reports-html")
        defer { try? FileManager.default.removeItem(at: root) }
        let html = try ReportWriter.write(Phantom.shared, formats: [.html], to: root)[0].url
        let shot = try screenshot(html, chromium: chromium, to: root.appendingPathComponent("shot.png"))
        XCTAssertEqual(shot.width, 1200)
        let f = Self.findings(shot)
        print("chromium screenshot: \(f)")
        XCTAssertGreaterThan(f.imageBandRows, 200, "key images shown (\(f))")
        XCTAssertGreaterThan(f.midGreyPixels, 50_000, "grey-scale image content (\(f))")
        XCTAssertGreaterThan(f.outlinePixels, 100, "tumour outlines visible (\(f))")
        XCTAssertGreaterThan(f.tableHeaderRows, 10, "lesion table header shown (\(f))")
        XCTAssertGreaterThan(f.tableTextPixels, 1000, "table text shown (\(f))")
        Phantom.keep([root.appendingPathComponent("shot.png")], as: "chromium")

        // Control: the same page with its images broken must fail the image checks.
        let broken = try String(contentsOf: html, encoding: .utf8).replacingOccurrences(of: "data:image/png;base64,", with: "data:image/png;base64,AAAA")
        let brokenURL = root.appendingPathComponent("broken.html")
        try broken.write(to: brokenURL, atomically: true, encoding: .utf8)
        let control = Self.findings(try screenshot(brokenURL, chromium: chromium, to: root.appendingPathComponent("broken.png")))
        print("chromium control without images: \(control)")
        XCTAssertLessThan(control.midGreyPixels, 5_000, "control without images (\(control))")
        XCTAssertLessThan(control.outlinePixels, 100, "control without images (\(control))")
    }
}
