import Core
internal import CNIfTI
import Foundation
import Imaging

/// NIfTI-1 (348-byte header, float32 srow) or NIfTI-2 (540-byte header, float64 srow).
public enum NIfTIVersion: Int, Sendable, Codable {
    case nifti1 = 1, nifti2 = 2
}

/// Voxel types SegStation writes to NIfTI, each with its datatype code.
public protocol NIfTIWritableVoxel: Sendable {
    static var niftiDatatype: NIfTIDatatype { get }
}
extension UInt8: NIfTIWritableVoxel { public static var niftiDatatype: NIfTIDatatype { .uint8 } }
extension Int16: NIfTIWritableVoxel { public static var niftiDatatype: NIfTIDatatype { .int16 } }
extension Int32: NIfTIWritableVoxel { public static var niftiDatatype: NIfTIDatatype { .int32 } }
extension Float: NIfTIWritableVoxel { public static var niftiDatatype: NIfTIDatatype { .float32 } }

extension NIfTIFile {
    /// The sform_code (and qform_code when written): 1, NIFTI_XFORM_SCANNER_ANAT, as dcm2niix
    /// writes, since VolumeGeometry holds scanner (DICOM patient) coordinates.
    public static let writtenXformCode: Int32 = 1

    /// Writes `volume` with nifticlib: `.nii` or `.nii.gz` (single file), `.hdr`/`.img` (pair;
    /// `.hdr.gz`/`.img.gz` compressed). Float as float32, UInt8 as uint8, Int16/Int32 as such;
    /// scl_slope 1, scl_inter 0; xyz units mm.
    ///
    /// The sform (code 1, scanner) always holds the exact index -> RAS affine; the qform (code 1) is
    /// written only when the direction is orthonormal (a quaternion cannot hold a shear), else its
    /// code is 0. Written atomically: a temporary file beside the destination, then renamed (for a
    /// pair the .img is moved into place just before the .hdr).
    /// - Throws: `VolumeIOError` (`invalidArgument` for an unknown suffix or invalid geometry, `writeFailed`).
    public static func write<V: NIfTIWritableVoxel>(_ volume: Volume<V>, to path: String, version: NIfTIVersion = .nifti1,
                                                     description: String = "SegStation") throws {
        try write(volumes: volume.voxels, count: 1, geometry: volume.geometry, to: path, version: version, description: description)
    }

    /// Writes `count` volumes on one grid as a 4D image (dim[4] = count; 3D when count is 1):
    /// `voxels` holds volume 0, then volume 1, ... (each `geometry.voxelCount` values, i fastest).
    /// Everything else as `write(_:to:)`, atomically; volume v reads back with `read(path:volumeIndex: v)`.
    /// - Throws: `VolumeIOError` (`invalidArgument` when `voxels` is not count x voxelCount values).
    public static func write<V: NIfTIWritableVoxel>(volumes voxels: [V], count: Int, geometry g: VolumeGeometry, to path: String,
                                                     version: NIfTIVersion = .nifti1, description: String = "SegStation") throws {
        guard count >= 1, voxels.count == count * g.voxelCount else {
            throw VolumeIOError(.invalidArgument, file: path, field: "volumes", expected: "\(count) x \(g.voxelCount) values",
                                found: "\(voxels.count)")
        }
        let lower = path.lowercased()
        var headerPath = path
        if lower.hasSuffix(".img") || lower.hasSuffix(".img.gz") {
            let range = path.range(of: ".img", options: [.caseInsensitive, .backwards])!
            headerPath.replaceSubrange(range, with: ".hdr")
        }
        let isPair = headerPath.lowercased().hasSuffix(".hdr") || headerPath.lowercased().hasSuffix(".hdr.gz")
        guard isPair || lower.hasSuffix(".nii") || lower.hasSuffix(".nii.gz") else {
            throw VolumeIOError(.invalidArgument, file: path, field: "extension", expected: ".nii, .nii.gz, .hdr, .img (optionally .gz)",
                                found: URL(fileURLWithPath: path).pathExtension)
        }
        do { try g.validate() } catch {
            throw VolumeIOError(.invalidArgument, file: path, field: "geometry", found: "\(error)")
        }
        let affine = g.affineRAS
        var flat = [Double]()
        for r in 0..<3 { flat += affine[r] }
        let qformCode: Int32 = g.isOrthonormal(tolerance: 1e-6) ? writtenXformCode : 0
        let dims: [Int64] = [Int64(g.size.x), Int64(g.size.y), Int64(g.size.z)]
        let spacing = [g.spacingMM.x, g.spacingMM.y, g.spacingMM.z]
        let destination = URL(fileURLWithPath: headerPath)
        cnifti_set_quiet(1)
        do {
            try AtomicFile.write(to: destination) { temporary in
                let status = voxels.withUnsafeBytes { data in
                    flat.withUnsafeBufferPointer { a in
                        a.baseAddress!.withMemoryRebound(to: (Double, Double, Double, Double).self, capacity: 3) { rows in
                            cnifti_write_volumes(temporary.path, Int32(version.rawValue), dims, Int64(count), spacing,
                                                 V.niftiDatatype.rawValue, data.baseAddress, rows, writtenXformCode, qformCode,
                                                 description)
                        }
                    }
                }
                let bytes = count * g.voxelCount * V.niftiDatatype.bytesPerVoxel
                try verifyWritten(temporary.path, status: status, dataBytes: bytes, isPair: isPair, destination: path)
                if isPair {
                    let tempImage = imagePath(forHeader: temporary.path), finalImage = imagePath(forHeader: headerPath)
                    guard rename(tempImage, finalImage) == 0 else {
                        try? FileManager.default.removeItem(atPath: tempImage)
                        throw VolumeIOError(.writeFailed, file: finalImage, detail: String(cString: strerror(errno)))
                    }
                }
            }
        } catch let error as VolumeIOError {
            throw error
        } catch {
            throw VolumeIOError(.writeFailed, file: path, detail: "\(error)")
        }
    }

    static func imagePath(forHeader path: String) -> String {
        let range = path.range(of: ".hdr", options: [.caseInsensitive, .backwards])!
        return path.replacingCharacters(in: range, with: ".img")
    }

    /// nifticlib's writer returns nothing on I/O failure: check that the header reads back and, when
    /// uncompressed, that the data file has the full size.
    static func verifyWritten(_ path: String, status: Int32, dataBytes: Int, isPair: Bool, destination: String) throws {
        var raw = cnifti_header()
        guard status == 0, cnifti_read_header(path, &raw) == 0 else {
            if isPair { try? FileManager.default.removeItem(atPath: imagePath(forHeader: path)) }
            throw VolumeIOError(.writeFailed, file: destination, detail: "nifticlib did not produce a readable header")
        }
        guard !path.hasSuffix(".gz") else { return }
        let dataPath = isPair ? imagePath(forHeader: path) : path
        let expected = (isPair ? 0 : Int(raw.vox_offset)) + dataBytes
        let found = fileSize(dataPath)
        guard found == expected else {
            if isPair { try? FileManager.default.removeItem(atPath: dataPath) }
            throw VolumeIOError(.writeFailed, file: destination, field: "voxel data", expected: "\(expected) bytes", found: "\(found) bytes")
        }
    }
}
