internal import CNIfTI
import Foundation
import Imaging

/// One 3D volume read from a NIfTI file, with the header it came from.
public struct NIfTIImage: Sendable {
    /// The chosen volume: values after scl_slope/scl_inter, geometry in LPS.
    public var volume: Volume<Float>
    public var header: NIfTIHeader
    /// Which volume of a 4D (or 5D-7D) file this is (0-based, dim[4] fastest).
    public var volumeIndex: Int
    /// Number of 3D volumes in the file (the product of dim[4...dim[0]]; 1 for 3D).
    public var volumeCount: Int

    public var datatype: NIfTIDatatype { header.datatype! }
    /// dim[1...dim[0]].
    public var shape: [Int] { header.shape }
    public var affineSource: NIfTIAffineSource { header.affineSource }
}

/// NIfTI-1 and NIfTI-2 files (`.nii`, `.nii.gz`, `.hdr/.img`, `.hdr.gz/.img.gz`) through nifticlib.
///
/// Reading validates the header (dims, datatype, sizes against the file) before any voxel data is
/// allocated, then lets nifticlib read one volume (it decompresses and swaps bytes).
/// Geometry follows nibabel's `img.affine` (see `NIfTIHeader.affineSource`), converted RAS -> LPS.
public enum NIfTIFile {
    /// The most voxels one 3D volume may have (2^31: 8 GiB as Float).
    public static let maxVoxelsPerVolume = 1 << 31
    /// deflate cannot compress better than ~1032:1; a .gz file claiming more data is truncated or lying.
    static let maxGzipRatio = 1100

    /// Reads and validates the header only (any datatype code NIfTI defines is accepted here;
    /// `read` rejects complex and RGB).
    /// - Throws: `VolumeIOError` (`fileNotFound`, `invalidHeader`, `truncatedData`).
    public static func readHeader(path: String) throws -> NIfTIHeader {
        guard FileManager.default.fileExists(atPath: path) else { throw VolumeIOError(.fileNotFound, file: path) }
        cnifti_set_quiet(1)
        var raw = cnifti_header()
        guard cnifti_read_header(path, &raw) == 0 else {
            let size = fileSize(path)
            if !path.hasSuffix(".gz"), size < 348 {
                throw VolumeIOError(.truncatedData, file: path, field: "header", expected: "at least 348 bytes", found: "\(size) bytes")
            }
            throw VolumeIOError(.invalidHeader, file: path, field: "sizeof_hdr",
                                expected: "a NIfTI-1 (348), NIfTI-2 (540) or ANALYZE 7.5 header in either byte order",
                                found: "no readable header (\(size) bytes on disk)")
        }
        let header = NIfTIHeader(raw)
        try validate(header, path: path)
        return header
    }

    /// Reads volume `volumeIndex` (default 0) of a NIfTI file as Float (scaled), geometry in LPS.
    /// - Throws: `VolumeIOError`; `invalidArgument` when `volumeIndex` is outside `0..<volumeCount`.
    public static func read(path: String, volumeIndex: Int = 0) throws -> NIfTIImage {
        let header = try readHeader(path: path)
        guard header.datatype!.isSupportedScalar else {
            throw VolumeIOError(.unsupported, file: path, field: "datatype",
                                expected: "a real scalar type (u)int8/16/32/64, float32, float64",
                                found: "\(header.datatype!) (\(header.datatypeCode))")
        }
        let shape = header.shape
        let size = SIMD3(shape[0], shape.count > 1 ? shape[1] : 1, shape.count > 2 ? shape[2] : 1)
        let volumes = shape.count > 3 ? shape[3...].reduce(1, *) : 1
        guard volumeIndex >= 0, volumeIndex < volumes else {
            throw VolumeIOError(.invalidArgument, file: path, field: "volume index", expected: "0..<\(volumes)", found: "\(volumeIndex)")
        }
        let geometry: VolumeGeometry
        do {
            geometry = try VolumeGeometry(size: size, affineRAS: header.affineRAS)
            try geometry.validate()
        } catch let error as ImagingError {
            throw VolumeIOError(.invalidHeader, file: path, field: header.affineSource == .sform ? "srow_x/y/z" : "pixdim/quatern",
                                expected: "an invertible affine", found: "\(error)")
        }
        try checkDataSize(header, shape: shape, path: path)

        var voxels = [Float](repeating: 0, count: geometry.voxelCount)
        let scaling = header.scaling
        let status = voxels.withUnsafeMutableBufferPointer { buffer in
            cnifti_read_volume_float(path, Int64(volumeIndex), buffer.baseAddress, Int64(buffer.count),
                                     scaling == nil ? 0 : 1, scaling?.slope ?? 1, scaling?.inter ?? 0)
        }
        switch status {
        case 0: break
        case -2:
            throw VolumeIOError(.truncatedData, file: path, field: "voxel data",
                                expected: "\(geometry.voxelCount * header.datatype!.bytesPerVoxel) bytes for volume \(volumeIndex)",
                                found: "fewer (file truncated or gzip stream corrupt)")
        case -3:
            throw VolumeIOError(.unsupported, file: path, field: "datatype", found: "\(header.datatypeCode)")
        default:
            throw VolumeIOError(.invalidHeader, file: path, detail: "nifticlib rejected the header")
        }
        return NIfTIImage(volume: Volume(geometry: geometry, voxels: voxels), header: header,
                          volumeIndex: volumeIndex, volumeCount: volumes)
    }

