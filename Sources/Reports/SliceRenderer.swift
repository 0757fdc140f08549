import CCairo
import Foundation

/// A rectangle of slice pixels (columns and rows, half-open).
public struct SliceRegion: Sendable, Equatable, Codable {
    public var columns: Range<Int>
    public var rows: Range<Int>
    public init(columns: Range<Int>, rows: Range<Int>) { self.columns = columns; self.rows = rows }
}

/// A key image: the slice, its PNG and where slice pixels land in the PNG.
public struct RenderedSlice: Sendable {
    public let slice: KeySlice
    /// The part of the slice shown (the whole slice, or a zoomed region).
    public let region: SliceRegion
    /// The PNG (8-bit RGBA).
    public let png: Data
    /// Output size in pixels; one output pixel is `1 / pixelsPerMM` mm in both directions (square mm).
    public let width: Int
    public let height: Int
    public let pixelsPerMM: Double

    /// Output pixel position of a continuous slice position (pixel centres of the slice at integers).
    public func imagePoint(column: Double, row: Double) -> (x: Double, y: Double) {
        ((column - Double(region.columns.lowerBound) + 0.5) * slice.columnSpacingMM * pixelsPerMM,
         (row - Double(region.rows.lowerBound) + 0.5) * slice.rowSpacingMM * pixelsPerMM)
    }
}

/// Draws a `KeySlice` as a key image: windowed grey scale resampled to square millimetres, each
/// label's outline (the pixel edges between the label and anything else, so a one-pixel lesion still
/// shows) in its colour, orientation letters at the four edges, a scale bar and the plane's name.
enum SliceRenderer {
    /// Renders `region` of `slice` (default: all of it) with the longest side `longestSidePixels` pixels long.
    /// - Precondition: `region` is non-empty and inside the slice.
    /// - Returns: the key image and its canvas (the PDF paints the canvas).
    static func render(_ slice: KeySlice, region: SliceRegion? = nil, window: DisplayWindow, style: (UInt8) -> LabelStyle,
                       caption: String, longestSidePixels: Int = 512,
                       overlay: ((Painter, _ point: (Double, Double) -> (x: Double, y: Double)) -> Void)? = nil) throws -> (RenderedSlice, ImageCanvas) {
        let region = region ?? SliceRegion(columns: 0..<slice.width, rows: 0..<slice.height)
        precondition(!region.columns.isEmpty && !region.rows.isEmpty && region.columns.lowerBound >= 0
                     && region.rows.lowerBound >= 0 && region.columns.upperBound <= slice.width
                     && region.rows.upperBound <= slice.height, "SliceRenderer: region \(region) outside the slice")
        let widthMM = Double(region.columns.count) * slice.columnSpacingMM
        let heightMM = Double(region.rows.count) * slice.rowSpacingMM
        let pixelsPerMM = Double(longestSidePixels) / max(widthMM, heightMM)
        let outWidth = max(1, Int((widthMM * pixelsPerMM).rounded()))
        let outHeight = max(1, Int((heightMM * pixelsPerMM).rounded()))
        let base = try greyCanvas(slice, window: window)
        let canvas = try ImageCanvas(width: outWidth, height: outHeight)
        let p = canvas.painter
        let sx = slice.columnSpacingMM * pixelsPerMM, sy = slice.rowSpacingMM * pixelsPerMM

        // Grey image, interpolated to square mm.
        cairo_save(p.cr)
        cairo_scale(p.cr, sx, sy)
        cairo_set_source_surface(p.cr, base.surface, -Double(region.columns.lowerBound), -Double(region.rows.lowerBound))
        cairo_pattern_set_filter(cairo_get_source(p.cr), CAIRO_FILTER_BILINEAR)
        cairo_pattern_set_extend(cairo_get_source(p.cr), CAIRO_EXTEND_PAD)
        cairo_paint(p.cr)
        cairo_restore(p.cr)

        drawContours(slice, region: region, painter: p, sx: sx, sy: sy, style: style)
        drawAnnotations(slice, painter: p, width: Double(outWidth), height: Double(outHeight),
                        pixelsPerMM: pixelsPerMM, caption: caption)
        // Marks in output pixels, placed by the same mapping as `RenderedSlice.imagePoint`.
        overlay?(p) { column, row in
            ((column - Double(region.columns.lowerBound) + 0.5) * sx, (row - Double(region.rows.lowerBound) + 0.5) * sy)
        }
        let rendered = RenderedSlice(slice: slice, region: region, png: try canvas.pngData(), width: outWidth, height: outHeight,
                                     pixelsPerMM: pixelsPerMM)
        return (rendered, canvas)
    }

