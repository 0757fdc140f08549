import Core
internal import CDCMTKBridge
import Foundation
import Imaging

extension SEGWriter {
    /// Where the pixels of one frame are.
    enum FramePixels {
        /// In the caller's `buffer` (BINARY: nonzero = set; FRACTIONAL: the stored values).
        case inBuffer
        /// BINARY only: set where `plane[p] == label` (rows * columns values, valid until `write` returns);
        /// the bridge packs it straight from the label map.
        case labelPlane(UnsafePointer<UInt8>, label: UInt8)
    }

    /// The frames of segment `index` on source frame `k`.
    struct FrameSource {
        /// Whether the frame has any pixel set (FRACTIONAL: any nonzero value); empty frames are omitted.
        var isPresent: (_ index: Int, _ k: Int) -> Bool
        /// The pixels of a present frame: fills `buffer` (rows * columns) or points at a label plane.
        var pixels: (_ index: Int, _ k: Int, _ buffer: UnsafeMutablePointer<UInt8>) -> FramePixels
    }

    /// Builds the SEG with dcmseg: segments in the given order, frames segment by segment in slice order.
    func write(segments: [SegmentDescription], fractional: Bool, over source: SEGSourceSeries, to url: URL,
               frames: FrameSource) throws -> SEGWriteResult {
        guard !segments.isEmpty else { throw DICOMError.invalidArgument("no segment to write") }
        guard segments.count <= 65535 else { throw DICOMError.invalidArgument("\(segments.count) segments; at most 65535") }
        guard !source.frames.isEmpty else { throw DICOMError.invalidArgument("the source series has no frames") }
        _ = DCMTKLog.routed
        for s in segments {
            if let violation = s.vrViolation { throw DICOMError.badInput(file: "segment \(s.labelValue) \"\(s.label.prefix(40))\"", detail: violation) }
            guard (1...255).contains(s.labelValue) else {
                throw DICOMError.invalidArgument("segment '\(s.label)' has label value \(s.labelValue); expected 1...255")
            }
            if let type = s.algorithmType, type != .automatic {
                throw DICOMError.invalidArgument("segment '\(s.label)' says algorithm type \(type.rawValue); SEGWriter writes automatic segmentations only")
            }
        }
        var error = ssdcm_status()
        let o = options
        let sourcePath = source.frames[0].path
        let handle: OpaquePointer? = withCStrings([o.manufacturer, o.modelName, o.deviceSerialNumber, o.softwareVersion,
                                                   o.seriesDescription, o.contentLabel, o.contentDescription, o.contentCreator,
                                                   sourcePath, source.lossyRatio ?? "", source.lossyMethod ?? "",
                                                   source.studyInstanceUID, source.frameOfReferenceUID]) { s in
            var spec = ssseg_writer_spec()
            spec.fractional = fractional ? 1 : 0
            spec.max_fractional_value = 255
            spec.rows = Int32(source.rows); spec.columns = Int32(source.columns)
            spec.manufacturer = s[0]; spec.model_name = s[1]; spec.device_serial = s[2]; spec.software_versions = s[3]
            spec.series_description = s[4]; spec.content_label = s[5]; spec.content_description = s[6]; spec.content_creator = s[7]
            spec.series_number = Int32(o.seriesNumber); spec.instance_number = Int32(o.instanceNumber)
            let r = source.rowDirectionLPS, c = source.columnDirectionLPS
            spec.orientation = (r.x, r.y, r.z, c.x, c.y, c.z)
            spec.pixel_spacing = source.pixelSpacingMM.dicomOrder
            spec.slice_thickness = source.sliceThicknessMM ?? 0
            spec.spacing_between_slices = source.evenSliceSpacingMM ?? 0
            spec.source_path = s[8]
            spec.study_uid = s[11]; spec.for_uid = s[12]
            spec.has_geometry = source.hasPatientGeometry ? 1 : 0
            if source.lossyRatio != nil { spec.lossy_ratio = s[9]; spec.lossy_method = s[10] }
            return ssseg_writer_create(&spec, &error)
        }
        guard let writer = handle else { throw DICOMError.bridge(error, file: url.path) }
        defer { ssseg_writer_free(writer) }

        var numbers = [UInt8: UInt16]()
        for segment in segments {
            var number: UInt16 = 0
            let lab = (segment.color ?? .defaultColor(for: segment.labelValue)).dicomLab
            let status = withCStrings([segment.label, segment.description ?? "", segment.category.value, segment.category.scheme,
                                       segment.category.meaning, segment.type.value, segment.type.scheme, segment.type.meaning,
                                       segment.algorithmName ?? o.algorithmName, o.algorithmVersion, segment.trackingID ?? ""]) { s -> Int32 in
                var spec = ssseg_segment_spec()
                spec.label = s[0]; spec.description = s[1]
                spec.category = ssseg_code(code_value: s[2], coding_scheme: s[3], code_meaning: s[4])
                spec.type = ssseg_code(code_value: s[5], coding_scheme: s[6], code_meaning: s[7])
                spec.algorithm_name = s[8]; spec.algorithm_version = s[9]; spec.tracking_id = s[10]
                spec.cielab = (lab[0], lab[1], lab[2])
                return ssseg_writer_add_segment(writer, &spec, &number, &error)
            }
            guard status == 0 else { throw DICOMError.bridge(status, error, file: url.path) }
            numbers[UInt8(segment.labelValue)] = number
        }
        var referenced = Set<String>()
        for f in source.frames where referenced.insert(f.sopInstanceUID).inserted {
            let status = ssseg_writer_add_reference(writer, source.seriesInstanceUID, f.sopClassUID, f.sopInstanceUID, &error)
            guard status == 0 else { throw DICOMError.bridge(status, error, file: url.path) }
        }

        // Frames in file order: segment by segment, in slice order, empty ones omitted. A SEG needs at least
        // one frame: when every mask is empty, segment 1 is written empty on the first source frame.
        let sliceCount = source.frames.count
        var order = [(index: Int, k: Int)]()
        for index in segments.indices {
            for k in 0..<sliceCount where frames.isPresent(index, k) { order.append((index, k)) }
        }
        let allEmpty = order.isEmpty
        if allEmpty { order = [(0, 0)] }
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: source.rows * source.columns)
        defer { buffer.deallocate() }
        buffer.initialize(repeating: 0, count: source.rows * source.columns)

