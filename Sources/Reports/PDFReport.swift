import CCairo
import Foundation

/// The PDF report drawn with cairo on A4 pages: title band, patient/study and provenance fields, the
/// lesion table (continued on further pages when long), the three key images and the chart.
final class PDFReport {
    static let pageWidth = 595.276, pageHeight = 841.89, margin = 36.0

    private let surface: OpaquePointer
    private let p: Painter
    private var y = margin
    private var page = 1
    private let generatedAt: String

    private init(sink: ByteSink, generatedAt: String) {
        surface = cairo_pdf_surface_create_for_stream(appendToSink, Unmanaged.passUnretained(sink).toOpaque(),
                                                      PDFReport.pageWidth, PDFReport.pageHeight)
        p = Painter(cairo_create(surface))
        self.generatedAt = generatedAt
    }

    deinit {
        cairo_destroy(p.cr)
        cairo_surface_destroy(surface)
    }

    /// The PDF bytes of `report`.
    static func render(_ report: RenderedReport, generatedAt: String) throws -> Data {
        let sink = ByteSink()
        do {
            let pdf = PDFReport(sink: sink, generatedAt: generatedAt)
            try checkStatus(cairo_surface_status(pdf.surface), "creating PDF")
            cairo_pdf_surface_set_metadata(pdf.surface, CAIRO_PDF_METADATA_TITLE, "SegStation segmentation report")
            cairo_pdf_surface_set_metadata(pdf.surface, CAIRO_PDF_METADATA_CREATOR, "SegStation")
            pdf.draw(report)
            cairo_surface_finish(pdf.surface)
            try checkStatus(cairo_surface_status(pdf.surface), "writing PDF")
        }
        return Data(sink.bytes)
    }

    private var contentWidth: Double { PDFReport.pageWidth - 2 * PDFReport.margin }

    private func draw(_ report: RenderedReport) {
        let input = report.input
        titleBand()
        warnings(input.provenance.warnings ?? [])
        let columnWidth = (contentWidth - 18) / 2
        let top = y
        let leftEnd = fields("Patient and study", ReportFormatting.studyFields(input.header), x: PDFReport.margin, width: columnWidth)
        y = top
        let rightEnd = fields("Model and provenance", ReportFormatting.provenanceFields(input.provenance),
                              x: PDFReport.margin + columnWidth + 18, width: columnWidth)
        y = max(leftEnd, rightEnd) + 8
        lesionTable(report)
        keyImages(report)
        if ReportFormatting.disclaimer.isEmpty == false {
            ensureSpace(20)
            p.grey(0.35)
            p.text(ReportFormatting.disclaimer, x: PDFReport.margin, y: y + 10, size: 7.5)
            y += 16
        }
        if ChartRenderer.hasChart(input.history) {
            ensureSpace(230)
            heading("Volume over time")
            ChartRenderer.draw(input.history, color: input.color(forLabelName:), painter: p, x: PDFReport.margin, y: y, width: contentWidth, height: 210)
            y += 214
        }
        footer()
        cairo_show_page(p.cr)
    }

    private func titleBand() {
        p.color(RGB(31, 59, 90))
        p.fillRect(x: 0, y: 0, width: PDFReport.pageWidth, height: 54)
        p.grey(1)
        p.text("SegStation segmentation report", x: PDFReport.margin, y: 34, size: 17, bold: true)
        p.text("Generated \(generatedAt)", x: PDFReport.pageWidth - PDFReport.margin, y: 34, size: 8, align: .right)
        y = 54 + 16
    }

    /// The warnings box under the title band (dark amber text on light amber).
    private func warnings(_ warnings: [String]) {
        guard !warnings.isEmpty else { return }
        let lines = warnings.flatMap { wrap("• " + $0, width: contentWidth - 16, size: 8.5) }
        let height = Double(lines.count) * 11 + 20
        p.color(RGB(255, 243, 205))
        p.fillRect(x: PDFReport.margin, y: y, width: contentWidth, height: height)
        p.color(RGB(138, 83, 0))
        p.strokeRect(x: PDFReport.margin, y: y, width: contentWidth, height: height, lineWidth: 1.5)
        p.color(RGB(61, 37, 0))
        p.text("Warning", x: PDFReport.margin + 8, y: y + 13, size: 9, bold: true)
        for (n, line) in lines.enumerated() { p.text(line, x: PDFReport.margin + 8, y: y + 25 + Double(n) * 11, size: 8.5) }
        y += height + 8
    }

    private func footer() {
        p.grey(0.4)
        p.text("Page \(page)", x: PDFReport.pageWidth - PDFReport.margin, y: PDFReport.pageHeight - 18, size: 8, align: .right)
    }

    /// Starts a new page when fewer than `height` points remain.
    private func ensureSpace(_ height: Double) {
        guard y + height > PDFReport.pageHeight - PDFReport.margin else { return }
        footer()
        cairo_show_page(p.cr)
        page += 1
        y = PDFReport.margin
    }

    private func heading(_ text: String, x: Double = PDFReport.margin, width: Double? = nil) {
        p.color(RGB(31, 59, 90))
        p.text(text, x: x, y: y + 12, size: 11, bold: true)
        p.color(RGB(200, 211, 223))
        p.line(x, y + 16, x + (width ?? contentWidth), y + 16, width: 0.8)
        y += 24
    }

