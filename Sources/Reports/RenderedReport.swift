import Foundation
import Core
import Imaging

/// The pictures of a report, drawn once and shared by the HTML and PDF writers.
/// Not `Sendable`: it keeps the cairo canvases of the key images for the PDF.
public struct RenderedReport {
    public let input: ReportInput
    public let window: DisplayWindow
    /// The patient point the key slices go through: the largest lesion's centroid, or the grid's centre
    /// when there is no lesion.
    public let focusLPS: Vector3
    /// Axial, coronal and sagittal key images, in that order.
    public let keySlices: [RenderedSlice]
    /// The axial key slice zoomed on the largest lesion (a square about three times its longest axial
    /// diameter, at least 40 mm), or nil without lesions or when that square would cover most of the slice.
    public let zoom: RenderedSlice?
    /// The volume-over-time chart, nil when the history spans fewer than two study dates.
    public let chartPNG: Data?
    /// Label values present in the label map (not 0), ascending: the legend.
    public let presentLabels: [UInt8]
    /// Canvases of the key images (and then of the zoom), painted into the PDF.
    let canvases: [ImageCanvas]
    /// One key image per RECIST-measurable lesion (largest first, at most `LesionKeyImages.cap`), with its
    /// number and callipers.
    public let lesionImages: [LesionKeyImage]
    /// Measurable lesions without a key image because of the cap.
    public let lesionImagesLeftOut: Int
    /// The axial key slice of every other input channel (same slice as `keySlices[0]`), each in its own window.
    public let channelSlices: [(name: String, image: RenderedSlice)]

    /// Validates `input` and draws its key images and chart.
    /// - Throws: `ReportError.invalidInput` (see `ReportInput.validate`) or `.renderFailed`.
    public static func render(_ input: ReportInput, window: DisplayWindow? = nil) throws -> RenderedReport {
        try input.validate()
        let window = window ?? DisplayWindow.automatic(for: input.image, modality: input.header.modality)
        let focus = input.largestLesion?.centroidLPS ?? input.image.geometry.centerLPS
        var slices = [RenderedSlice]()
        var canvases = [ImageCanvas]()
        for plane in SlicePlane.allCases {
            let slice = KeySlice(plane: plane, image: input.image, labelMap: input.labelMap, through: focus)
            let caption = "\(plane.rawValue.capitalized) \(slice.fixedIndex + 1)/\(input.image.size[slice.fixedAxis])"
            let (rendered, canvas) = try SliceRenderer.render(slice, window: window, style: input.style(for:), caption: caption)
            slices.append(rendered)
            canvases.append(canvas)
        }
        var zoom: RenderedSlice?
        if let lesion = input.largestLesion, let region = zoomRegion(slices[0].slice, lesion: lesion, geometry: input.image.geometry) {
            let (rendered, canvas) = try SliceRenderer.render(slices[0].slice, region: region, window: window,
                                                              style: input.style(for:), caption: "Axial zoom")
            zoom = rendered
            canvases.append(canvas)
        }
        let lesionImages = try LesionKeyImages.render(input, window: window)
        let channelSlices = try input.otherChannels.map { channel -> (name: String, image: RenderedSlice) in
            let slice = KeySlice(plane: .axial, image: channel.image, labelMap: input.labelMap, through: focus)
            let w = DisplayWindow.automatic(for: channel.image, modality: input.header.modality)
            return (channel.name, try SliceRenderer.render(slice, window: w, style: input.style(for:), caption: "Axial, \(channel.name)").0)
        }
        var present = [Bool](repeating: false, count: 256)
        for value in input.labelMap.voxels { present[Int(value)] = true }
        return RenderedReport(input: input, window: window, focusLPS: focus, keySlices: slices, zoom: zoom,
                              chartPNG: try ChartRenderer.png(input.history, color: input.color(forLabelName:)),
                              presentLabels: (1...255).filter { present[$0] }.map { UInt8($0) }, canvases: canvases,
                              lesionImages: lesionImages.images,
                              lesionImagesLeftOut: LesionKeyImages.candidates(input).count - lesionImages.images.count,
                              channelSlices: channelSlices)
    }

    /// The square around `lesion`'s centroid in `slice` (half side max(20 mm, 1.5 x longest axial diameter)),
    /// clamped to the slice; nil when it spans more than 70 % of the slice both ways.
    static func zoomRegion(_ slice: KeySlice, lesion: LesionRow, geometry: VolumeGeometry) -> SliceRegion? {
        let centre = slice.pixel(ofPatient: lesion.centroidLPS, geometry: geometry)
        guard centre.column.isFinite, centre.row.isFinite else { return nil }
        let halfMM = max(20, 1.5 * lesion.longestAxialDiameterMM)
        func range(_ c: Double, _ spacing: Double, _ count: Int) -> Range<Int> {
            let half = halfMM / spacing
            // Range-checked: a centroid far outside the slice (or a huge diameter) clamps, never traps.
            let lower = Checked.clampedInt((c - half).rounded(.down), 0...(count - 1))
            let upper = max(Checked.clampedInt((c + half).rounded(.up) + 1, 0...count), lower + 1)
            return lower..<upper
        }
        let region = SliceRegion(columns: range(centre.column, slice.columnSpacingMM, slice.width),
                                 rows: range(centre.row, slice.rowSpacingMM, slice.height))
        let fractionC = Double(region.columns.count) / Double(slice.width)
        let fractionR = Double(region.rows.count) / Double(slice.height)
        return fractionC > 0.7 && fractionR > 0.7 ? nil : region
    }
}
