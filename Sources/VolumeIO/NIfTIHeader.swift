internal import CNIfTI
import Imaging

/// NIfTI voxel types. SegStation reads the scalar ones; complex and RGB are rejected as unsupported.
public enum NIfTIDatatype: Int32, Sendable, Codable, CaseIterable {
    case uint8 = 2, int16 = 4, int32 = 8, float32 = 16, complex64 = 32, float64 = 64, rgb24 = 128
    case int8 = 256, uint16 = 512, uint32 = 768, int64 = 1024, uint64 = 1280
    case float128 = 1536, complex128 = 1792, complex256 = 2048, rgba32 = 2304

    /// Bytes per voxel.
    public var bytesPerVoxel: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16, .uint16: return 2
        case .int32, .uint32, .float32, .rgba32: return 4
        case .rgb24: return 3
        case .int64, .uint64, .float64, .complex64: return 8
        case .float128, .complex128: return 16
        case .complex256: return 32
        }
    }

    /// True for the real scalar types SegStation converts to Float.
    public var isSupportedScalar: Bool {
        switch self {
        case .complex64, .complex128, .complex256, .rgb24, .rgba32, .float128: return false
        default: return true
        }
    }

    /// True for integer types (label maps must be stored as one).
    public var isInteger: Bool {
        switch self {
        case .uint8, .int8, .int16, .uint16, .int32, .uint32, .int64, .uint64: return true
        default: return false
        }
    }
}

/// Where a NIfTI file's index -> RAS affine came from (nibabel's `get_best_affine` order).
public enum NIfTIAffineSource: String, Sendable, Codable {
    /// srow_x/y/z, used when `sform_code` is a valid nonzero code.
    case sform
    /// The quaternion, offsets, pixdim and qfac, used when only `qform_code` is valid and nonzero.
    case qform
    /// Neither code set: ANALYZE-style diag(-pixdim1, pixdim2, pixdim3) centred on the grid, as nibabel.
    case pixdim
}

/// A NIfTI-1/2 (or ANALYZE 7.5) header as stored, plus the affine nibabel would choose.
public struct NIfTIHeader: Sendable, Equatable {
    /// 1 or 2 (ANALYZE 7.5 files report 1 with `isNIfTI == false`).
    public var version: Int
    public var isNIfTI: Bool
    /// True for a `.nii` (magic n+1/n+2), false for a `.hdr/.img` pair.
    public var isSingleFile: Bool
    /// True when the file's byte order differs from this CPU's (nifticlib swaps on reading).
    public var isByteSwapped: Bool
    /// `dim[0...7]` as stored.
    public var dim: [Int64]
    /// `pixdim[0...7]` as stored (pixdim[0] is qfac).
    public var pixdim: [Double]
    /// The raw datatype code (see `NIfTIDatatype`).
    public var datatypeCode: Int
    public var voxOffset: Double
    public var sclSlope: Double
    public var sclInter: Double
    public var qformCode: Int
    public var sformCode: Int
    public var quaternBCD: Vector3
    public var qoffsetXYZ: Vector3
    /// srow_x, srow_y, srow_z.
    public var srow: [[Double]]
    public var intentCode: Int
    public var intentName: String
    public var description: String

    public var datatype: NIfTIDatatype? { NIfTIDatatype(rawValue: Int32(datatypeCode)) }

    /// The dimensions in use: `dim[1...dim[0]]`.
    public var shape: [Int] { dim[0] >= 1 && dim[0] <= 7 ? dim[1...Int(dim[0])].map { Int($0) } : [] }

    /// The scaling to apply, or nil when `scl_slope` is 0 or not finite (nibabel: no scaling).
    /// A valid slope with a non-finite `scl_inter` is rejected by `NIfTIFile.readHeader` (as nibabel does).
    public var scaling: (slope: Double, inter: Double)? {
        guard sclSlope != 0, sclSlope.isFinite else { return nil }
        return (sclSlope, sclInter)
    }

