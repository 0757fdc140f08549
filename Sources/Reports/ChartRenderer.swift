import Core
import CCairo
import Foundation

/// The volume-over-time chart: one line per series (a label's total or one lesion), study date on x
/// (true day spacing), volume in mL on y from 0.
enum ChartRenderer {
    struct Series {
        let name: String
        let points: [(day: Int, date: String, volumeML: Double)]
        let color: RGB
        /// Dash lengths: solid for a label's first series, dashed for its further lesions.
        let dashes: [Double]
    }

    /// Series in first-appearance order, points sorted by date. Points with an unparsable date are
    /// dropped (`ReportInput.validate` rejects them first).
    static func series(from history: [HistoryPoint], color: (String) -> RGB) -> [Series] {
        var order = [String]()
        var grouped = [String: [(Int, String, Double)]]()
        for point in history {
            guard let date = ISODate(point.studyDate) else { continue }
            if grouped[point.seriesName] == nil { order.append(point.seriesName) }
            grouped[point.seriesName, default: []].append((date.dayNumber, point.studyDate, point.volumeML))
        }
        var seenPerLabel = [String: Int]()
        return order.map { name in
            let label = history.first { $0.seriesName == name }!.labelName
            let rank = seenPerLabel[label, default: 0]
            seenPerLabel[label] = rank + 1
            let dashes = [[], [6.0, 3], [2.0, 2], [8.0, 3, 2, 3]][rank % 4]
            return Series(name: name, points: grouped[name]!.sorted { $0.0 < $1.0 }.map { ($0.0, $0.1, $0.2) },
                          color: color(label), dashes: dashes)
        }
    }

    /// The labels of a series' points: the volume ("12.30 mL") and, after the first point, the change
    /// from the previous point ("+6.0 %"; absent when the previous volume is 0).
    static func pointLabels(_ s: Series) -> [(value: String, change: String?)] {
        s.points.enumerated().map { n, point in
            let previous = n > 0 ? s.points[n - 1].volumeML : nil
            let change = previous.flatMap { $0 > 0 ? String(format: "%+.1f %%", (point.volumeML - $0) / $0 * 100) : nil }
            return (String(format: "%.2f mL", point.volumeML), change)
        }
    }

    /// True when the history spans at least two study dates.
    static func hasChart(_ history: [HistoryPoint]) -> Bool {
        Set(history.compactMap { ISODate($0.studyDate)?.dayNumber }).count >= 2
    }

    /// Draws the chart in the rectangle (x, y, width, height) of `p`'s user space; a series takes its
    /// label's colour (`color(labelName)`).
    static func draw(_ history: [HistoryPoint], color: (String) -> RGB, painter p: Painter,
                     x: Double, y: Double, width: Double, height: Double) {
        let all = series(from: history, color: color)
        let days = all.flatMap { $0.points.map(\.day) }
        guard let minDay = days.min(), let maxDay = days.max() else { return }
        let maxVolume = max(all.flatMap { $0.points.map(\.volumeML) }.max() ?? 1, 1e-6)
        let yStep = niceStep(maxVolume / 4)
        let yTop = (maxVolume / yStep).rounded(.up) * yStep
        let font = max(8, min(11, height / 22))
        let legendWidth = min(width * 0.35, (all.map { p.textWidth($0.name, size: font) }.max() ?? 0) + font * 3.5)
        let left = x + font * 5, right = x + width - legendWidth - font, top = y + font * 2, bottom = y + height - font * 3
        let daySpan = Double(max(maxDay - minDay, 1))
        func px(_ day: Int) -> Double { left + Double(day - minDay) / daySpan * (right - left) }
        func py(_ volume: Double) -> Double { bottom - volume / yTop * (bottom - top) }

        p.grey(1)
        p.fillRect(x: x, y: y, width: width, height: height)
        p.grey(0)
        p.text("mL", x: left - 4, y: top - font * 0.8, size: font, align: .right)
        // Grid and y ticks.
        var tick = 0.0
        while tick <= yTop + yStep / 2 {
            p.grey(0.85)
            p.line(left, py(tick), right, py(tick), width: 0.5)
            p.grey(0.2)
            p.text(String(format: "%g", tick), x: left - 4, y: py(tick) + font / 3, size: font, align: .right)
            tick += yStep
        }
        p.grey(0)
        p.line(left, bottom, right, bottom, width: 1)
        p.line(left, top, left, bottom, width: 1)
        // x ticks at study dates (all of them when few, else first and last).
        let dates = Dictionary(all.flatMap { $0.points.map { ($0.day, $0.date) } }, uniquingKeysWith: { a, _ in a })
        let tickDays = dates.count <= 5 ? dates.keys.sorted() : [minDay, maxDay]
        for day in tickDays {
            p.line(px(day), bottom, px(day), bottom + 4, width: 1)
            p.text(dates[day]!, x: px(day), y: bottom + font * 1.6, size: font, align: .center)
        }
        // Lines, points and legend.
        for (n, s) in all.enumerated() {
            p.color(s.color)
            cairo_set_dash(p.cr, s.dashes, Int32(s.dashes.count), 0)
            p.polyline(s.points.map { (px($0.day), py($0.volumeML)) }, width: 2)
            for point in s.points { p.circle(x: px(point.day), y: py(point.volumeML), radius: 3) }
            // Each point's value and, after the first, its % change from the previous point of the series.
            p.grey(0.15)
            for (point, label) in zip(s.points, pointLabels(s)) {
                let ty = py(point.volumeML) - font * (label.change == nil ? 0.7 : 1.8)
                p.text(label.value, x: px(point.day), y: ty, size: font * 0.9, align: .center)
                if let change = label.change { p.text(change, x: px(point.day), y: ty + font * 1.05, size: font * 0.85, align: .center) }
            }
            p.color(s.color)
            let ly = top + Double(n) * font * 1.5
            p.line(right + font * 0.5, ly - font * 0.35, right + font * 2.2, ly - font * 0.35, width: 2)
            cairo_set_dash(p.cr, nil, 0, 0)
            p.grey(0)
            p.text(p.fitted(s.name, maxWidth: legendWidth - font * 2.5, size: font), x: right + font * 2.5, y: ly, size: font)
        }
    }

    /// The chart alone as a PNG, or nil when the history spans fewer than two dates.
    static func png(_ history: [HistoryPoint], color: (String) -> RGB, width: Int = 900, height: Int = 360) throws -> Data? {
        guard hasChart(history) else { return nil }
        let canvas = try ImageCanvas(width: width, height: height)
        draw(history, color: color, painter: canvas.painter, x: 0, y: 0, width: Double(width), height: Double(height))
        return try canvas.pngData()
    }

    /// 1, 2 or 5 times a power of ten, at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, floor(log10(raw)))
        for factor in [1.0, 2, 5, 10] where factor * magnitude >= raw { return factor * magnitude }
        return 10 * magnitude
    }
}
