import Foundation

/// The grid of a volume in patient space: DICOM's patient coordinate system, LPS, millimetres.
///
/// Voxel `(i, j, k)` (0-based, `i` fastest in memory) has its centre at
/// `originLPS + direction * (spacingMM * (i, j, k))`, the DICOM convention
/// (PS3.3 C.7.6.2.1.1, equation for Image Position/Orientation).
///
/// `direction`'s columns are unit vectors of the i, j and k axes. They are orthonormal for
/// ordinary scans; a gantry-tilted CT keeps its true geometry as a *sheared* direction
/// (the k column is the normalised slice-to-slice step, not the slice normal), so
/// `patientToIndex` inverts a general matrix.
public struct VolumeGeometry: Equatable, Hashable, Codable, Sendable, CustomStringConvertible {
    /// Voxels along i, j, k.
    public var size: SIMD3<Int>
    /// Distance between voxel centres along i, j, k, in mm.
    public var spacingMM: Vector3
    /// Patient position (LPS, mm) of the centre of voxel (0, 0, 0).
    public var originLPS: Vector3
    /// Unit direction of each voxel axis in LPS (columns i, j, k).
    public var direction: Matrix3

    public init(size: SIMD3<Int>, spacingMM: Vector3 = Vector3(1, 1, 1), originLPS: Vector3 = .zero, direction: Matrix3 = .identity) {
        self.size = size
        self.spacingMM = spacingMM
        self.originLPS = originLPS
        self.direction = direction
    }

    /// Decomposes a 4x4 index-to-LPS affine (row-major) into spacing, direction and origin.
    /// - Throws: `ImagingError.invalidGeometry` when a column has zero length or the matrix is singular.
    public init(size: SIMD3<Int>, affineLPS: [[Double]]) throws {
        guard affineLPS.count >= 3, affineLPS.allSatisfy({ $0.count == 4 }) else {
            throw ImagingError.invalidGeometry("affine must be 4x4 (or 3x4), found \(affineLPS.count) rows")
        }
        let linear = Matrix3(rows: (0..<3).map { r in Array(affineLPS[r][0..<3]) })
        var spacing = Vector3.zero
        var columns = [Vector3]()
        for c in 0..<3 {
            let col = linear.column(c)
            let length = norm(col)
            guard length > 0, length.isFinite else {
                throw ImagingError.invalidGeometry("affine column \(c) has length \(length); expected a positive voxel size")
            }
            spacing[c] = length
            columns.append(col / length)
        }
        let dir = Matrix3(columns: columns[0], columns[1], columns[2])
        guard dir.inverse != nil else { throw ImagingError.invalidGeometry("affine is singular (voxel axes are collinear)") }
        self.init(size: size, spacingMM: spacing, originLPS: Vector3(affineLPS[0][3], affineLPS[1][3], affineLPS[2][3]), direction: dir)
    }

    public var voxelCount: Int { size.x * size.y * size.z }

    /// Volume of one voxel in mm^3 (the parallelepiped spanned by the three steps).
    public var voxelVolumeMM3: Double { abs(linearPart.determinant) }

    /// `direction * diag(spacingMM)`: the index-to-patient linear map.
    public var linearPart: Matrix3 {
        Matrix3(columns: direction.c0 * spacingMM.x, direction.c1 * spacingMM.y, direction.c2 * spacingMM.z)
    }

    /// Patient position (LPS, mm) of a continuous voxel index.
    @inlinable public func indexToPatient(_ index: Vector3) -> Vector3 {
        originLPS + direction * (spacingMM * index)
    }

    /// Continuous voxel index of a patient position (LPS, mm).
    public func patientToIndex(_ point: Vector3) -> Vector3 {
        guard let inv = direction.inverse else { preconditionFailure("singular direction in \(self)") }
        return (inv * (point - originLPS)) / spacingMM
    }

    /// Row-major 4x4 index -> LPS affine.
    public var affineLPS: [[Double]] {
        let l = linearPart
        return [[l[0, 0], l[0, 1], l[0, 2], originLPS.x],
                [l[1, 0], l[1, 1], l[1, 2], originLPS.y],
                [l[2, 0], l[2, 1], l[2, 2], originLPS.z],
                [0, 0, 0, 1]]
    }

