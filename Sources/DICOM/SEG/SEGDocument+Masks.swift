import Foundation
import Imaging

extension SEGDocument {
    /// Where a SEG frame lies on the source: slice `k` and an in-plane shift (the SEG frame's pixel
    /// (0, 0) is source pixel (column `di`, row `dj`); 0 for SEGs written on the full source grid).
    public struct Placement: Sendable, Equatable {
        public var slice: Int
        public var di: Int
        public var dj: Int
    }

    /// The slice of every frame. A frame's Source Image reference decides (instance, and frame for an
    /// enhanced source); without one, its plane position is matched along the slice normal (to 0.05 mm).
    /// - Throws: `.badInput` when the SEG names another series and frame of reference than `source`;
    ///   `.unknownReferencedInstance` for a reference outside `source`; `.badInput` for a frame
    ///   with neither reference nor position or a position on no source slice; `.unsupported` when the
    ///   SEG's planes are not the source's (orientation, pixel spacing, fractional pixel shift).
    public func placements(on source: SEGSourceSeries) throws -> [Placement] {
        if !referencedSeriesInstanceUID.isEmpty, referencedSeriesInstanceUID != source.seriesInstanceUID,
           frameOfReferenceUID != source.frameOfReferenceUID {
            throw DICOMError.badInput(file: path, detail: "the SEG refers to series \(referencedSeriesInstanceUID) (frame of reference \(frameOfReferenceUID)); " +
                                    "the source is series \(source.seriesInstanceUID) (frame of reference \(source.frameOfReferenceUID))")
        }
        if let r = rowDirectionLPS, let c = columnDirectionLPS,
           norm(r - source.rowDirectionLPS) > 1e-3 || norm(c - source.columnDirectionLPS) > 1e-3 {
            throw DICOMError.unsupported(file: path, reason: "plane orientation \(r), \(c) differs from the source's \(source.rowDirectionLPS), \(source.columnDirectionLPS)")
        }
        if let s = pixelSpacingMM, abs(s.i - source.pixelSpacingMM.i) > 1e-3 * source.pixelSpacingMM.i || abs(s.j - source.pixelSpacingMM.j) > 1e-3 * source.pixelSpacingMM.j {
            throw DICOMError.unsupported(file: path, reason: "pixel spacing \(s) mm differs from the source's \(source.pixelSpacingMM) mm")
        }
        let normal = source.normalLPS
        let depths = source.frames.map { dot($0.positionLPS, normal) }
        return try frames.enumerated().map { index, frame in
            var slice: Int?
            if let uid = frame.referencedSOPInstanceUID {
                let candidates = source.frames.indices.filter { source.frames[$0].sopInstanceUID == uid }
                if candidates.isEmpty { throw DICOMError.unknownReferencedInstance(file: path, frame: index + 1, sopInstanceUID: uid) }
                if candidates.count == 1 { slice = candidates[0] }
                else if let n = frame.referencedFrameNumber {
                    guard let k = candidates.first(where: { source.frames[$0].frameNumber == n }) else {
                        throw DICOMError.unknownReferencedInstance(file: path, frame: index + 1, sopInstanceUID: "\(uid) frame \(n)")
                    }
                    slice = k
                }
            }
            if slice == nil {
                guard let p = frame.positionLPS else {
                    throw DICOMError.badInput(file: path, detail: "frame \(index + 1) has neither a Plane Position nor a Source Image reference")
                }
                let depth = dot(p, normal)
                guard let k = depths.indices.min(by: { abs(depths[$0] - depth) < abs(depths[$1] - depth) }), abs(depths[k] - depth) < 0.05 else {
                    throw DICOMError.badInput(file: path, detail: "frame \(index + 1) at \(p) lies on no source slice")
                }
                slice = k
            }
            let k = slice!
            var di = 0, dj = 0
            if let p = frame.positionLPS {
                let delta = p - source.frames[k].positionLPS
                let fi = dot(delta, source.rowDirectionLPS) / source.pixelSpacingMM.i
                let fj = dot(delta, source.columnDirectionLPS) / source.pixelSpacingMM.j
                guard abs(fi - fi.rounded()) < 0.01, abs(fj - fj.rounded()) < 0.01 else {
                    throw DICOMError.unsupported(file: path, reason: "frame \(index + 1) is shifted by (\(fi), \(fj)) pixels from the source slice; expected whole pixels")
                }
                di = Int(fi.rounded()); dj = Int(fj.rounded())
            }
            return Placement(slice: k, di: di, dj: dj)
        }
    }

