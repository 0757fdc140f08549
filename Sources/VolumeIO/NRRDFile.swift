internal import CNIfTI
import Foundation
import Imaging

/// One 3D volume read from a NRRD file.
public struct NRRDImage: Sendable {
    /// Values converted to Float (NRRD has no scaling), geometry in LPS.
    public var volume: Volume<Float>
    public var header: NRRDHeader
    public var volumeIndex: Int
    public var volumeCount: Int
}

/// NRRD files (`.nrrd` attached header, `.nhdr` detached header), parsed here in Swift (Debian's
/// teem, `libteem-dev`, has a C reader; this one is checked against pynrrd in NRRDReferenceTests).
/// gzip goes through zlib (in the CNIfTI shim).
public enum NRRDFile {
    /// Reads and checks the header only.
    public static func readHeader(path: String) throws -> NRRDHeader {
        try load(path: path).header
    }

    /// Reads volume `volumeIndex` (along the non-spatial axis of a 4D file; 0 for 3D).
    /// - Throws: `VolumeIOError`: malformed header lines, size mismatches (truncated data), bad gzip.
    public static func read(path: String, volumeIndex: Int = 0) throws -> NRRDImage {
        let (header, fileData) = try load(path: path)
        guard volumeIndex >= 0, volumeIndex < header.volumeCount else {
            throw VolumeIOError(.invalidArgument, file: path, field: "volume index", expected: "0..<\(header.volumeCount)", found: "\(volumeIndex)")
        }
        var total = 1
        for s in header.sizes {
            let (p, overflow) = total.multipliedReportingOverflow(by: s)
            guard !overflow, p <= NIfTIFile.maxVoxelsPerVolume * max(1, header.volumeCount), p / header.volumeCount <= NIfTIFile.maxVoxelsPerVolume else {
                throw VolumeIOError(.invalidHeader, file: path, field: "sizes", expected: "at most \(NIfTIFile.maxVoxelsPerVolume) voxels per volume",
                                    found: header.sizes.map(String.init).joined(separator: " "))
            }
            total = p
        }
        let geometry = try header.geometry(file: path)
        let dataPath = header.dataFile ?? path
        var data: Data
        if let detached = header.dataFile {
            guard FileManager.default.fileExists(atPath: detached) else {
                throw VolumeIOError(.fileNotFound, file: path, field: "data file", expected: detached, found: "no such file")
            }
            data = try readData(detached)
        } else {
            data = fileData.subdata(in: header.headerLength..<fileData.count)
        }
        data = skipLines(header.lineSkip, in: data)
        let all = try decode(header, data: data, count: total, file: dataPath)
        let voxels = extractVolume(all, header: header, index: volumeIndex)
        return NRRDImage(volume: Volume(geometry: geometry, voxels: voxels), header: header, volumeIndex: volumeIndex,
                         volumeCount: header.volumeCount)
    }

    // MARK: - Reading pieces

