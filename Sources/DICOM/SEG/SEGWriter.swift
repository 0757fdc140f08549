internal import CDCMTKBridge
import Foundation
import Imaging

/// Who made the segmentation and how the SEG series is labelled.
public struct SEGWriteOptions: Sendable, Equatable {
    public var manufacturer = "SegStation"
    /// Manufacturer's Model Name: the model that produced the masks.
    public var modelName = "SegStation"
    public var deviceSerialNumber = "0"
    public var softwareVersion: String
    /// Segment Algorithm Name / Version (algorithm type is always AUTOMATIC).
    public var algorithmName: String
    public var algorithmVersion: String
    public var seriesDescription = "Segmentation"
    public var seriesNumber = 300
    public var instanceNumber = 1
    /// Content Label (CS: upper case, digits, space, underscore; at most 16 characters).
    public var contentLabel = "SEGMENTATION"
    public var contentDescription = "SegStation segmentation"
    public var contentCreator = "SegStation^"

    public init(softwareVersion: String, algorithmName: String, algorithmVersion: String) {
        self.softwareVersion = softwareVersion; self.algorithmName = algorithmName; self.algorithmVersion = algorithmVersion
    }
}

/// What was written.
public struct SEGWriteResult: Sendable, Equatable {
    public var seriesInstanceUID: String
    public var sopInstanceUID: String
    /// Frames in the file (non-empty segment planes; one empty frame when every mask is empty).
    public var frameCount: Int
    /// Segment number in the file for each label value.
    public var segmentNumbers: [UInt8: UInt16]
}

/// Writes DICOM Segmentation objects over a source series with DCMTK's dcmseg (see docs/DICOM-SEG.md).
public struct SEGWriter: Sendable {
    public var options: SEGWriteOptions
    public init(options: SEGWriteOptions) { self.options = options }

    /// A BINARY SEG from a label map: one segment per label value present in `labelMap` or described in
    /// `segments` (missing descriptions get `SegmentDescription.placeholder`). A map on another grid is
    /// resampled (nearest) onto the source frames; voxels outside it are background.
    @discardableResult
    public func write(labelMap: LabelMap, segments: [SegmentDescription] = [], over source: SEGSourceSeries, to url: URL) throws -> SEGWriteResult {
        try Self.checkGrid(labelMap.geometry, over: source)
        let values = source.sampled(labelMap, interpolation: .nearest, outside: 0)
        let planeSize = source.rows * source.columns
        // presentInSlice[k * 256 + v]: label v occurs on frame k (one pass, so empty frames cost nothing).
        var presentInSlice = [Bool](repeating: false, count: source.frames.count * 256)
        for k in source.frames.indices {
            for p in (k * planeSize)..<((k + 1) * planeSize) where values[p] != 0 { presentInSlice[k * 256 + Int(values[p])] = true }
        }
        let present = Set((0..<presentInSlice.count).filter { presentInSlice[$0] }.map { $0 % 256 })
        let described = try describe(present: present, segments: segments)
        return try values.withUnsafeBufferPointer { src in
            let frames = FrameSource(isPresent: { index, k in presentInSlice[k * 256 + Int(described[index].labelValue)] },
                                     pixels: { index, k, _ in   // packed by the bridge straight from the label map
                                         .labelPlane(src.baseAddress! + k * planeSize, label: UInt8(described[index].labelValue))
                                     })
            return try write(segments: described, fractional: false, over: source, to: url, frames: frames)
        }
    }

