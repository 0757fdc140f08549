import Foundation
import Imaging

/// How one ROI came out on the source grid.
public struct RasterisedROI: Sendable, Equatable, Encodable {
    public var number: Int
    public var name: String
    /// Its value in the label map.
    public var label: UInt8
    /// CLOSED_PLANAR contours rasterised, and contours without area skipped (POINT, OPEN_PLANAR, OPEN_NONPLANAR).
    public var contours: Int
    public var skippedContours: Int
    /// Voxels set (0 for an ROI without contours: an empty label, not an error).
    public var voxels: Int
}

extension RTStructDocument {
    /// The ROIs as a label map on `source.geometry` (slice k = source frame k): label n for the n-th ROI in
    /// file order, or label 1 for the ROI named `roi` only. Where ROIs overlap, the later one wins.
    ///
    /// Each CLOSED_PLANAR contour is placed on the frame its Contour Image Sequence names, or, without a
    /// reference, on the frame whose plane is nearest; its points must lie within `planeToleranceMM`
    /// (default: half the smallest distance between frames) of that plane. A voxel is inside an ROI when its
    /// pixel centre is inside an odd number of the ROI's contours on its frame (`PolygonFill`).
    /// - Throws: `DICOMError.invalidArgument` for an unknown `roi` name; `.badInput` naming ROI, contour and
    ///   tag for a Referenced Frame of Reference UID (3006,0024) other than the source's, a contour image
    ///   (0008,1155) not in the source, a contour off its plane or off every plane (3006,0050), a closed
    ///   contour with fewer than 3 points; `.unsupported` for more than 255 ROIs without `roi`, or a source
    ///   without patient geometry.
    public func labelMap(on source: SEGSourceSeries, roi: String? = nil, planeToleranceMM: Double? = nil) throws -> (labels: LabelMap, rois: [RasterisedROI]) {
        guard source.hasPatientGeometry else {
            throw DICOMError.unsupported(file: path, reason: "the source series has no patient geometry to place contours on")
        }
        var selected = rois
        if let roi {
            selected = rois.filter { $0.name == roi }
            if selected.isEmpty { selected = rois.filter { $0.name.caseInsensitiveCompare(roi) == .orderedSame } }
            guard let first = selected.first else {
                throw DICOMError.invalidArgument("--roi '\(roi)' is not in \(path); its ROIs are: \(rois.map { "'\($0.name)'" }.joined(separator: ", "))")
            }
            selected = [first]
        }
        guard selected.count <= 255 else {
            throw DICOMError.unsupported(file: path, reason: "\(selected.count) ROIs do not fit one 8-bit label map; choose one with --roi NAME")
        }
        let planes = FramePlanes(source: source, toleranceMM: planeToleranceMM)
        let planeSize = source.rows * source.columns
        var labels = LabelMap(geometry: source.geometry, repeating: 0)
        var results: [RasterisedROI] = []
        for (index, r) in selected.enumerated() {
            try checkFrameOfReference(r, source: source)
            let label = UInt8(index + 1)
            var perFrame: [Int: [[SIMD2<Double>]]] = [:]
            var used = 0, skipped = 0
            for c in r.contours {
                guard c.geometricType == "CLOSED_PLANAR" else { skipped += 1; continue }
                let at = "ROI '\(r.name)' (number \(r.number)) contour \(c.number)"
                guard c.pointsLPS.count >= 3 else {
                    throw DICOMError.badInput(file: path, detail: "\(at): a CLOSED_PLANAR contour needs at least 3 points in Contour Data (3006,0050); it has \(c.pointsLPS.count)")
                }
                let k = try planes.frame(of: c, at: at, file: path)
                perFrame[k, default: []].append(c.pointsLPS.map { planes.pixel($0, frame: k) })
                used += 1
            }
            for (k, polygons) in perFrame {
                var inside = [Bool](repeating: false, count: planeSize)
                PolygonFill.fill(polygons, columns: source.columns, rows: source.rows, into: &inside)
                for p in 0..<planeSize where inside[p] { labels.voxels[k * planeSize + p] = label }
            }
            results.append(RasterisedROI(number: r.number, name: r.name, label: label, contours: used, skippedContours: skipped, voxels: 0))
        }
        // Count after all ROIs are placed, so overlaps are counted for the ROI that kept the voxel.
        var counts = [Int](repeating: 0, count: 256)
        for v in labels.voxels { counts[Int(v)] += 1 }
        for i in results.indices { results[i].voxels = counts[Int(results[i].label)] }
        return (labels, results)
    }

