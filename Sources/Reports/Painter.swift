import CCairo

/// Thin drawing helpers over a cairo context (image or PDF), in the context's user units
/// (pixels for images, points for PDF). Text uses cairo's toy font API with DejaVu Sans.
struct Painter {
    enum Alignment { case left, center, right }

    let cr: OpaquePointer

    init(_ cr: OpaquePointer?) { self.cr = cr! }

    func color(_ c: RGB, alpha: Double = 1) {
        cairo_set_source_rgba(cr, Double(c.red) / 255, Double(c.green) / 255, Double(c.blue) / 255, alpha)
    }

    func grey(_ level: Double) { cairo_set_source_rgb(cr, level, level, level) }

    func fillRect(x: Double, y: Double, width: Double, height: Double) {
        cairo_rectangle(cr, x, y, width, height)
        cairo_fill(cr)
    }

    func strokeRect(x: Double, y: Double, width: Double, height: Double, lineWidth: Double) {
        cairo_set_line_width(cr, lineWidth)
        cairo_rectangle(cr, x, y, width, height)
        cairo_stroke(cr)
    }

    func line(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, width: Double) {
        cairo_set_line_width(cr, width)
        cairo_move_to(cr, x0, y0)
        cairo_line_to(cr, x1, y1)
        cairo_stroke(cr)
    }

    /// Strokes a polyline through `points`.
    func polyline(_ points: [(Double, Double)], width: Double) {
        guard let first = points.first else { return }
        cairo_set_line_width(cr, width)
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        cairo_move_to(cr, first.0, first.1)
        for p in points.dropFirst() { cairo_line_to(cr, p.0, p.1) }
        cairo_stroke(cr)
    }

    func circle(x: Double, y: Double, radius: Double) {
        cairo_new_sub_path(cr)
        cairo_arc(cr, x, y, radius, 0, 2 * Double.pi)
        cairo_fill(cr)
    }

    private func font(size: Double, bold: Bool) {
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
    }

    func textWidth(_ text: String, size: Double, bold: Bool = false) -> Double {
        font(size: size, bold: bold)
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, text, &extents)
        return extents.x_advance
    }

    /// Draws `text` with its baseline at `y`, aligned on `x`.
    func text(_ text: String, x: Double, y: Double, size: Double, bold: Bool = false, align: Alignment = .left) {
        let w = textWidth(text, size: size, bold: bold)
        let x0: Double
        switch align {
        case .left: x0 = x
        case .center: x0 = x - w / 2
        case .right: x0 = x - w
        }
        cairo_move_to(cr, x0, y)
        cairo_show_text(cr, text)
    }

    /// Text cut with an ellipsis to fit `maxWidth`.
    func fitted(_ text: String, maxWidth: Double, size: Double, bold: Bool = false) -> String {
        if textWidth(text, size: size, bold: bold) <= maxWidth { return text }
        var chars = Array(text)
        while !chars.isEmpty && textWidth(String(chars) + "…", size: size, bold: bold) > maxWidth { chars.removeLast() }
        return String(chars) + "…"
    }

    /// Paints an image canvas with its top-left at (x, y), scaled by `scale`.
    func paint(_ canvas: ImageCanvas, x: Double, y: Double, scale: Double) {
        cairo_save(cr)
        cairo_translate(cr, x, y)
        cairo_scale(cr, scale, scale)
        cairo_set_source_surface(cr, canvas.surface, 0, 0)
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD)
        cairo_paint(cr)
        cairo_restore(cr)
    }
}
