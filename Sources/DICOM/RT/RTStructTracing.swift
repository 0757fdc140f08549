import Dispatch
import Imaging

/// One traced contour: a closed polygon of one ROI on one source frame, in patient LPS (x, y, z per point).
struct TracedContour: Sendable {
    var roiIndex: Int
    var frame: Int
    var pointsLPS: [Double]
}

/// Contours of label values on the exact frames of a source series.
///
/// Each frame is traced in its own pixel grid (`PlaneTracer`, marching squares, vertices at pixel-edge
/// midpoints), reduced in millimetres in the plane (`PolygonSimplifier`), and mapped to patient space
/// through that frame's own Image Position (Patient) and the series' row / column directions and pixel
/// spacing: point (column x, row y) -> IPP_k + row direction * x * spacing.x + column direction * y * spacing.y.
/// A gantry-tilted or unevenly spaced series therefore needs no special case: every contour lies exactly
/// on its image plane, whatever the distance or the shear between planes.
enum RTStructTracing {
    struct Output: Sendable {
        var contours: [TracedContour]
        /// Vertices before reduction (marching-squares midpoints), for the statistics.
        var tracedVertexCount: Int
    }

    /// The contours of frame `k` (ROI order, then loop order) and its number of traced vertices.
    private static func traceFrame(_ plane: UnsafeBufferPointer<UInt8>, frame k: Int, roiOfLabel: [Int?], source: SEGSourceSeries,
                                   toleranceMM: Double) -> ([TracedContour], Int) {
        var tracer = PlaneTracer(columns: source.columns, rows: source.rows)
        let spacing = SIMD2(source.pixelSpacingMM.i, source.pixelSpacingMM.j)
        let origin = source.frames[k].positionLPS
        let row = source.rowDirectionLPS * spacing.x, column = source.columnDirectionLPS * spacing.y
        var found: [TracedContour] = []
        var traced = 0
        for (value, box) in tracer.boxes(plane).enumerated() {
            guard let box, let roi = roiOfLabel[value] else { continue }
            for loop in tracer.loops(plane, label: UInt8(value), box: box) {
                traced += loop.count
                let xy = loop.map { SIMD2(Double($0.x) / 2, Double($0.y) / 2) }
                let kept = PolygonSimplifier.keep(xy.map { $0 * spacing }, toleranceMM: toleranceMM)
                var points: [Double] = []
                points.reserveCapacity(3 * kept.count)
                for index in kept {
                    let p = origin + row * xy[index].x + column * xy[index].y
                    points.append(p.x); points.append(p.y); points.append(p.z)
                }
                found.append(TracedContour(roiIndex: roi, frame: k, pointsLPS: points))
            }
        }
        return (found, traced)
    }

    /// `values`: the label map on the frames (`frames.count * rows * columns`, as `SEGSourceSeries.sampled`).
    /// Contours come ROI after ROI (in `labels` order), frame after frame, loop after loop.
    static func trace(_ values: [UInt8], labels: [UInt8], over source: SEGSourceSeries, toleranceMM: Double) -> Output {
        let planeSize = source.rows * source.columns
        let roiOfLabel: [Int?] = (0..<256).map { v in labels.firstIndex(of: UInt8(v)) }
        let perFrame = FrameResults(count: source.frames.count)
        DispatchQueue.concurrentPerform(iterations: source.frames.count) { k in
            values.withUnsafeBufferPointer { all in
                let plane = UnsafeBufferPointer(rebasing: all[(k * planeSize)..<((k + 1) * planeSize)])
                let (found, traced) = traceFrame(plane, frame: k, roiOfLabel: roiOfLabel, source: source, toleranceMM: toleranceMM)
                perFrame.set(k, found, traced)
            }
        }
        let (contours, traced) = perFrame.merged()
        let ordered = contours.enumerated().sorted { a, b in
            (a.element.roiIndex, a.offset) < (b.element.roiIndex, b.offset)
        }.map(\.element)
        return Output(contours: ordered, tracedVertexCount: traced)
    }
}

/// Per-frame results written by concurrent iterations, each to its own slot (fixed storage allocated
/// once, so no slot write touches another's memory or the container).
private final class FrameResults: @unchecked Sendable {
    private let contours: UnsafeMutableBufferPointer<[TracedContour]>
    private let traced: UnsafeMutableBufferPointer<Int>

    init(count: Int) {
        contours = .allocate(capacity: count)
        contours.initialize(repeating: [])
        traced = .allocate(capacity: count)
        traced.initialize(repeating: 0)
    }

    deinit {
        contours.deinitialize().deallocate()
        traced.deallocate()
    }

    /// Slot `k` is written by iteration `k` only.
    func set(_ k: Int, _ found: [TracedContour], _ vertices: Int) {
        contours[k] = found
        traced[k] = vertices
    }

    func merged() -> ([TracedContour], Int) { (contours.flatMap { $0 }, traced.reduce(0, +)) }
}