    private func checkFrameOfReference(_ r: ROI, source: SEGSourceSeries) throws {
        let uid = r.frameOfReferenceUID.isEmpty ? frameOfReferenceUID : r.frameOfReferenceUID
        // A source without a Frame of Reference UID (badly anonymised: SegStation derives one) cannot be checked.
        guard !uid.isEmpty, uid != source.frameOfReferenceUID, !source.hasDerivedFrameOfReference else { return }
        throw DICOMError.badInput(file: path, detail: "ROI '\(r.name)' (number \(r.number)): Referenced Frame of Reference UID (3006,0024) \(uid) is not the source series' Frame of Reference UID (0020,0052) \(source.frameOfReferenceUID)")
    }
}

extension SEGSourceSeries {
    /// True when the source files carry no Frame of Reference UID and `frameOfReferenceUID` was derived.
    var hasDerivedFrameOfReference: Bool {
        derivedIdentifiers.contains("FrameOfReferenceUID")
    }
}

/// The planes of a source's frames: which frame a contour lies on, and its points in pixel units.
struct FramePlanes {
    let source: SEGSourceSeries
    let normal: Vector3
    let offsets: [Double]
    let toleranceMM: Double

    init(source: SEGSourceSeries, toleranceMM: Double?) {
        self.source = source
        normal = source.normalLPS
        offsets = source.frames.map { dot($0.positionLPS, source.normalLPS) }
        let gaps = zip(offsets.dropFirst(), offsets).map { abs($0 - $1) }
        self.toleranceMM = toleranceMM ?? max(0.01, 0.5 * (gaps.min() ?? 2 * (source.sliceThicknessMM ?? 1)))
    }

    /// The frame of a contour: its referenced image, else the nearest plane; its points must lie within
    /// the tolerance of that plane.
    func frame(of c: RTStructDocument.Contour, at: String, file: String) throws -> Int {
        let heights = c.pointsLPS.map { dot($0, normal) }
        let mean = heights.reduce(0, +) / Double(heights.count)
        let k: Int
        if let uid = c.referencedSOPInstanceUID {
            guard let found = source.sliceIndex(sopInstanceUID: uid, frameNumber: c.referencedFrameNumber) else {
                throw DICOMError.badInput(file: file, detail: "\(at): Contour Image Sequence references SOP Instance UID (0008,1155) \(uid)\(c.referencedFrameNumber.map { " frame \($0)" } ?? ""), which is not in the source series")
            }
            k = found
        } else {
            k = offsets.indices.min { abs(offsets[$0] - mean) < abs(offsets[$1] - mean) } ?? 0
        }
        let worst = heights.map { abs($0 - offsets[k]) }.max() ?? 0
        guard worst <= toleranceMM else {
            let which = c.referencedSOPInstanceUID == nil ? "the nearest source plane" : "the plane of its referenced image"
            throw DICOMError.badInput(file: file, detail: "\(at): Contour Data (3006,0050) lies up to \(String(format: "%.3f", worst)) mm off \(which) (frame \(k + 1)); tolerance \(String(format: "%.3f", toleranceMM)) mm")
        }
        return k
    }

    /// A point in frame `k`'s pixel units (x = column, y = row).
    func pixel(_ p: Vector3, frame k: Int) -> SIMD2<Double> {
        let d = p - source.frames[k].positionLPS
        return SIMD2(dot(d, source.rowDirectionLPS) / source.pixelSpacingMM.i, dot(d, source.columnDirectionLPS) / source.pixelSpacingMM.j)
    }
}