    /// Row-major 4x4 index -> RAS affine (NIfTI's sform convention): rows x and y negated.
    public var affineRAS: [[Double]] {
        var a = affineLPS
        for c in 0..<4 { a[0][c] = -a[0][c]; a[1][c] = -a[1][c] }
        return a
    }

    /// Builds a geometry from an index -> RAS affine (NIfTI), converting to LPS.
    public init(size: SIMD3<Int>, affineRAS: [[Double]]) throws {
        var a = affineRAS
        for c in 0..<4 { a[0][c] = -a[0][c]; a[1][c] = -a[1][c] }
        try self.init(size: size, affineLPS: a)
    }

    /// True when the direction columns are orthonormal to `tolerance` (no shear).
    public func isOrthonormal(tolerance: Double = 1e-4) -> Bool {
        let d = direction
        let dots = [dot(d.c0, d.c1), dot(d.c0, d.c2), dot(d.c1, d.c2)]
        let norms = [norm(d.c0), norm(d.c1), norm(d.c2)]
        return dots.allSatisfy { abs($0) < tolerance } && norms.allSatisfy { abs($0 - 1) < tolerance }
    }

    /// Orientation code such as "LPS" or "RAS": for each voxel axis, the patient direction it
    /// increases towards (the closest of L/R, P/A, S/I), as nibabel's `aff2axcodes` and ITK name them.
    public var orientationCode: String { AxisOrientation.code(for: direction) }

    /// Patient-space centre of the whole grid.
    public var centerLPS: Vector3 { indexToPatient((Vector3(size) - 1) / 2) }

    /// True when both grids agree to `toleranceMM` at every corner.
    public func isSameGrid(as other: VolumeGeometry, toleranceMM: Double = 1e-3) -> Bool {
        guard size == other.size else { return false }
        for corner in cornersIndex {
            if norm(indexToPatient(corner) - other.indexToPatient(corner)) > toleranceMM { return false }
        }
        return true
    }

    /// The eight corner voxel centres as continuous indices.
    public var cornersIndex: [Vector3] {
        let m = Vector3(size) - 1
        return [0, 1].flatMap { a in [0, 1].flatMap { b in [0, 1].map { c in Vector3(Double(a) * m.x, Double(b) * m.y, Double(c) * m.z) } } }
    }

    public var description: String {
        let s = String(format: "%.4g x %.4g x %.4g mm", spacingMM.x, spacingMM.y, spacingMM.z)
        let o = String(format: "(%.3f, %.3f, %.3f)", originLPS.x, originLPS.y, originLPS.z)
        return "\(size.x)x\(size.y)x\(size.z) @ \(s), origin LPS \(o), \(orientationCode)"
    }

    /// Checks the invariants readers must guarantee before building a volume.
    public func validate(maxVoxels: Int = 4_000_000_000) throws {
        guard size.x > 0, size.y > 0, size.z > 0 else {
            throw ImagingError.invalidGeometry("dimensions \(size.x)x\(size.y)x\(size.z); expected all positive")
        }
        let (count, overflow) = size.x.multipliedReportingOverflow(by: size.y)
        let (count3, overflow3) = count.multipliedReportingOverflow(by: size.z)
        guard !overflow, !overflow3, count3 <= maxVoxels else {
            throw ImagingError.invalidGeometry("dimensions \(size.x)x\(size.y)x\(size.z) exceed the \(maxVoxels)-voxel limit")
        }
        for a in 0..<3 where !(spacingMM[a] > 0 && spacingMM[a].isFinite) {
            throw ImagingError.invalidGeometry("spacing along axis \(a) is \(spacingMM[a]) mm; expected positive and finite")
        }
        for a in 0..<3 where !originLPS[a].isFinite {
            throw ImagingError.invalidGeometry("origin along axis \(a) is \(originLPS[a]) mm; expected finite")
        }
        guard direction.rows.joined().allSatisfy(\.isFinite) else {
            throw ImagingError.invalidGeometry("direction cosines \(direction.rows) are not all finite")
        }
        guard direction.inverse != nil else { throw ImagingError.invalidGeometry("direction cosines are singular") }
    }
}

extension SIMD3 where Scalar == Double {
    @inlinable public init(_ v: SIMD3<Int>) { self.init(Double(v.x), Double(v.y), Double(v.z)) }
}