    /// Per-segment values on the source grid (`source.geometry`): BINARY 0/1, FRACTIONAL raw values
    /// (0...maxValue), LABELMAP 0/1 per segment number. Segments without frames get empty volumes;
    /// segment number 0 (a LABELMAP "background" segment) is left out.
    public func segmentValues(on source: SEGSourceSeries) throws -> [Int: [UInt16]] {
        let placements = try placements(on: source)
        let planeSize = source.rows * source.columns
        var out = [Int: [UInt16]]()
        for s in segments where s.labelValue > 0 { out[s.labelValue] = [UInt16](repeating: 0, count: source.frames.count * planeSize) }
        for (index, place) in placements.enumerated() {
            let pixels = try self.pixels(ofFrame: index)
            for j in 0..<rows {
                let sj = j + place.dj
                guard sj >= 0 && sj < source.rows else { continue }
                for i in 0..<columns {
                    let si = i + place.di
                    guard si >= 0 && si < source.columns else { continue }
                    let value = pixels[j * columns + i]
                    guard value != 0 else { continue }
                    let target = place.slice * planeSize + sj * source.columns + si
                    if let number = frames[index].segmentNumber {
                        guard out[number] != nil else {
                            throw DICOMError.badInput(file: path, detail: "frame \(index + 1) refers to segment \(number), which the Segment Sequence does not define")
                        }
                        out[number]![target] = value
                    } else if out[Int(value)] != nil {
                        out[Int(value)]![target] = 1
                    }
                }
            }
        }
        return out
    }

    /// One binary mask per segment number on `source.geometry` (FRACTIONAL: value > maxValue / 2).
    public func segmentMasks(on source: SEGSourceSeries) throws -> [Int: Volume<UInt8>] {
        let threshold: UInt16
        if case .fractional(let maxValue) = kind { threshold = UInt16(maxValue / 2) } else { threshold = 0 }
        return try segmentValues(on: source).mapValues { values in
            Volume(geometry: source.geometry, voxels: values.map { $0 > threshold ? 1 : 0 })
        }
    }

    /// Fractions 0...1 per segment on `source.geometry` (BINARY and LABELMAP give 0 or 1).
    public func segmentFractions(on source: SEGSourceSeries) throws -> [Int: Volume<Float>] {
        var scale: Float = 1
        if case .fractional(let maxValue) = kind { scale = 1 / Float(max(maxValue, 1)) }
        return try segmentValues(on: source).mapValues { values in
            Volume(geometry: source.geometry, voxels: values.map { Float($0) * scale })
        }
    }

    /// A label map of segment numbers on `source.geometry`; where segments overlap the highest number wins.
    /// - Throws: `.unsupported` when a segment number exceeds 255.
    public func labelMap(on source: SEGSourceSeries) throws -> LabelMap {
        if let big = segments.first(where: { $0.labelValue > 255 }) {
            throw DICOMError.unsupported(file: path, reason: "segment number \(big.labelValue) does not fit a label map (1...255)")
        }
        var voxels = [UInt8](repeating: 0, count: source.frames.count * source.rows * source.columns)
        for (number, mask) in try segmentMasks(on: source).sorted(by: { $0.key < $1.key }) {
            for p in voxels.indices where mask.voxels[p] != 0 { voxels[p] = UInt8(number) }
        }
        return Volume(geometry: source.geometry, voxels: voxels)
    }
}
