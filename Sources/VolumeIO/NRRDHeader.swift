import Foundation
import Imaging
import Core

/// The header of a NRRD file (teem's format, as 3D Slicer writes it), parsed and checked.
///
/// Supported: NRRD0001-0005 magic; `type` (all int8...int64, float, double spellings); `dimension`
/// 3, or 4 with one non-spatial axis (`space directions` entry `none`, e.g. a `list` or `time` axis);
/// `encoding` raw, gzip/gz, ascii/text/txt; `endian`; `space` LPS/RAS/LAS (full names or
/// abbreviations); `space directions`, `space origin`, or `spacings` alone (identity directions);
/// `byte skip`, `line skip`; detached data via `data file` (one file). Unknown fields and `key:=value`
/// pairs are kept in `keyValues`/`otherFields` and otherwise ignored.
public struct NRRDHeader: Sendable, Equatable {
    public enum Encoding: String, Sendable { case raw, gzip, ascii }
    /// Patient frame of `space directions`/`space origin`.
    public enum Space: String, Sendable { case lps, ras, las }

    public var version: Int
    /// The voxel type, as the NIfTI code of the same type (int8 ... float64).
    public var type: NIfTIDatatype
    public var typeName: String
    public var dimension: Int
    public var sizes: [Int]
    public var encoding: Encoding
    /// True for big-endian data (only meaningful for multi-byte raw/gzip data).
    public var isBigEndian: Bool
    public var space: Space?
    /// One entry per axis; nil for a non-spatial axis (`none`).
    public var spaceDirections: [Vector3?]
    public var spaceOrigin: Vector3?
    /// `spacings`, used only when there are no space directions.
    public var spacings: [Double]?
    public var kinds: [String]
    public var byteSkip: Int
    public var lineSkip: Int
    /// The detached data file (resolved against the header's folder), or nil when attached.
    public var dataFile: String?
    public var keyValues: [String: String]
    public var otherFields: [String: String]
    /// Byte offset of the data in an attached-header file (just after the blank line).
    public var headerLength: Int

    /// The three spatial axes (indices into `sizes`) and the non-spatial one, if any.
    public var spatialAxes: [Int] {
        spaceDirections.isEmpty ? Array(0..<min(3, dimension)) : (0..<dimension).filter { spaceDirections[$0] != nil }
    }
    public var nonSpatialAxis: Int? { (0..<dimension).first { !spatialAxes.contains($0) } }
    public var volumeCount: Int { nonSpatialAxis.map { sizes[$0] } ?? 1 }

    /// The index -> LPS geometry of the spatial axes.
    public func geometry(file: String) throws -> VolumeGeometry {
        let axes = spatialAxes
        let size = SIMD3(sizes[axes[0]], sizes[axes[1]], sizes[axes[2]])
        var columns: [Vector3]
        if spaceDirections.isEmpty {
            let s = spacings ?? [1, 1, 1]
            columns = (0..<3).map { a in var v = Vector3.zero; v[a] = s[axes[a]].isFinite ? s[axes[a]] : 1; return v }
        } else {
            columns = axes.map { spaceDirections[$0]! }
        }
        var origin = spaceOrigin ?? .zero
        let flip: Vector3
        switch space {
        case .ras: flip = Vector3(-1, -1, 1)
        case .las: flip = Vector3(-1, 1, 1)
        case .lps, nil: flip = Vector3(1, 1, 1)
        }
        columns = columns.map { $0 * flip }
        origin *= flip
        let affine = (0..<3).map { r in [columns[0][r], columns[1][r], columns[2][r], origin[r]] }
        do {
            let g = try VolumeGeometry(size: size, affineLPS: affine)
            try g.validate(maxVoxels: NIfTIFile.maxVoxelsPerVolume)
            return g
        } catch {
            throw VolumeIOError(.invalidHeader, file: file, field: "space directions", expected: "three independent non-zero vectors",
                                found: "\(error)")
        }
    }
}