    /// A BINARY SEG from binary masks (nonzero = inside), one segment each, in the order given; masks may overlap.
    @discardableResult
    public func write(masks: [(segment: SegmentDescription, mask: Volume<UInt8>)], over source: SEGSourceSeries, to url: URL) throws -> SEGWriteResult {
        for m in masks { try Self.checkGrid(m.mask.geometry, over: source) }
        let planes = masks.map { source.sampled($0.mask, interpolation: .nearest, outside: 0) }
        let planeSize = source.rows * source.columns, sliceCount = source.frames.count
        let present = Self.presence(planes, source: source) { $0 != 0 }
        let frames = FrameSource(isPresent: { index, k in present[index * sliceCount + k] },
                                 pixels: { index, k, buffer in   // nonzero = set
                                     planes[index].withUnsafeBufferPointer { src in
                                         buffer.update(from: src.baseAddress! + k * planeSize, count: planeSize)
                                     }
                                     return .inBuffer
                                 })
        return try write(segments: masks.map(\.segment), fractional: false, over: source, to: url, frames: frames)
    }

    /// A FRACTIONAL (PROBABILITY) SEG from probability maps in 0...1, one segment each: stored as
    /// `round(p * 255)` (values outside 0...1 are clamped, NaN is 0); resampled linearly onto the frames.
    @discardableResult
    public func write(probabilities: [(segment: SegmentDescription, probability: Volume<Float>)], over source: SEGSourceSeries, to url: URL) throws -> SEGWriteResult {
        for p in probabilities { try Self.checkGrid(p.probability.geometry, over: source) }
        let planes = probabilities.map { source.sampled($0.probability, interpolation: .linear, outside: 0) }
        let planeSize = source.rows * source.columns, sliceCount = source.frames.count
        let present = Self.presence(planes, source: source) { Self.quantize($0) != 0 }
        let frames = FrameSource(isPresent: { index, k in present[index * sliceCount + k] },
                                 pixels: { index, k, buffer in
                                     planes[index].withUnsafeBufferPointer { src in
                                         for p in 0..<planeSize { buffer[p] = Self.quantize(src[k * planeSize + p]) }
                                     }
                                     return .inBuffer
                                 })
        return try write(segments: probabilities.map(\.segment), fractional: true, over: source, to: url, frames: frames)
    }

    /// `present[segment * frames + k]`: segment `segment`'s plane holds a set voxel (`isSet`) on source frame `k`
    /// (frames with nothing set are not written).
    static func presence<Voxel>(_ planes: [[Voxel]], source: SEGSourceSeries, isSet: (Voxel) -> Bool) -> [Bool] {
        let planeSize = source.rows * source.columns
        return planes.flatMap { plane in
            source.frames.indices.map { k in plane[(k * planeSize)..<((k + 1) * planeSize)].contains(where: isSet) }
        }
    }

    /// A source without patient geometry takes masks voxel for voxel: they must have its size.
    static func checkGrid(_ g: VolumeGeometry, over source: SEGSourceSeries) throws {
        let size = SIMD3(source.columns, source.rows, source.frames.count)
        guard source.hasPatientGeometry || g.size == size else {
            throw DICOMError.invalidArgument("the source has no patient geometry, so a mask is taken voxel for voxel and must be " +
                                           "\(size.x)x\(size.y)x\(size.z) (columns x rows x frames); it is \(g.size.x)x\(g.size.y)x\(g.size.z)")
        }
    }

    /// `round(p * 255)` clamped to 0...255; NaN -> 0.
    public static func quantize(_ p: Float) -> UInt8 {
        guard p.isFinite else { return p == .infinity ? 255 : 0 }
        return UInt8(max(0, min(255, (p * 255).rounded())))
    }

    private func describe(present: Set<Int>, segments: [SegmentDescription]) throws -> [SegmentDescription] {
        var byLabel = [Int: SegmentDescription]()
        for s in segments {
            guard s.labelValue != 0 else { throw DICOMError.invalidArgument("segment '\(s.label)' has label value 0 (background)") }
            guard byLabel[s.labelValue] == nil else { throw DICOMError.invalidArgument("label value \(s.labelValue) is described twice") }
            byLabel[s.labelValue] = s
        }
        for v in present where byLabel[v] == nil { byLabel[v] = .placeholder(for: v) }
        return byLabel.keys.sorted().map { byLabel[$0]! }
    }
}
