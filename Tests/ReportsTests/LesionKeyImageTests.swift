import Foundation
import Imaging
import TestSupport
import XCTest
@testable import Reports

/// Issue 13, "lesions cannot be found on the images": every measurable lesion gets a key image with its
/// number and yellow RECIST callipers; the HTML rendered by headless Chromium shows the calliper colour
/// at the recorded end points.
final class LesionKeyImageTests: XCTestCase {
    /// The phantom study with RECIST axes on each lesion: in its axial key slice, along the slice's column
    /// and row directions through the centroid (the phantom's lesions are balls).
    static let input: ReportInput = {
        var input = Phantom.shared
        let g = input.image.geometry
        input.lesions = input.lesions.map { row in
            var row = row
            let slice = KeySlice(plane: .axial, image: input.image, labelMap: input.labelMap, through: row.centroidLPS)
            let u = g.direction.column(slice.columnAxis), v = g.direction.column(slice.rowAxis)
            let c = row.centroidLPS, r = row.longestAxialDiameterMM / 2
            row.longAxisLPS = [c - u * r, c + u * r]
            row.shortAxisLPS = [c - v * r * 0.95, c + v * r * 0.95]
            return row
        }
        return input
    }()

    static func isCalliper(_ p: (red: UInt8, green: UInt8, blue: UInt8, alpha: UInt8)) -> Bool {
        p.red > 215 && p.green > 215 && p.blue < 60
    }

    func testEveryMeasurableLesionHasANumberedKeyImageWithCallipers() throws {
        let report = try RenderedReport.render(Self.input)
        let measurable = Self.input.tableRows.filter { $0.longestAxialDiameterMM >= 10 }
        XCTAssertEqual(report.lesionImages.map(\.row.lesionIndex), measurable.map(\.lesionIndex))
        XCTAssertEqual(report.lesionImagesLeftOut, 0)
        for item in report.lesionImages {
            let png = try RasterImage(pngData: item.image.png)
            for end in item.longAxisPixels + item.shortAxisPixels {
                XCTAssertTrue(Self.isCalliper(png.pixel(x: Int(end.x), y: Int(end.y))), "calliper at \(end) of lesion \(item.row.lesionIndex)")
            }
            // The long axis drawn is as long as the measured one.
            let a = item.longAxisPixels
            XCTAssertEqual(hypot(a[1].x - a[0].x, a[1].y - a[0].y) / item.image.pixelsPerMM, item.row.longestAxialDiameterMM, accuracy: 0.5)
        }
        // Control: an image of the same slice without callipers has no calliper pixel at those points.
        let plain = try SliceRenderer.render(report.lesionImages[0].image.slice, region: report.lesionImages[0].image.region,
                                             window: report.window, style: Self.input.style(for:), caption: "", longestSidePixels: 320).0
        let plainPNG = try RasterImage(pngData: plain.png)
        for end in report.lesionImages[0].longAxisPixels {
            XCTAssertFalse(Self.isCalliper(plainPNG.pixel(x: Int(end.x), y: Int(end.y))))
        }
        // The cap: more measurable lesions than images are counted as left out.
        var many = Self.input
        many.lesions = (0..<13).map { n in var row = Self.input.lesions[n % Self.input.lesions.count]; row.lesionIndex = n + 1; return row }
        let capped = try RenderedReport.render(many)
        XCTAssertEqual(capped.lesionImages.count, LesionKeyImages.cap)
        XCTAssertEqual(capped.lesionImagesLeftOut, many.tableRows.filter { $0.longestAxialDiameterMM >= 10 }.count - LesionKeyImages.cap)
        XCTAssertTrue(HTMLReport.lesionImages(capped).contains("not shown"))
    }

    /// Chromium renders the HTML; at each recorded calliper end point of each lesion key image (found by its
    /// frame colour) the screenshot has the calliper colour.
    func testChromiumShowsCallipersAtTheRecordedEndPoints() throws {
        guard let chromium = ExternalRenderTests.tool("chromium") else {
            throw XCTSkip("chromium is not installed (Debian package chromium, Scripts/install-deps.sh): the screenshot check is skipped")
        }
        let root = try TestData.temporaryDirectory("reports-callipers")
        defer { try? FileManager.default.removeItem(at: root) }
        let report = try RenderedReport.render(Self.input)
        let html = root.appendingPathComponent("report.html")
        try HTMLReport.render(report, generatedAt: "2026-12-06T12:00:00Z").write(to: html, atomically: true, encoding: .utf8)
        let png = root.appendingPathComponent("shot.png")
        let status = try ExternalRenderTests.run(chromium, ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                                                            "--force-device-scale-factor=1", "--screenshot=\(png.path)",
                                                            "--window-size=1200,4000", html.absoluteString])
        XCTAssertEqual(status, 0, "chromium exit status")
        let shot = try RasterImage(pngData: Data(contentsOf: png))
        let frames = Self.frames(shot)
        XCTAssertEqual(frames.count, report.lesionImages.count, "one framed key image per measurable lesion")
        for (item, frame) in zip(report.lesionImages, frames) {
            // Image origin: the 3 px frame, then the figure's 4 px padding; the PNG is shown at its own size.
            let x0 = frame.minX + 3 + 4, y0 = frame.minY + 3 + 4
            for end in item.longAxisPixels + item.shortAxisPixels {
                let x = x0 + Int(end.x), y = y0 + Int(end.y)
                let hit = (-1...1).contains { dy in (-1...1).contains { dx in Self.isCalliper(shot.pixel(x: x + dx, y: y + dy)) } }
                XCTAssertTrue(hit, "calliper colour at \(x),\(y) for lesion \(item.row.lesionIndex) (\(shot.pixel(x: x, y: y)))")
            }
        }
        Phantom.keep([png], as: "callipers")
    }

    /// Bounding boxes of the lesion figures' frames (colour #01fe02), in reading order.
    static func frames(_ shot: RasterImage) -> [(minX: Int, minY: Int, maxX: Int, maxY: Int)] {
        func isFrame(_ x: Int, _ y: Int) -> Bool {
            let p = shot.pixel(x: x, y: y)
            return p.red < 8 && p.green > 246 && p.blue < 10
        }
        var seen = Set<Int>(), boxes = [(minX: Int, minY: Int, maxX: Int, maxY: Int)]()
        for y in 0..<shot.height { for x in 0..<shot.width where isFrame(x, y) && !seen.contains(y * shot.width + x) {
            var box = (minX: x, minY: y, maxX: x, maxY: y), stack = [(x, y)]
            seen.insert(y * shot.width + x)
            while let (cx, cy) = stack.popLast() {
                box = (min(box.minX, cx), min(box.minY, cy), max(box.maxX, cx), max(box.maxY, cy))
                for (nx, ny) in [(cx + 1, cy), (cx - 1, cy), (cx, cy + 1), (cx, cy - 1)]
                    where nx >= 0 && ny >= 0 && nx < shot.width && ny < shot.height && isFrame(nx, ny) && !seen.contains(ny * shot.width + nx) {
                    seen.insert(ny * shot.width + nx)
                    stack.append((nx, ny))
                }
            }
            if box.maxX - box.minX > 20 && box.maxY - box.minY > 20 { boxes.append(box) }
        }}
        return boxes.sorted { ($0.minY / 10, $0.minX) < ($1.minY / 10, $1.minX) }
    }
}
