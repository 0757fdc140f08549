import Foundation
import Imaging

/// A key image of one RECIST-measurable lesion: the axial slice of its long axis, zoomed on it, with
/// its number and the long- and short-axis callipers drawn.
public struct LesionKeyImage {
    public let row: LesionRow
    public let image: RenderedSlice
    /// Output-pixel end points of the long and short axes as drawn.
    public let longAxisPixels: [(x: Double, y: Double)]
    public let shortAxisPixels: [(x: Double, y: Double)]
    /// For a tracked lesion when the report has a prior study: the prior study at the same plane of the
    /// anatomy (`PriorSlice`, through the registration), same region and scale, with its label outlines.
    public let prior: RenderedSlice?
}

enum LesionKeyImages {
    /// The callipers' colour: pure yellow, not a label palette colour nor the annotation colour.
    static let calliperColor = RGB(255, 255, 0)
    /// At most this many lesion key images (the largest measurable lesions); the report says how many are left out.
    static let cap = 10

    /// The lesions that get a key image: measurable (long axial diameter >= 10 mm) with axis end points, in table order.
    static func candidates(_ input: ReportInput) -> [LesionRow] {
        input.tableRows.filter { $0.longestAxialDiameterMM >= 10 && $0.longAxisLPS?.count == 2 && $0.shortAxisLPS?.count == 2 }
    }

    static func render(_ input: ReportInput, window: DisplayWindow) throws -> (images: [LesionKeyImage], canvases: [ImageCanvas]) {
        var images = [LesionKeyImage](), canvases = [ImageCanvas]()
        let g = input.image.geometry
        let priorWindow = input.prior.map { DisplayWindow.automatic(for: $0.image, modality: input.header.modality) }
        for row in candidates(input).prefix(cap) {
            let long = row.longAxisLPS!, short = row.shortAxisLPS!
            // The slice of the long axis (its end points lie in one axial slice of the grid).
            let slice = KeySlice(plane: .axial, image: input.image, labelMap: input.labelMap, through: (long[0] + long[1]) / 2)
            let region = RenderedReport.zoomRegion(slice, lesion: row, geometry: g)
            var longPixels = [(x: Double, y: Double)](), shortPixels = [(x: Double, y: Double)]()
            let number = "\(row.labelName) #\(row.lesionIndex)"
            let (rendered, canvas) = try SliceRenderer.render(slice, region: region, window: window, style: input.style(for:),
                                                              caption: "Axial \(slice.fixedIndex + 1)", longestSidePixels: 320) { p, point in
                func project(_ v: Vector3) -> (x: Double, y: Double) {
                    let px = slice.pixel(ofPatient: v, geometry: g)
                    return point(px.column, px.row)
                }
                longPixels = long.map(project)
                shortPixels = short.map(project)
                p.color(calliperColor)
                for axis in [longPixels, shortPixels] {
                    p.line(axis[0].x, axis[0].y, axis[1].x, axis[1].y, width: 2)
                    for end in axis { p.circle(x: end.x, y: end.y, radius: 3) }
                }
                // The lesion's number beside the long axis' first end, shadowed for contrast.
                let at = (x: min(longPixels[0].x, longPixels[1].x), y: min(longPixels[0].y, longPixels[1].y) - 8)
                p.grey(0)
                p.text(number, x: at.x + 1, y: at.y + 1, size: 14, bold: true)
                p.color(calliperColor)
                p.text(number, x: at.x, y: at.y, size: 14, bold: true)
            }
            var prior: RenderedSlice?
            if let study = input.prior, let priorWindow, let volume = row.priorVolumeML {
                let priorSlice = PriorSlice.slice(matching: slice, geometry: g, prior: study)
                prior = try SliceRenderer.render(priorSlice, region: region, window: priorWindow, style: input.style(for:),
                                                 caption: "Prior \(study.studyDate): \(ReportFormatting.volume(volume)) mL",
                                                 longestSidePixels: 320).0
            }
            images.append(LesionKeyImage(row: row, image: rendered, longAxisPixels: longPixels, shortAxisPixels: shortPixels, prior: prior))
            canvases.append(canvas)
        }
        return (images, canvases)
    }
}