extension NRRDHeader {
    /// Parses the header text (lines after the magic, up to the blank line or end).
    static func parse(magic: String, lines: [String], headerLength: Int, file: String) throws -> NRRDHeader {
        func fail(_ field: String, _ expected: String, _ found: String) -> VolumeIOError {
            VolumeIOError(.invalidHeader, file: file, field: field, expected: expected, found: found)
        }
        guard magic.hasPrefix("NRRD000"), let version = Int(magic.dropFirst(7)), (1...5).contains(version) else {
            throw fail("magic", "NRRD0001...NRRD0005", String(magic.prefix(16)).debugDescription)
        }
        var fields = [String: String]()
        var keyValues = [String: String]()
        for line in lines {
            if line.hasPrefix("#") || line.isEmpty { continue }
            if let r = line.range(of: ":=") {
                keyValues[String(line[..<r.lowerBound])] = String(line[r.upperBound...])
                continue
            }
            guard let r = line.range(of: ": ") else { throw fail("header line", "'field: value'", line.debugDescription) }
            fields[line[..<r.lowerBound].lowercased()] = line[r.upperBound...].trimmingCharacters(in: .whitespaces)
        }
        func take(_ name: String) -> String? { fields.removeValue(forKey: name) }

        guard let typeText = take("type") else { throw fail("type", "a voxel type", "no 'type' field") }
        guard let type = nrrdTypes[typeText.lowercased()] else {
            throw VolumeIOError(.unsupported, file: file, field: "type", expected: "int8...int64, uint8...uint64, float, double", found: typeText)
        }
        guard let dimText = take("dimension"), let dimension = Int(dimText) else {
            throw fail("dimension", "an integer", fields["dimension"] ?? "none")
        }
        guard dimension == 3 || dimension == 4 else {
            throw VolumeIOError(.unsupported, file: file, field: "dimension", expected: "3, or 4 with one non-spatial axis", found: dimText)
        }
        let sizeWords = (take("sizes") ?? "").split(separator: " ")
        let sizes = sizeWords.compactMap { Int($0) }
        guard sizes.count == dimension, sizeWords.count == dimension else {
            throw fail("sizes", "\(dimension) integers", sizeWords.joined(separator: " "))
        }
        for (axis, s) in sizes.enumerated() where s < 1 {
            throw fail("sizes[\(axis)]", "at least 1", "\(s)")
        }
        let encodingText = (take("encoding") ?? "").lowercased()
        let encoding: Encoding
        switch encodingText {
        case "raw": encoding = .raw
        case "gzip", "gz": encoding = .gzip
        case "ascii", "text", "txt": encoding = .ascii
        case "": throw fail("encoding", "raw, gzip or ascii", "no 'encoding' field")
        default: throw VolumeIOError(.unsupported, file: file, field: "encoding", expected: "raw, gzip or ascii", found: encodingText)
        }
        let endianText = take("endian")?.lowercased()
        guard endianText == nil || endianText == "little" || endianText == "big" else {
            throw fail("endian", "little or big", endianText!)
        }
        if type.bytesPerVoxel > 1, encoding != .ascii, endianText == nil {
            throw fail("endian", "little or big for \(type.bytesPerVoxel)-byte voxels", "no 'endian' field")
        }
        var space: Space?
        if let s = take("space") {
            switch s.lowercased() {
            case "left-posterior-superior", "lps": space = .lps
            case "right-anterior-superior", "ras": space = .ras
            case "left-anterior-superior", "las": space = .las
            default: throw VolumeIOError(.unsupported, file: file, field: "space", expected: "LPS, RAS or LAS", found: s)
            }
        } else if let d = take("space dimension"), d != "3" {
            throw VolumeIOError(.unsupported, file: file, field: "space dimension", expected: "3", found: d)
        }
        var directions = [Vector3?]()
        if let text = take("space directions") {
            let words = text.split(separator: " ", omittingEmptySubsequences: true)
            guard words.count == dimension else { throw fail("space directions", "\(dimension) entries", text) }
            for word in words {
                if word == "none" { directions.append(nil); continue }
                guard let v = parseVector(String(word)) else { throw fail("space directions", "vectors '(x,y,z)' or none", text) }
                directions.append(v)
            }
            let spatial = directions.compactMap { $0 }.count
            guard spatial == 3 else { throw fail("space directions", "exactly 3 spatial axes", "\(spatial) in '\(text)'") }
        }
        var origin: Vector3?
        if let text = take("space origin") {
            guard let v = parseVector(text) else { throw fail("space origin", "a vector '(x,y,z)'", text) }
            origin = v
        }
        var spacings: [Double]?
        if let text = take("spacings") {
            let values = text.split(separator: " ").map { Double($0) ?? .nan }
            guard values.count == dimension else { throw fail("spacings", "\(dimension) numbers", text) }
            spacings = values
        }
        if directions.isEmpty, dimension != 3 {
            throw VolumeIOError(.unsupported, file: file, field: "space directions", expected: "present for a 4D NRRD", found: "none")
        }
        let kinds = (take("kinds") ?? "").split(separator: " ").map(String.init)
        let byteSkip = Int(take("byte skip") ?? take("byteskip") ?? "0")
        guard let byteSkip, byteSkip >= -1 else { throw fail("byte skip", "an integer >= -1", "\(fields["byte skip"] ?? "")") }
        if byteSkip == -1, encoding != .raw { throw fail("byte skip", "-1 only with raw encoding", "-1 with \(encoding)") }
        let lineSkip = Int(take("line skip") ?? take("lineskip") ?? "0")
        guard let lineSkip, lineSkip >= 0 else { throw fail("line skip", "a non-negative integer", "\(fields["line skip"] ?? "")") }
        var dataFile: String?
        if let d = take("data file") ?? take("datafile") {
            guard !d.contains(" "), d != "LIST" else {
                throw VolumeIOError(.unsupported, file: file, field: "data file", expected: "one file name", found: d)
            }
            // Confined to the header's folder: absolute paths, '..' and symlinks out are refused (issue 11 point 11).
            dataFile = try ConfinedPath.resolve(d, inside: URL(fileURLWithPath: file).deletingLastPathComponent(),
                                                field: "data file", file: file).path
        }
        return NRRDHeader(version: version, type: type, typeName: typeText, dimension: dimension, sizes: sizes, encoding: encoding,
                          isBigEndian: endianText == "big", space: space, spaceDirections: directions, spaceOrigin: origin,
                          spacings: spacings, kinds: kinds, byteSkip: byteSkip, lineSkip: lineSkip, dataFile: dataFile,
                          keyValues: keyValues, otherFields: fields, headerLength: headerLength)
    }