    /// The slice at one pixel per voxel, windowed to grey.
    private static func greyCanvas(_ slice: KeySlice, window: DisplayWindow) throws -> ImageCanvas {
        let canvas = try ImageCanvas(width: slice.width, height: slice.height)
        cairo_surface_flush(canvas.surface)
        let stride = Int(cairo_image_surface_get_stride(canvas.surface))
        let data = cairo_image_surface_get_data(canvas.surface)!
        for row in 0..<slice.height {
            let line = UnsafeMutableRawPointer(data + row * stride)
            for column in 0..<slice.width {
                let g = UInt32(window.grey(slice.intensities[row * slice.width + column]))
                line.storeBytes(of: 0xff00_0000 | (g << 16) | (g << 8) | g, toByteOffset: 4 * column, as: UInt32.self)
            }
        }
        cairo_surface_mark_dirty(canvas.surface)
        return canvas
    }

    /// Each label's outline along pixel edges, without anti-aliasing so outline pixels carry the exact colour.
    private static func drawContours(_ slice: KeySlice, region: SliceRegion, painter p: Painter, sx: Double, sy: Double, style: (UInt8) -> LabelStyle) {
        let w = slice.width, h = slice.height
        var edgesByLabel = [UInt8: [(Double, Double, Double, Double)]]()
        let c0 = Double(region.columns.lowerBound), r0 = Double(region.rows.lowerBound)
        for row in region.rows {
            for column in region.columns {
                let value = slice.labels[row * w + column]
                guard value != 0 else { continue }
                func differs(_ c: Int, _ r: Int) -> Bool {
                    c < 0 || r < 0 || c >= w || r >= h || slice.labels[r * w + c] != value
                }
                let x0 = Double(column) - c0, x1 = x0 + 1, y0 = Double(row) - r0, y1 = y0 + 1
                var edges = edgesByLabel[value, default: []]
                if differs(column - 1, row) { edges.append((x0, y0, x0, y1)) }
                if differs(column + 1, row) { edges.append((x1, y0, x1, y1)) }
                if differs(column, row - 1) { edges.append((x0, y0, x1, y0)) }
                if differs(column, row + 1) { edges.append((x0, y1, x1, y1)) }
                edgesByLabel[value] = edges
            }
        }
        cairo_save(p.cr)
        cairo_set_antialias(p.cr, CAIRO_ANTIALIAS_NONE)
        cairo_set_line_cap(p.cr, CAIRO_LINE_CAP_SQUARE)
        cairo_set_line_width(p.cr, 2)
        for value in edgesByLabel.keys.sorted() {
            p.color(style(value).color)
            for e in edgesByLabel[value]! {
                cairo_move_to(p.cr, e.0 * sx, e.1 * sy)
                cairo_line_to(p.cr, e.2 * sx, e.3 * sy)
            }
            cairo_stroke(p.cr)
        }
        cairo_restore(p.cr)
    }

    private static func drawAnnotations(_ slice: KeySlice, painter p: Painter, width: Double, height: Double,
                                        pixelsPerMM: Double, caption: String) {
        let size = max(10, min(18, width / 28))
        func shadowed(_ text: String, x: Double, y: Double, align: Painter.Alignment, bold: Bool = true) {
            p.grey(0)
            p.text(text, x: x + 1, y: y + 1, size: size, bold: bold, align: align)
            p.color(RGB(255, 255, 200))
            p.text(text, x: x, y: y, size: size, bold: bold, align: align)
        }
        let letters = slice.edgeLetters
        shadowed(letters.left, x: 6, y: height / 2 + size / 2, align: .left)
        shadowed(letters.right, x: width - 6, y: height / 2 + size / 2, align: .right)
        shadowed(letters.top, x: width / 2, y: size + 4, align: .center)
        shadowed(letters.bottom, x: width / 2, y: height - 6, align: .center)
        shadowed(caption, x: 6, y: height - 6, align: .left, bold: false)

        // Scale bar: the largest round length up to a quarter of the image width.
        let widthMM = width / pixelsPerMM
        let lengthMM = [1.0, 2, 5, 10, 20, 50, 100, 200, 500].last { $0 <= widthMM / 4 } ?? 1
        let barLength = lengthMM * pixelsPerMM
        let x1 = width - 10, x0 = x1 - barLength, y = height - size - 12
        p.grey(0)
        p.line(x0 + 1, y + 1, x1 + 1, y + 1, width: 3)
        p.color(RGB(255, 255, 200))
        p.line(x0, y, x1, y, width: 3)
        p.line(x0, y - 5, x0, y + 5, width: 2)
        p.line(x1, y - 5, x1, y + 5, width: 2)
        shadowed(String(format: "%g mm", lengthMM), x: (x0 + x1) / 2, y: height - 6, align: .center, bold: false)
    }
}