    static func readData(_ path: String) throws -> Data {
        do { return try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe) } catch {
            throw VolumeIOError(.fileNotFound, file: path, detail: "\(error.localizedDescription)")
        }
    }

    /// The parsed header and the whole header file's bytes.
    static func load(path: String) throws -> (header: NRRDHeader, data: Data) {
        guard FileManager.default.fileExists(atPath: path) else { throw VolumeIOError(.fileNotFound, file: path) }
        let data = try readData(path)
        let bytes = [UInt8](data.prefix(1 << 20))
        guard bytes.count >= 8, String(decoding: bytes[0..<4], as: UTF8.self) == "NRRD" else {
            throw VolumeIOError(.invalidHeader, file: path, field: "magic", expected: "NRRD0001...NRRD0005",
                                found: String(decoding: bytes.prefix(8), as: UTF8.self).debugDescription)
        }
        // The header ends at the first empty line (or at the end of a detached header).
        var end = bytes.count, dataStart = bytes.count, foundBlankLine = false
        var i = 0
        while i < bytes.count {
            if bytes[i] == 10 {
                if i + 1 < bytes.count, bytes[i + 1] == 10 { end = i; dataStart = i + 2; foundBlankLine = true; break }
                if i + 2 < bytes.count, bytes[i + 1] == 13, bytes[i + 2] == 10 { end = i; dataStart = i + 3; foundBlankLine = true; break }
            }
            i += 1
        }
        let text = String(decoding: bytes[0..<end], as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) }
        let magic = lines.removeFirst()
        let header = try NRRDHeader.parse(magic: magic, lines: lines, headerLength: dataStart, file: path)
        if header.dataFile == nil, !foundBlankLine {
            throw VolumeIOError(.invalidHeader, file: path, field: "header", expected: "an empty line ending the header (within 1 MiB) before the data",
                                found: "none")
        }
        return (header, data)
    }

    static func skipLines(_ count: Int, in data: Data) -> Data {
        guard count > 0 else { return data }
        var remaining = count
        var index = data.startIndex
        while remaining > 0, index < data.endIndex {
            if data[index] == 10 { remaining -= 1 }
            index += 1
        }
        return data.subdata(in: index..<data.endIndex)
    }

    /// All values of the file as Float, in file order.
    static func decode(_ h: NRRDHeader, data: Data, count: Int, file: String) throws -> [Float] {
        let size = h.type.bytesPerVoxel
        let needed = count * size
        var raw: [UInt8]
        switch h.encoding {
        case .ascii:
            let text = String(decoding: data.dropFirst(max(0, h.byteSkip)), as: UTF8.self)
            let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" || $0 == "," })
            guard words.count >= count else {
                throw VolumeIOError(.truncatedData, file: file, field: "sizes", expected: "\(count) ascii values", found: "\(words.count)")
            }
            var out = [Float](repeating: 0, count: count)
            for k in 0..<count {
                guard let v = Double(words[k]) else {
                    throw VolumeIOError(.invalidHeader, file: file, field: "ascii data", expected: "numbers", found: String(words[k]).debugDescription)
                }
                out[k] = Float(v)
            }
            return out
        case .raw:
            let start = h.byteSkip == -1 ? data.count - needed : h.byteSkip
            guard start >= 0, data.count - start >= needed else {
                throw VolumeIOError(.truncatedData, file: file, field: "sizes",
                                    expected: "\(needed) bytes of \(h.typeName) (\(h.sizes.map(String.init).joined(separator: "x")))",
                                    found: "\(max(0, data.count - max(0, start))) bytes")
            }
            raw = [UInt8](data[data.startIndex + start ..< data.startIndex + start + needed])
        case .gzip:
            let wanted = needed + h.byteSkip
            guard wanted <= data.count * NIfTIFile.maxGzipRatio + 65536 else {
                throw VolumeIOError(.truncatedData, file: file, field: "sizes", expected: "\(wanted) bytes after decompression",
                                    found: "\(data.count) compressed bytes, which cannot inflate to that")
            }
            raw = [UInt8](repeating: 0, count: wanted)
            let produced = data.withUnsafeBytes { src in
                raw.withUnsafeMutableBytes { dst in cnifti_gunzip(src.baseAddress, Int64(src.count), dst.baseAddress, Int64(wanted)) }
            }
            if produced == -1 {
                throw VolumeIOError(.corruptData, file: file, field: "encoding", expected: "a valid gzip stream", found: "corrupt deflate data")
            }
            if produced < Int64(wanted) {
                throw VolumeIOError(.truncatedData, file: file, field: "sizes", expected: "\(wanted) bytes after decompression",
                                    found: "a gzip stream that ends early")
            }
            if h.byteSkip > 0 { raw.removeFirst(h.byteSkip) }
        }
        let hostIsBig = 1.bigEndian == 1
        if size > 1, h.isBigEndian != hostIsBig {
            raw.withUnsafeMutableBytes { cnifti_swap_bytes($0.baseAddress, Int64(count), Int32(size)) }
        }
        var out = [Float](repeating: 0, count: count)
        let status = raw.withUnsafeBytes { src in
            out.withUnsafeMutableBufferPointer { cnifti_convert_to_float(src.baseAddress, h.type.rawValue, Int64(count), $0.baseAddress, 0, 1, 0) }
        }
        precondition(status == 0, "NRRD types all map to convertible NIfTI types")
        return out
    }

    /// The values of volume `index` along the non-spatial axis, spatial axes in order (first fastest).
    static func extractVolume(_ all: [Float], header h: NRRDHeader, index: Int) -> [Float] {
        guard let axis = h.nonSpatialAxis else { return all }
        var strides = [Int](repeating: 1, count: h.dimension)
        for a in 1..<h.dimension { strides[a] = strides[a - 1] * h.sizes[a - 1] }
        let s = h.spatialAxes
        let (n0, n1, n2) = (h.sizes[s[0]], h.sizes[s[1]], h.sizes[s[2]])
        let base = index * strides[axis]
        var out = [Float]()
        out.reserveCapacity(n0 * n1 * n2)
        for k in 0..<n2 { for j in 0..<n1 { for i in 0..<n0 {
            out.append(all[base + i * strides[s[0]] + j * strides[s[1]] + k * strides[s[2]]])
        } } }
        return out
    }
}