        if !fractional {
            let status = ssseg_writer_reserve_frames(writer, Int32(order.count), &error)
            guard status == 0 else { throw DICOMError.bridge(status, error, file: url.path) }
        }
        for (index, k) in order {   // functional groups (and FRACTIONAL pixels) in frame order
            let f = source.frames[k]
            let p = f.positionLPS
            let segmentNumber = numbers[UInt8(segments[index].labelValue)]!
            let status = withUnsafePointer(to: (p.x, p.y, p.z)) { pp in
                pp.withMemoryRebound(to: Double.self, capacity: 3) { position -> Int32 in
                    guard fractional else {
                        return ssseg_writer_add_frame_groups(writer, segmentNumber, position, UInt32(k + 1), f.sopClassUID,
                                                             f.sopInstanceUID, Int32(f.frameNumber ?? 0), &error)
                    }
                    if !allEmpty, case .labelPlane = frames.pixels(index, k, buffer) {
                        preconditionFailure("FRACTIONAL frames come in the buffer")
                    }
                    return ssseg_writer_add_frame(writer, segmentNumber, buffer, position, UInt32(k + 1), f.sopClassUID,
                                                  f.sopInstanceUID, Int32(f.frameNumber ?? 0), &error)
                }
            }
            guard status == 0 else { throw DICOMError.bridge(status, error, file: url.path) }
        }
        if !fractional {   // BINARY pixels slice by slice: a label plane stays in cache for every segment on it
            var frameIndex = [Int32](repeating: -1, count: segments.count * sliceCount)
            for (n, f) in order.enumerated() { frameIndex[f.index * sliceCount + f.k] = Int32(n) }
            for k in 0..<sliceCount {
                for index in segments.indices where frameIndex[index * sliceCount + k] >= 0 {
                    let n = frameIndex[index * sliceCount + k]
                    var status: Int32
                    if allEmpty {
                        status = ssseg_writer_pack_frame(writer, n, buffer, 0, &error)
                    } else {
                        switch frames.pixels(index, k, buffer) {
                        case .inBuffer: status = ssseg_writer_pack_frame(writer, n, buffer, 0, &error)
                        case .labelPlane(let plane, let label): status = ssseg_writer_pack_frame(writer, n, plane, label, &error)
                        }
                    }
                    guard status == 0 else { throw DICOMError.bridge(status, error, file: url.path) }
                }
            }
        }
        let frameCount = order.count
        var seriesUID = [CChar](repeating: 0, count: 80), instanceUID = [CChar](repeating: 0, count: 80)
        try AtomicFile.write(to: url) { temporary in
            let status = ssseg_writer_save(writer, temporary.path, &seriesUID, &instanceUID, &error)
            guard status == 0 else { throw DICOMError.bridge(status, error, file: url.path) }
        }
        return SEGWriteResult(seriesInstanceUID: String(cBuffer: seriesUID), sopInstanceUID: String(cBuffer: instanceUID),
                              frameCount: frameCount, segmentNumbers: numbers)
    }
}

/// Calls `body` with C strings for `strings` (valid only during the call).
func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>]) throws -> R) rethrows -> R {
    let copies = strings.map { strdup($0)! }
    defer { copies.forEach { free($0) } }
    return try body(copies.map { UnsafePointer($0) })
}