    /// Key/value rows in a column; returns the y below them.
    private func fields(_ title: String, _ rows: [(String, String)], x: Double, width: Double) -> Double {
        heading(title, x: x, width: width)
        let keyWidth = 74.0
        for (key, value) in rows {
            p.grey(0.35)
            p.text(key, x: x, y: y + 8, size: 8)
            p.grey(0)
            // Long values (UIDs, hashes, parameters) wrap onto following lines.
            for line in wrap(value, width: width - keyWidth, size: 8) {
                p.text(line, x: x + keyWidth, y: y + 8, size: 8)
                y += 11
            }
        }
        return y
    }

    private func wrap(_ text: String, width: Double, size: Double) -> [String] {
        var lines = [String](), current = ""
        for c in text {
            if p.textWidth(current + String(c), size: size) > width && !current.isEmpty {
                lines.append(current)
                current = ""
            }
            current.append(c)
        }
        return lines + [current]
    }

    private func lesionTable(_ report: RenderedReport) {
        let input = report.input
        ensureSpace(60)
        heading("Lesions")
        if let response = input.responseSummary {
            p.grey(0)
            for line in wrap(response, width: contentWidth, size: 8.5) {
                p.text(line, x: PDFReport.margin, y: y + 9, size: 8.5, bold: true)
                y += 12
            }
            y += 2
        }
        guard !input.lesions.isEmpty else {
            p.grey(0)
            p.text("No lesions found.", x: PDFReport.margin, y: y + 9, size: 9)
            y += 18
            return
        }
        let widths = [56.0, 16, 38, 42, 42, 36, 58, 80, 30, 43, 46, 36].map { $0 * contentWidth / 523 }
        func headerRow() {
            p.color(RGB(219, 231, 243))
            p.fillRect(x: PDFReport.margin, y: y, width: contentWidth, height: 24)
            p.grey(0)
            var x = PDFReport.margin
            for (n, title) in ReportFormatting.lesionColumnTitles.enumerated() {
                let (tx, align): (Double, Painter.Alignment) = n == 0 ? (x + 3, .left) : (x + widths[n] - 3, .right)
                p.text(title.0, x: tx, y: y + 10, size: 7.5, bold: true, align: align)
                p.text(title.1, x: tx, y: y + 19.5, size: 6.5, align: align)
                x += widths[n]
            }
            y += 24
        }
        headerRow()
        for row in input.tableRows {
            if y + 13 > PDFReport.pageHeight - PDFReport.margin {
                ensureSpace(1000)
                headerRow()
            }
            var x = PDFReport.margin
            for (n, cell) in ReportFormatting.lesionCells(row).enumerated() {
                if n == 0 {
                    p.color(input.style(for: row.labelValue).color)
                    p.fillRect(x: x + 3, y: y + 3.5, width: 7, height: 7)
                    p.grey(0)
                    p.text(p.fitted(cell, maxWidth: widths[0] - 16, size: 8), x: x + 13, y: y + 10, size: 8)
                } else {
                    p.text(cell, x: x + widths[n] - 3, y: y + 10, size: 8, align: .right)
                }
                x += widths[n]
            }
            p.grey(0.85)
            p.line(PDFReport.margin, y + 13, PDFReport.margin + contentWidth, y + 13, width: 0.5)
            y += 13
        }
        if let summary = ReportFormatting.smallLesionSummary(input) {
            ensureSpace(13)
            p.grey(0.2)
            p.text(summary, x: PDFReport.margin + 3, y: y + 10, size: 8)
            y += 13
        }
        y += 8
    }

    private func keyImages(_ report: RenderedReport) {
        let gap = 8.0
        let images = report.keySlices.map { ($0, $0.slice.plane.rawValue.capitalized) } + (report.zoom.map { [($0, "Axial zoom")] } ?? [])
        let cell = (contentWidth - Double(images.count - 1) * gap) / Double(images.count)
        // Each image fits a cell-wide box as tall as the tallest image needs, at most 200 pt.
        let rowHeight = min(200, images.map { cell * Double($0.0.height) / Double($0.0.width) }.max() ?? 0)
        ensureSpace(rowHeight + 50)
        heading(report.input.largestLesion == nil ? "Key images (through the centre of the scan; radiological convention)"
                                                  : "Key images (through the largest lesion; radiological convention)")
        for (n, (slice, caption)) in images.enumerated() {
            let scale = min(cell / Double(slice.width), rowHeight / Double(slice.height))
            let w = Double(slice.width) * scale, h = Double(slice.height) * scale
            let x = PDFReport.margin + Double(n) * (cell + gap) + (cell - w) / 2
            let top = y + (rowHeight - h) / 2
            p.grey(0)
            p.fillRect(x: x - 1, y: top - 1, width: w + 2, height: h + 2)
            p.paint(report.canvases[n], x: x, y: top, scale: scale)
            p.grey(0.2)
            p.text(caption, x: x + w / 2, y: y + rowHeight + 11, size: 8, align: .center)
        }
        y += rowHeight + 16
        var x = PDFReport.margin
        for value in report.presentLabels {
            let style = report.input.style(for: value)
            p.color(style.color)
            p.fillRect(x: x, y: y + 1, width: 8, height: 8)
            p.grey(0)
            p.text(style.name, x: x + 11, y: y + 8.5, size: 8)
            x += 20 + p.textWidth(style.name, size: 8)
        }
        y += 18
    }
}
