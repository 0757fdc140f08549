import Foundation

/// The self-contained HTML report: inline CSS, images as base64 PNG data URIs, no scripts and no
/// external requests.
enum HTMLReport {
    static func render(_ report: RenderedReport, generatedAt: String) -> String {
        let input = report.input
        var html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>SegStation report</title>
        <style>\(css)</style></head><body>
        <header><h1>SegStation segmentation report</h1><div class="gen">Generated \(escape(generatedAt))</div></header>
        <main>\(warnings(input.provenance))
        <section class="cols"><div><h2>Patient and study</h2>\(fieldTable(ReportFormatting.studyFields(input.header)))</div>
        <div><h2>Model and provenance</h2>\(fieldTable(ReportFormatting.provenanceFields(input.provenance)))</div></section>
        <section><h2>Lesions</h2>\(response(input))\(lesionTable(input))</section>
        <section><h2>Key images</h2><p class="note">\(input.largestLesion == nil ? "Through the centre of the scan (no lesion)" : "Through the centroid of the largest lesion");
        radiological convention (patient's right on the image left); outlines in label colours.</p><div class="images">
        """
        let first = input.channelName.map { " (\($0))" } ?? ""
        let figures = report.keySlices.map { ($0, $0.slice.plane.rawValue.capitalized + first) }
            + report.channelSlices.map { ($0.image, "Axial (\($0.name))") }
            + (report.zoom.map { [($0, "Axial, zoomed on the largest lesion")] } ?? [])
        for (slice, caption) in figures {
            html += "<figure><img alt=\"\(escape(caption)) key image\" width=\"\(slice.width)\" height=\"\(slice.height)\" "
            html += "src=\"data:image/png;base64,\(slice.png.base64EncodedString())\">"
            html += "<figcaption>\(escape(caption))</figcaption></figure>"
        }
        html += "</div>\(legend(report))</section>"
        html += lesionImages(report)
        if let chart = report.chartPNG {
            html += "<section><h2>Volume over time</h2><img class=\"chart\" alt=\"volume over time chart\" "
            html += "src=\"data:image/png;base64,\(chart.base64EncodedString())\"></section>"
        }
        html += "<footer>\(escape(ReportFormatting.disclaimer))</footer></main></body></html>\n"
        return html
    }

    /// The warnings banner (forced run, derived identity, unknown date), announced to screen readers.
    static func warnings(_ p: Provenance) -> String {
        guard let warnings = p.warnings, !warnings.isEmpty else { return "" }
        return "<div class=\"warning\" role=\"alert\"><strong>Warning</strong><ul>" + warnings.map { "<li>\(escape($0))</li>" }.joined() + "</ul></div>"
    }

    /// The RECIST response sentence of a tracked run, above the table.
    static func response(_ input: ReportInput) -> String {
        input.responseSummary.map { "<p class=\"response\">\(escape($0))</p>" } ?? ""
    }

    static func fieldTable(_ fields: [(String, String)]) -> String {
        "<table class=\"fields\">" + fields.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined() + "</table>"
    }

    static func lesionTable(_ input: ReportInput) -> String {
        guard !input.lesions.isEmpty else { return "<p>No lesions found.</p>" }
        var t = "<table class=\"lesions\"><thead><tr>"
        t += ReportFormatting.lesionColumns.map { "<th scope=\"col\">\(escape($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in input.tableRows {
            let cells = ReportFormatting.lesionCells(row)
            let swatch = "<span class=\"sw\" style=\"background:\(input.style(for: row.labelValue).color.hex)\"></span>"
            t += "<tr><td>\(swatch)\(escape(cells[0]))</td>" + cells.dropFirst().map { "<td>\(escape($0))</td>" }.joined() + "</tr>"
        }
        if let summary = ReportFormatting.smallLesionSummary(input) {
            t += "<tr class=\"small\"><td colspan=\"\(ReportFormatting.lesionColumns.count)\">\(escape(summary))</td></tr>"
        }
        return t + "</tbody></table><p class=\"note\">Largest first. RECIST measurable: long axial diameter &ge; 10 mm; targets: the RECIST 1.1 target lesions of the tracked series. Change: from the prior study of the same model (prior volume in brackets).</p>"
    }

    /// One figure per measurable lesion: its axial slice with its number and yellow RECIST callipers.
    static func lesionImages(_ report: RenderedReport) -> String {
        guard !report.lesionImages.isEmpty else { return "" }
        var html = "<section><h2>Measurable lesions</h2><p class=\"note\">Axial slice of each lesion's RECIST long axis; "
        html += "long and short axes drawn as yellow callipers, numbered as in the table."
        if let prior = report.input.prior {
            html += " Beside each tracked lesion: the same plane of the prior study (\(prior.studyDate)), resampled through the recorded registration, with the prior outlines."
        }
        if report.lesionImagesLeftOut > 0 {
            html += " \(report.lesionImagesLeftOut) more measurable lesion\(report.lesionImagesLeftOut == 1 ? " is" : "s are") not shown (the \(LesionKeyImages.cap) largest are)."
        }
        html += "</p><div class=\"images\">"
        for item in report.lesionImages {
            let r = item.row
            let text = "\(r.labelName) #\(r.lesionIndex): long axis \(ReportFormatting.mm(r.longestAxialDiameterMM)) mm, short axis \(ReportFormatting.mm(r.shortAxisMM)) mm, \(ReportFormatting.volume(r.volumeML)) mL"
            html += "<figure class=\"lesion\"><img alt=\"\(escape("Key image of lesion " + text))\" width=\"\(item.image.width)\" height=\"\(item.image.height)\" "
            html += "src=\"data:image/png;base64,\(item.image.png.base64EncodedString())\"><figcaption>\(escape(text))</figcaption></figure>"
            if let prior = item.prior, let study = report.input.prior, let volume = r.priorVolumeML {
                let before = "\(r.labelName) #\(r.lesionIndex) at the prior study (\(study.studyDate)): \(ReportFormatting.volume(volume)) mL"
                html += "<figure class=\"prior\"><img alt=\"\(escape("The same plane of the prior study, through the registration: " + before))\" "
                html += "width=\"\(prior.width)\" height=\"\(prior.height)\" src=\"data:image/png;base64,\(prior.png.base64EncodedString())\">"
                html += "<figcaption>\(escape(before)), same plane through the registration</figcaption></figure>"
            }
        }
        return html + "</div></section>"
    }

    static func legend(_ report: RenderedReport) -> String {
        guard !report.presentLabels.isEmpty else { return "" }
        return "<p class=\"legend\">" + report.presentLabels.map { v in
            let s = report.input.style(for: v)
            return "<span class=\"sw\" style=\"background:\(s.color.hex)\"></span>\(escape(s.name))"
        }.joined(separator: " &nbsp; ") + "</p>"
    }

    /// Escapes text for HTML element content and quoted attributes.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static let css = """
    body{font-family:"DejaVu Sans",Arial,sans-serif;margin:0;color:#111;background:#fff;font-size:14px}
    header{background:#1f3b5a;color:#fff;padding:12px 24px;display:flex;justify-content:space-between;align-items:baseline}
    h1{font-size:22px;margin:0}h2{font-size:16px;margin:18px 0 6px;color:#1f3b5a;border-bottom:1px solid #c8d3df}
    main{padding:0 24px 24px}.gen{font-size:12px}.cols{display:flex;gap:32px;flex-wrap:wrap}.cols>div{flex:1;min-width:360px}
    table{border-collapse:collapse}table.fields th{text-align:left;white-space:nowrap;padding:2px 12px 2px 0;color:#444;font-weight:normal;vertical-align:top}
    table.fields td{padding:2px 0;word-break:break-all}
    table.lesions{width:100%}table.lesions th{background:#dbe7f3;padding:4px 6px;text-align:right;border-bottom:1px solid #8aa}
    table.lesions td{padding:3px 6px;text-align:right;border-bottom:1px solid #e3e3e3}
    table.lesions th:first-child,table.lesions td:first-child{text-align:left}tr.small td{text-align:left;font-style:italic;color:#333}
    .images{display:flex;gap:12px;flex-wrap:wrap}figure{margin:0;background:#000;padding:4px}
    figure img{display:block;width:260px;height:auto}figure.lesion{border:3px solid #01fe02}figure.lesion img,figure.prior img{width:auto}figure.prior{border:3px solid #555}figcaption{color:#fff;text-align:center;font-size:12px;padding-top:3px}
    img.chart{max-width:100%;border:1px solid #ccc}.sw{display:inline-block;width:11px;height:11px;margin-right:5px;border:1px solid #333}
    .warning{background:#fff3cd;border:2px solid #8a5300;color:#3d2500;padding:6px 12px;margin-top:12px}.warning ul{margin:4px 0 0 18px;padding:0}
    .response{font-weight:bold}.note,.legend{font-size:12px;color:#444}footer{margin-top:24px;font-size:11px;color:#666;border-top:1px solid #ccc;padding-top:6px}
    """
}