    // MARK: - Validation (before any data is read)

    static func validate(_ h: NIfTIHeader, path: String) throws {
        let n = h.dim[0]
        guard (1...7).contains(n) else {
            throw VolumeIOError(.invalidHeader, file: path, field: "dim[0]", expected: "1...7", found: "\(n)")
        }
        for i in 1...Int(n) where h.dim[i] < 1 {
            throw VolumeIOError(.invalidHeader, file: path, field: "dim[\(i)]", expected: "at least 1", found: "\(h.dim[i])")
        }
        guard let type = h.datatype else {
            throw VolumeIOError(.invalidHeader, file: path, field: "datatype", expected: "a NIfTI datatype code", found: "\(h.datatypeCode)")
        }
        var voxels = 1
        for i in 1...min(3, Int(n)) {
            let (p, overflow) = voxels.multipliedReportingOverflow(by: Int(h.dim[i]))
            guard !overflow, p <= maxVoxelsPerVolume else {
                throw VolumeIOError(.invalidHeader, file: path, field: "dim[1...3]",
                                    expected: "at most \(maxVoxelsPerVolume) voxels per volume", found: h.shape.prefix(3).map(String.init).joined(separator: "x"))
            }
            voxels = p
        }
        var total = voxels * type.bytesPerVoxel
        for i in stride(from: 4, through: Int(n), by: 1) {
            let (p, overflow) = total.multipliedReportingOverflow(by: Int(h.dim[i]))
            guard !overflow, p < Int(Int64.max / 4) else {
                throw VolumeIOError(.invalidHeader, file: path, field: "dim[\(i)]", expected: "a data size that fits in 64 bits",
                                    found: h.shape.map(String.init).joined(separator: "x"))
            }
            total = p
        }
        guard h.voxOffset.isFinite, h.voxOffset >= 0, h.voxOffset < 1e15 else {
            throw VolumeIOError(.invalidHeader, file: path, field: "vox_offset", expected: "a non-negative byte offset", found: "\(h.voxOffset)")
        }
        if h.scaling != nil, !h.sclInter.isFinite {
            throw VolumeIOError(.invalidHeader, file: path, field: "scl_inter", expected: "a finite intercept with scl_slope \(h.sclSlope)",
                                found: "\(h.sclInter)")
        }
        if h.affineSource == .sform, h.srow.joined().contains(where: { !$0.isFinite }) {
            throw VolumeIOError(.invalidHeader, file: path, field: "srow_x/y/z", expected: "finite values", found: "\(h.srow)")
        }
    }

    /// Compares the bytes the header needs with what the data file can hold, before allocating.
    static func checkDataSize(_ h: NIfTIHeader, shape: [Int], path: String) throws {
        let bytes = shape.reduce(1, *) * h.datatype!.bytesPerVoxel
        var capacity = [CChar](repeating: 0, count: 4096)
        guard cnifti_find_image_file(path, &capacity, capacity.count) == 0 else {
            let expectedData = h.isSingleFile ? path : "an .img (or .img.gz) beside \(path)"
            throw VolumeIOError(.fileNotFound, file: path, field: "image file", expected: expectedData, found: "none")
        }
        let dataPath = String(cBuffer: capacity)
        guard FileManager.default.fileExists(atPath: dataPath) else {
            throw VolumeIOError(.fileNotFound, file: path, field: "image file", expected: dataPath, found: "no such file")
        }
        let onDisk = fileSize(dataPath)
        let offset = Int(h.voxOffset)
        let needed = (h.isSingleFile ? max(offset, h.version == 2 ? 544 : 352) : offset) + bytes
        if dataPath.hasSuffix(".gz") {
            let (limit, overflow) = onDisk.multipliedReportingOverflow(by: maxGzipRatio)
            if !overflow, needed > limit + 65536 {
                throw VolumeIOError(.truncatedData, file: dataPath, field: "dim",
                                    expected: "\(needed) bytes (header dims \(shape.map(String.init).joined(separator: "x")))",
                                    found: "a \(onDisk)-byte gzip file, which cannot inflate to that")
            }
        } else if onDisk < needed {
            throw VolumeIOError(.truncatedData, file: dataPath, field: "voxel data",
                                expected: "\(needed) bytes (offset \(offset) + \(bytes) bytes of \(h.datatype!))", found: "\(onDisk) bytes")
        }
    }

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}
