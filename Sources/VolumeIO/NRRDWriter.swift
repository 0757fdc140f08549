import Core
internal import CNIfTI
import Foundation
import Imaging

extension NRRDFile {
    /// Writes `volume` as a NRRD with attached header (`.nrrd`), as 3D Slicer does: `space:
    /// left-posterior-superior`, `space directions` = direction * spacing per axis, `space origin`,
    /// `kinds: domain domain domain`, little-endian, gzip (default) or raw. Doubles are written in
    /// shortest round-trip form, so reading back gives the same geometry bit for bit.
    /// UInt8 -> `uint8`, Int16 -> `int16`, Int32 -> `int32`, Float -> `float`. Written atomically.
    /// - Throws: `VolumeIOError` (`invalidArgument` for another suffix or bad geometry, `writeFailed`).
    public static func write<V: NIfTIWritableVoxel>(_ volume: Volume<V>, to path: String, gzip: Bool = true) throws {
        guard path.lowercased().hasSuffix(".nrrd") else {
            throw VolumeIOError(.invalidArgument, file: path, field: "extension", expected: ".nrrd", found: URL(fileURLWithPath: path).pathExtension)
        }
        let g = volume.geometry
        do { try g.validate() } catch { throw VolumeIOError(.invalidArgument, file: path, field: "geometry", found: "\(error)") }
        let typeName: String
        switch V.niftiDatatype {
        case .uint8: typeName = "uint8"
        case .int16: typeName = "int16"
        case .int32: typeName = "int32"
        default: typeName = "float"
        }
        func vector(_ v: Vector3) -> String { "(\(v.x),\(v.y),\(v.z))" }
        let l = g.linearPart
        let header = """
        NRRD0004
        # Complete NRRD file format specification at:
        # http://teem.sourceforge.net/nrrd/format.html
        type: \(typeName)
        dimension: 3
        space: left-posterior-superior
        sizes: \(g.size.x) \(g.size.y) \(g.size.z)
        space directions: \(vector(l.c0)) \(vector(l.c1)) \(vector(l.c2))
        kinds: domain domain domain
        endian: \(1.littleEndian == 1 ? "little" : "big")
        encoding: \(gzip ? "gzip" : "raw")
        space origin: \(vector(g.originLPS))


        """
        var file = Data(header.utf8)
        try volume.voxels.withUnsafeBytes { raw in
            if gzip {
                var out: UnsafeMutableRawPointer?
                let n = cnifti_gzip(raw.baseAddress, Int64(raw.count), &out)
                defer { cnifti_free(out) }
                guard n >= 0, let out else { throw VolumeIOError(.writeFailed, file: path, field: "encoding", detail: "gzip compression failed") }
                file.append(out.assumingMemoryBound(to: UInt8.self), count: Int(n))
            } else {
                file.append(raw.bindMemory(to: UInt8.self))
            }
        }
        do { try AtomicFile.write(file, to: URL(fileURLWithPath: path)) } catch {
            throw VolumeIOError(.writeFailed, file: path, detail: "\(error.localizedDescription)")
        }
    }
}
