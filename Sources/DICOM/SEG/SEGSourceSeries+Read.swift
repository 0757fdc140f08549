internal import CDCMTKBridge
import Foundation
import Imaging

extension SEGSourceSeries {
    /// Reads the source series from a folder (searched recursively; non-DICOM files are skipped) or from
    /// one file (e.g. an enhanced multi-frame instance). Only headers are read.
    ///
    /// - Parameter seriesInstanceUID: the series to take when the folder holds several; without it, a
    ///   folder with more than one image series is an error.
    /// - Throws: `SEGError.notFound` (no path / no image), `.badInput` (inconsistent frame size,
    ///   orientation, spacing, missing positions, duplicate frames), `.invalidArgument` (several series).
    public static func read(_ url: URL, seriesInstanceUID: String? = nil) throws -> SEGSourceSeries {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw SEGError.notFound("\(url.path) does not exist")
        }
        let paths = isDirectory.boolValue ? try filesUnder(url) : [url.path]
        var bySeries = [String: [SourceFile]]()
        for path in paths {
            var raw = ssseg_source_file()
            var error = ssseg_error()
            let status = ssseg_source_file_read(path, &raw, &error)
            defer { ssseg_source_file_free(&raw) }
            if status == Int32(SSSEG_NOT_DICOM.rawValue) && isDirectory.boolValue { continue }
            guard status == 0 else { throw SEGError.bridge(status, error, file: path) }
            let file = SourceFile(raw, path: path)
            if file.sopClassUID == "1.2.840.10008.5.1.4.1.1.66.4" { continue }   // a SEG beside its source
            bySeries[file.seriesUID, default: []].append(file)
        }
        guard !bySeries.isEmpty else { throw SEGError.notFound("\(url.path) holds no DICOM image") }
        let files: [SourceFile]
        if let wanted = seriesInstanceUID {
            guard let found = bySeries[wanted] else { throw SEGError.notFound("\(url.path) has no series \(wanted)") }
            files = found
        } else {
            guard bySeries.count == 1, let only = bySeries.values.first else {
                throw SEGError.invalidArgument("\(url.path) holds \(bySeries.count) series (\(bySeries.keys.sorted().joined(separator: ", "))); name one")
            }
            files = only
        }
        return try assemble(files, origin: url.path)
    }

    private static func filesUnder(_ folder: URL) throws -> [String] {
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else {
            throw SEGError.notFound("\(folder.path) cannot be listed")
        }
        var paths = [String]()
        for case let file as URL in walker {
            if (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { paths.append(file.path) }
        }
        return paths.sorted()
    }

    /// One file's header, converted from the bridge struct.
    struct SourceFile {
        var rows, columns: Int
        var spacing: SIMD2<Double>?
        var thickness: Double
        var studyUID, seriesUID, forUID, sopClassUID: String
        var lossy: (String, String)?
        var frames: [(frame: Frame, orientation: [Double]?)]

        init(_ raw: ssseg_source_file, path: String) {
            rows = Int(raw.rows); columns = Int(raw.columns)
            let ps = cDoubles(raw.pixel_spacing, count: 2)
            spacing = raw.has_pixel_spacing != 0 ? SIMD2(ps[1], ps[0]) : nil   // DICOM: row spacing first
            thickness = raw.slice_thickness
            studyUID = cString(raw.study_uid); seriesUID = cString(raw.series_uid)
            forUID = cString(raw.for_uid); sopClassUID = cString(raw.sop_class_uid)
            lossy = raw.lossy != 0 ? (cString(raw.lossy_ratio), cString(raw.lossy_method)) : nil
            frames = (0..<Int(raw.frame_count)).map { f in
                let fr = raw.frames[f]
                let p = cDoubles(fr.position, count: 3)
                let frame = Frame(sopClassUID: cString(fr.sop_class_uid), sopInstanceUID: cString(fr.sop_instance_uid),
                                  frameNumber: fr.frame_number > 0 ? Int(fr.frame_number) : nil,
                                  positionLPS: fr.has_position != 0 ? Vector3(p[0], p[1], p[2]) : Vector3(.nan, .nan, .nan),
                                  path: path)
                return (frame, fr.has_orientation != 0 ? cDoubles(fr.orientation, count: 6) : nil)
            }
        }
    }

    /// Checks consistency and sorts the frames along the slice normal.
    static func assemble(_ files: [SourceFile], origin: String) throws -> SEGSourceSeries {
        let first = files[0]
        if files.count == 1, first.spacing == nil, first.frames.allSatisfy({ !$0.frame.positionLPS.x.isFinite && $0.orientation == nil }) {
            return withoutPatientGeometry(first)
        }
        guard let orientation = first.frames.first?.orientation else {
            throw SEGError.badInput(file: first.frames.first?.frame.path ?? origin, detail: "Image Orientation (Patient) is missing")
        }
        guard let spacing = first.spacing, spacing.x > 0, spacing.y > 0 else {
            throw SEGError.badInput(file: first.frames.first?.frame.path ?? origin, detail: "Pixel Spacing is missing or not positive")
        }
        var frames = [Frame]()
        for file in files {
            guard file.rows == first.rows, file.columns == first.columns else {
                throw SEGError.badInput(file: file.frames.first?.frame.path ?? origin,
                                        detail: "\(file.rows)x\(file.columns) pixels; the series has \(first.rows)x\(first.columns)")
            }
            for (frame, o) in file.frames {
                guard frame.positionLPS.x.isFinite else {
                    throw SEGError.badInput(file: frame.path, detail: "frame \(frame.frameNumber ?? 1): Image Position (Patient) is missing")
                }
                guard let o, zip(o, orientation).allSatisfy({ abs($0 - $1) < 1e-4 }) else {
                    throw SEGError.unsupported(file: frame.path, detail: "frame \(frame.frameNumber ?? 1): orientation differs from the series' \(orientation)")
                }
                frames.append(frame)
            }
        }
        let row = Vector3(orientation[0], orientation[1], orientation[2])
        let column = Vector3(orientation[3], orientation[4], orientation[5])
        let normal = cross(row, column)
        guard norm(normal) > 0.5 else { throw SEGError.badInput(file: origin, detail: "Image Orientation (Patient) \(orientation) is degenerate") }
        frames.sort { dot($0.positionLPS, normal) < dot($1.positionLPS, normal) }
        for k in frames.indices.dropFirst() where abs(dot(frames[k].positionLPS - frames[k - 1].positionLPS, normal)) < 1e-4 {
            throw SEGError.badInput(file: frames[k].path, detail: "two frames share position \(frames[k].positionLPS) (\(frames[k - 1].path)); expected one frame per position")
        }
        // Badly anonymised sources may have empty study/series/frame-of-reference UIDs; SEG and SR need
        // them, so they get UIDs derived from the source's SOP instance UIDs (the same on every export).
        let identity = frames.map(\.sopInstanceUID).joined(separator: "\\")
        func orDerived(_ uid: String, _ role: String) -> String { uid.isEmpty ? derivedUID(identity + "|" + role) : uid }
        return SEGSourceSeries(frames: frames, rows: first.rows, columns: first.columns,
                               rowDirectionLPS: row / norm(row), columnDirectionLPS: column / norm(column),
                               pixelSpacingMM: spacing, sliceThicknessMM: first.thickness > 0 ? first.thickness : nil,
                               studyInstanceUID: orDerived(first.studyUID, "study"), seriesInstanceUID: orDerived(first.seriesUID, "series"),
                               frameOfReferenceUID: orDerived(first.forUID, "for"), lossyRatio: first.lossy?.0, lossyMethod: first.lossy?.1)
    }

    /// One instance without any patient geometry: frames in frame-number order on the index grid.
    private static func withoutPatientGeometry(_ file: SourceFile) -> SEGSourceSeries {
        let frames = file.frames.enumerated().map { k, f in
            Frame(sopClassUID: f.frame.sopClassUID, sopInstanceUID: f.frame.sopInstanceUID, frameNumber: f.frame.frameNumber,
                  positionLPS: Vector3(0, 0, Double(k)), path: f.frame.path)
        }
        let identity = frames.map(\.sopInstanceUID).joined(separator: "\\")
        func orDerived(_ uid: String, _ role: String) -> String { uid.isEmpty ? derivedUID(identity + "|" + role) : uid }
        return SEGSourceSeries(frames: frames, rows: file.rows, columns: file.columns, rowDirectionLPS: Vector3(1, 0, 0),
                               columnDirectionLPS: Vector3(0, 1, 0), pixelSpacingMM: SIMD2(1, 1), sliceThicknessMM: nil,
                               studyInstanceUID: orDerived(file.studyUID, "study"), seriesInstanceUID: orDerived(file.seriesUID, "series"),
                               frameOfReferenceUID: orDerived(file.forUID, "for"), lossyRatio: file.lossy?.0, lossyMethod: file.lossy?.1,
                               hasPatientGeometry: false)
    }

    /// A "2.25." UID (decimal integer below 10^36) from two FNV-1a 64-bit hashes of `text`.
    static func derivedUID(_ text: String) -> String {
        func fnv(_ seed: UInt64) -> UInt64 {
            var h: UInt64 = 0xcbf29ce484222325 ^ seed
            for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
            return h
        }
        let high = fnv(1) % 1_000_000_000_000_000_000, low = fnv(2) % 1_000_000_000_000_000_000
        let lowDigits = String(low)
        return "2.25.\(high == 0 ? "" : String(high) + String(repeating: "0", count: 18 - lowDigits.count))\(lowDigits)"
    }
}
