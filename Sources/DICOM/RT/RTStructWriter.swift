import Core
internal import CDCMTKBridge
import Foundation
import Imaging

/// Who made the contours and how the RT Structure Set series is labelled.
public struct RTStructWriteOptions: Sendable, Equatable {
    public var manufacturer = "SegStation"
    /// Manufacturer's Model Name: the model that produced the masks.
    public var modelName = "SegStation"
    public var softwareVersion: String
    /// ROI Generation Description of every ROI (ROI Generation Algorithm is AUTOMATIC).
    public var algorithmName: String
    public var seriesDescription = "RT Structure Set"
    public var seriesNumber = 301
    /// Structure Set Label (SH, at most 16 characters).
    public var structureSetLabel = "SEGSTATION"
    /// Douglas-Peucker tolerance in mm: no outline moves by more than this (0 drops only collinear vertices).
    public var toleranceMM = RTStructWriteOptions.defaultToleranceMM

    /// 0.2 mm: a fifth of a typical CT pixel and well under half of the finest clinical one (0.5 mm), so the
    /// pixel-centre rasterisation of the reduced polygons still gives the mask back (Dice >= 0.998 on the
    /// acceptance series, docs/RTSTRUCT.md), with about a third of marching squares' vertices.
    public static let defaultToleranceMM = 0.2

    public init(softwareVersion: String, algorithmName: String) {
        self.softwareVersion = softwareVersion; self.algorithmName = algorithmName
    }
}

/// What was written.
public struct RTStructWriteResult: Sendable, Equatable, Encodable {
    public var seriesInstanceUID: String
    public var sopInstanceUID: String
    /// ROI number in the file for each label value.
    public var roiNumbers: [UInt8: Int]
    /// Contours per ROI number.
    public var contoursPerROI: [Int: Int]
    public var contourCount: Int
    /// Contour points written, and marching-squares vertices before reduction.
    public var pointCount: Int
    public var tracedVertexCount: Int
}

/// Writes RT Structure Sets over a source series with DCMTK's dcmrt (see docs/RTSTRUCT.md).
public struct RTStructWriter: Sendable {
    public var options: RTStructWriteOptions
    public init(options: RTStructWriteOptions) { self.options = options }

    /// One ROI per label value present in `labelMap` or described in `rois` (missing descriptions get
    /// `RTROIDescription.placeholder`), numbered 1, 2, ... in ascending label value. A map on another grid
    /// is resampled (nearest) onto the source frames first; voxels outside it are background. Written to
    /// a temporary name and renamed.
    /// - Throws: `DICOMError.invalidArgument` when there is no ROI, `.unsupported` for a source without
    ///   patient geometry, `.badInput` for a bad ROI name, `.outputFailed` when the file cannot be written.
    @discardableResult
    public func write(labelMap: LabelMap, rois: [RTROIDescription] = [], over source: SEGSourceSeries, to url: URL) throws -> RTStructWriteResult {
        guard source.hasPatientGeometry else {
            throw DICOMError.unsupported(file: source.frames.first?.path ?? "", reason: "an RT Structure Set needs patient coordinates; the source has no Image Position / Orientation (Patient) or Pixel Spacing")
        }
        guard options.toleranceMM >= 0, options.toleranceMM.isFinite else {
            throw DICOMError.invalidArgument("--tolerance-mm \(options.toleranceMM): expected a finite value >= 0")
        }
        let values = source.sampled(labelMap, interpolation: .nearest, outside: 0)
        var present = [Bool](repeating: false, count: 256)
        for v in values { present[Int(v)] = true }
        var described: [UInt8: RTROIDescription] = [:]
        for roi in rois {
            try roi.check(file: "--labels")
            described[roi.labelValue] = roi
        }
        for v in 1..<256 where present[v] && described[UInt8(v)] == nil { described[UInt8(v)] = .placeholder(for: UInt8(v)) }
        let ordered = described.values.sorted { $0.labelValue < $1.labelValue }
        guard !ordered.isEmpty else { throw DICOMError.invalidArgument("the mask holds no label and --labels describes none: nothing to write") }
        let traced = RTStructTracing.trace(values, labels: ordered.map(\.labelValue), over: source, toleranceMM: options.toleranceMM)
        return try save(rois: ordered, contours: traced, over: source, to: url)
    }