    /// "(x,y,z)" -> vector, nil when malformed or not finite.
    static func parseVector(_ text: String) -> Vector3? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("("), t.hasSuffix(")") else { return nil }
        let parts = t.dropFirst().dropLast().split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, let x = parts[0], let y = parts[1], let z = parts[2], x.isFinite, y.isFinite, z.isFinite else { return nil }
        return Vector3(x, y, z)
    }

    static let nrrdTypes: [String: NIfTIDatatype] = {
        var t = [String: NIfTIDatatype]()
        for n in ["signed char", "int8", "int8_t"] { t[n] = .int8 }
        for n in ["uchar", "unsigned char", "uint8", "uint8_t"] { t[n] = .uint8 }
        for n in ["short", "short int", "signed short", "signed short int", "int16", "int16_t"] { t[n] = .int16 }
        for n in ["ushort", "unsigned short", "unsigned short int", "uint16", "uint16_t"] { t[n] = .uint16 }
        for n in ["int", "signed int", "int32", "int32_t"] { t[n] = .int32 }
        for n in ["uint", "unsigned int", "uint32", "uint32_t"] { t[n] = .uint32 }
        for n in ["longlong", "long long", "long long int", "signed long long", "signed long long int", "int64", "int64_t"] { t[n] = .int64 }
        for n in ["ulonglong", "unsigned long long", "unsigned long long int", "uint64", "uint64_t"] { t[n] = .uint64 }
        t["float"] = .float32
        t["double"] = .float64
        return t
    }()
}
