import Foundation
import Imaging

/// Format-agnostic reading and writing, by file suffix: `.nii`, `.nii.gz`, `.hdr`, `.img` (and
/// `.hdr.gz`/`.img.gz`) through NIfTIFile; `.nrrd`, `.nhdr` through NRRDFile.
public enum VolumeFile {
    public enum Format: String, Sendable { case nifti, nrrd }

    /// The format a path's suffix names (case-insensitive), or nil.
    public static func format(of path: String) -> Format? {
        let p = path.lowercased()
        for s in [".nii", ".nii.gz", ".hdr", ".img", ".hdr.gz", ".img.gz"] where p.hasSuffix(s) { return .nifti }
        for s in [".nrrd", ".nhdr"] where p.hasSuffix(s) { return .nrrd }
        return nil
    }

    static func requireFormat(_ path: String) throws -> Format {
        guard let f = format(of: path) else {
            throw VolumeIOError(.invalidArgument, file: path, field: "extension",
                                expected: ".nii, .nii.gz, .hdr, .img, .nrrd or .nhdr", found: URL(fileURLWithPath: path).lastPathComponent)
        }
        return f
    }

    /// Reads volume `volumeIndex` (0 by default) as Float, geometry in LPS.
    /// - Throws: `VolumeIOError`; `.invalidHeader` (field `voxel values`) when a voxel is NaN or
    ///   infinite after scaling: non-finite intensities are input errors, never silently zero statistics.
    public static func read(_ path: String, volumeIndex: Int = 0) throws -> Volume<Float> {
        let volume: Volume<Float>
        switch try requireFormat(path) {
        case .nifti: volume = try NIfTIFile.read(path: path, volumeIndex: volumeIndex).volume
        case .nrrd: volume = try NRRDFile.read(path: path, volumeIndex: volumeIndex).volume
        }
        try requireFinite(volume, path: path)
        return volume
    }

    /// Refuses a volume holding NaN or infinite values, naming the first voxel and how many there are.
    static func requireFinite(_ volume: Volume<Float>, path: String) throws {
        guard let first = volume.voxels.firstIndex(where: { !$0.isFinite }) else { return }
        let count = volume.voxels.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        let s = volume.geometry.size
        throw VolumeIOError(.invalidHeader, file: path, field: "voxel values", expected: "finite intensities",
                            found: "\(count) of \(volume.voxels.count) voxels NaN or infinite, the first \(volume.voxels[first]) at voxel (\(first % s.x), \(first / s.x % s.y), \(first / (s.x * s.y)))")
    }

    /// Reads a label map: every value must be an integer in 0...255.
    /// - Throws: `VolumeIOError.invalidHeader` (field `voxel values`) naming the first offending value.
    public static func readLabels(_ path: String, volumeIndex: Int = 0) throws -> LabelMap {
        let values = try readIntegers(path, volumeIndex: volumeIndex, upTo: 255, expected: "integer labels 0...255")
        return LabelMap(geometry: values.geometry, voxels: values.voxels.map { UInt8($0) })
    }

    /// Reads an instance map (0 = background, every other value one instance): integers in
    /// 0...16,777,216, the range a float voxel value holds exactly.
    /// - Throws: `VolumeIOError.invalidHeader` (field `voxel values`) naming the first offending value.
    public static func readInstances(_ path: String, volumeIndex: Int = 0) throws -> Volume<Int32> {
        try readIntegers(path, volumeIndex: volumeIndex, upTo: 16_777_216, expected: "integer instance ids 0...16777216")
    }

    private static func readIntegers(_ path: String, volumeIndex: Int, upTo limit: Float, expected: String) throws -> Volume<Int32> {
        let image = try read(path, volumeIndex: volumeIndex)
        var values = [Int32](repeating: 0, count: image.voxels.count)
        for (n, v) in image.voxels.enumerated() {
            guard v >= 0, v <= limit, v == v.rounded() else {
                let s = image.geometry.size
                throw VolumeIOError(.invalidHeader, file: path, field: "voxel values", expected: expected,
                                    found: "\(v) at voxel (\(n % s.x), \(n / s.x % s.y), \(n / (s.x * s.y)))")
            }
            values[n] = Int32(v)
        }
        return Volume(geometry: image.geometry, voxels: values)
    }

    /// Writes by suffix: NIfTI-1 for NIfTI suffixes, gzip NRRD for `.nrrd`.
    public static func write<V: NIfTIWritableVoxel>(_ volume: Volume<V>, to path: String) throws {
        switch try requireFormat(path) {
        case .nifti: try NIfTIFile.write(volume, to: path)
        case .nrrd:
            guard path.lowercased().hasSuffix(".nrrd") else {
                throw VolumeIOError(.unsupported, file: path, field: "extension", expected: ".nrrd (attached header) for writing", found: ".nhdr")
            }
            try NRRDFile.write(volume, to: path)
        }
    }
}