    init(_ h: cnifti_header) {
        version = Int(h.version)
        isNIfTI = h.is_nifti != 0
        isSingleFile = h.single_file != 0
        isByteSwapped = h.swapped != 0
        var d = h.dim
        dim = withUnsafeBytes(of: &d) { Array($0.bindMemory(to: Int64.self)) }
        var p = h.pixdim
        pixdim = withUnsafeBytes(of: &p) { Array($0.bindMemory(to: Double.self)) }
        datatypeCode = Int(h.datatype)
        voxOffset = h.vox_offset
        sclSlope = h.scl_slope
        sclInter = h.scl_inter
        qformCode = Int(h.qform_code)
        sformCode = Int(h.sform_code)
        quaternBCD = Vector3(h.quatern_b, h.quatern_c, h.quatern_d)
        qoffsetXYZ = Vector3(h.qoffset_x, h.qoffset_y, h.qoffset_z)
        var s = h.srow
        let flat = withUnsafeBytes(of: &s) { Array($0.bindMemory(to: Double.self)) }
        srow = [Array(flat[0..<4]), Array(flat[4..<8]), Array(flat[8..<12])]
        intentCode = Int(h.intent_code)
        var iname = h.intent_name
        intentName = withUnsafeBytes(of: &iname) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        var descrip = h.descrip
        description = withUnsafeBytes(of: &descrip) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    // MARK: - The affine, as nibabel computes it

    /// nibabel's `check_fix` on loading: invalid xform codes become 0, zero pixdim[1...3] become 1,
    /// negative ones their absolute value, and a qfac other than +-1 becomes 1.
    var nibabelFixed: (sformCode: Int, qformCode: Int, pixdim: [Double]) {
        let valid = 0...5
        var p = pixdim
        for i in 1...3 { p[i] = p[i] == 0 ? 1 : abs(p[i]) }
        if p[0] != 1 && p[0] != -1 { p[0] = 1 }
        return (valid.contains(sformCode) ? sformCode : 0, valid.contains(qformCode) ? qformCode : 0, p)
    }

    /// Which transform nibabel's `get_best_affine` uses: sform if its code is nonzero, else qform
    /// if its code is nonzero, else the pixdim fallback. ANALYZE files always use the fallback.
    public var affineSource: NIfTIAffineSource {
        let fixed = nibabelFixed
        guard isNIfTI else { return .pixdim }
        if fixed.sformCode != 0 { return .sform }
        if fixed.qformCode != 0 { return .qform }
        return .pixdim
    }

    /// The row-major 4x4 index -> RAS affine chosen as in nibabel (`img.affine`).
    public var affineRAS: [[Double]] {
        let fixed = nibabelFixed
        switch affineSource {
        case .sform:
            return srow + [[0, 0, 0, 1]]
        case .qform:
            let (b, c, d) = (quaternBCD.x, quaternBCD.y, quaternBCD.z)
            let a = max(0, 1 - (b * b + c * c + d * d)).squareRoot()
            let r = NIfTIHeader.rotation(a, b, c, d)
            let zooms = [fixed.pixdim[1], fixed.pixdim[2], fixed.pixdim[3] * fixed.pixdim[0]]
            var m = [[Double]]()
            let offset = [qoffsetXYZ.x, qoffsetXYZ.y, qoffsetXYZ.z]
            for row in 0..<3 { m.append((0..<3).map { r[row][$0] * zooms[$0] } + [offset[row]]) }
            return m + [[0, 0, 0, 1]]
        case .pixdim:
            let n = Int(max(1, min(dim[0], 7)))
            var shape = [1.0, 1.0, 1.0], zooms = [1.0, 1.0, 1.0]
            for i in 0..<min(n, 3) { shape[i] = Double(dim[i + 1]); zooms[i] = fixed.pixdim[i + 1] }
            zooms[0] = -zooms[0]
            var m = [[Double]](repeating: [0, 0, 0, 0], count: 3)
            for row in 0..<3 {
                m[row][row] = zooms[row]
                m[row][3] = -(shape[row] - 1) / 2 * zooms[row]
            }
            return m + [[0, 0, 0, 1]]
        }
    }

    /// Rotation matrix of the quaternion (a, b, c, d), normalised as nibabel's `quat2mat` does.
    static func rotation(_ w: Double, _ x: Double, _ y: Double, _ z: Double) -> [[Double]] {
        let n = w * w + x * x + y * y + z * z
        guard n > 1e-15 else { return [[1, 0, 0], [0, 1, 0], [0, 0, 1]] }
        let s = 2 / n
        let (xs, ys, zs) = (x * s, y * s, z * s)
        let (wx, wy, wz) = (w * xs, w * ys, w * zs)
        let (xx, xy, xz) = (x * xs, x * ys, x * zs)
        let (yy, yz, zz) = (y * ys, y * zs, z * zs)
        return [[1 - (yy + zz), xy - wz, xz + wy],
                [xy + wz, 1 - (xx + zz), yz - wx],
                [xz - wy, yz + wx, 1 - (xx + yy)]]
    }
}
