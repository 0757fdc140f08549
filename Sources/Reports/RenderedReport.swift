import Foundation
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
    /// The volume-over-time chart, nil when the history spans fewer than two study dates.
    public let chartPNG: Data?
    /// Label values present in the label map (not 0), ascending: the legend.
    public let presentLabels: [UInt8]
    /// Canvases of the key images, painted into the PDF.
    let canvases: [ImageCanvas]

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
        var present = [Bool](repeating: false, count: 256)
        for value in input.labelMap.voxels { present[Int(value)] = true }
        return RenderedReport(input: input, window: window, focusLPS: focus, keySlices: slices,
                              chartPNG: try ChartRenderer.png(input.history, color: input.color(forLabelName:)),
                              presentLabels: (1...255).filter { present[$0] }.map { UInt8($0) }, canvases: canvases)
    }
}