    private func save(rois: [RTROIDescription], contours traced: RTStructTracing.Output, over source: SEGSourceSeries, to url: URL) throws -> RTStructWriteResult {
        let strings = CStrings()
        let images = source.frames.map { f in
            ssrt_image_ref(sop_class_uid: strings.add(f.sopClassUID), sop_instance_uid: strings.add(f.sopInstanceUID),
                           frame_number: Int32(f.frameNumber ?? 0))
        }
        let roiSpecs = rois.enumerated().map { index, roi in
            ssrt_roi_spec(number: Int32(index + 1), name: strings.add(roi.name), description: roi.description.map { strings.add($0) },
                          color: (roi.color.red, roi.color.green, roi.color.blue), interpreted_type: strings.add(roi.interpretedType),
                          algorithm_name: strings.add(options.algorithmName))
        }
        var seriesUID = [CChar](repeating: 0, count: 80), instanceUID = [CChar](repeating: 0, count: 80)
        var error = ssdcm_status()
        let contours = traced.contours
        try withExtendedLifetime(strings) { try withContourSpecs(contours) { contourSpecs in
            var spec = ssrt_write_spec(
                source_path: strings.add(source.frames[0].path), study_uid: strings.add(source.studyInstanceUID),
                series_uid: strings.add(source.seriesInstanceUID), for_uid: strings.add(source.frameOfReferenceUID),
                manufacturer: strings.add(options.manufacturer), model_name: strings.add(options.modelName),
                software_versions: strings.add(options.softwareVersion), series_description: strings.add(options.seriesDescription),
                structure_set_label: strings.add(options.structureSetLabel), series_number: Int32(options.seriesNumber),
                image_count: Int32(images.count), images: nil, roi_count: Int32(roiSpecs.count), rois: nil,
                contour_count: Int32(contourSpecs.count), contours: contourSpecs.baseAddress)
            try images.withUnsafeBufferPointer { imagePointer in
                try roiSpecs.withUnsafeBufferPointer { roiPointer in
                    spec.images = imagePointer.baseAddress
                    spec.rois = roiPointer.baseAddress
                    try AtomicFile.write(to: url) { temporary in
                        let status = ssrt_write(&spec, temporary.path, &seriesUID, &instanceUID, &error)
                        guard status == 0 else { throw DICOMError.bridge(status, error, file: url.path) }
                    }
                }
            }
        } }
        var perROI: [Int: Int] = [:]
        for c in contours { perROI[c.roiIndex + 1, default: 0] += 1 }
        return RTStructWriteResult(
            seriesInstanceUID: String(cBuffer: seriesUID), sopInstanceUID: String(cBuffer: instanceUID),
            roiNumbers: Dictionary(uniqueKeysWithValues: rois.enumerated().map { ($1.labelValue, $0 + 1) }),
            contoursPerROI: perROI, contourCount: contours.count,
            pointCount: contours.reduce(0) { $0 + $1.pointsLPS.count / 3 }, tracedVertexCount: traced.tracedVertexCount)
    }

    /// Calls `body` with C contour specs pointing into `contours`' point arrays (valid during the call).
    private func withContourSpecs(_ contours: [TracedContour], _ body: (UnsafeBufferPointer<ssrt_contour_spec>) throws -> Void) throws {
        // One flat buffer of all points keeps every pointer valid for the whole call.
        let flat = contours.flatMap(\.pointsLPS)
        try flat.withUnsafeBufferPointer { points in
            var offset = 0
            let specs = contours.map { c -> ssrt_contour_spec in
                defer { offset += c.pointsLPS.count }
                return ssrt_contour_spec(roi_index: Int32(c.roiIndex), image_index: Int32(c.frame),
                                         point_count: Int32(c.pointsLPS.count / 3), points: points.baseAddress! + offset)
            }
            try specs.withUnsafeBufferPointer(body)
        }
    }
}

/// C strings owned until this object goes away (the bridge copies what it keeps); keep it alive with
/// `withExtendedLifetime` across the C call.
final class CStrings {
    private var pointers: [UnsafeMutablePointer<CChar>] = []
    deinit { pointers.forEach { free($0) } }

    func add(_ s: String) -> UnsafePointer<CChar> {
        let p = strdup(s)!
        pointers.append(p)
        return UnsafePointer(p)
    }
}

