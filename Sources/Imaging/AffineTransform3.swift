import Foundation

/// A spatial transform of patient space (LPS, mm): `p -> matrix * p + translation`.
///
/// Registration results are stored as the transform that maps a point of the FIXED (earlier) study
/// to the point of the MOVING (later) study showing the same anatomy, the convention of ITK and
/// elastix (their TransformParameters map fixed-space points to moving-space points).
public struct AffineTransform3: Equatable, Codable, Sendable, CustomStringConvertible {
    public var matrix: Matrix3
    public var translation: Vector3

    public init(matrix: Matrix3 = .identity, translation: Vector3 = .zero) {
        self.matrix = matrix
        self.translation = translation
    }

    public static let identity = AffineTransform3()

    /// `R (p - centre) + centre + translation`: ITK's parameterisation (centre of rotation, offset).
    public init(matrix: Matrix3, centre: Vector3, translation: Vector3) {
        self.init(matrix: matrix, translation: centre + translation - matrix * centre)
    }

    /// A rotation by `degrees` about the unit `axis` through `centre`, then a shift (Rodrigues' formula).
    public static func rotation(degrees: Double, axis: Vector3, centre: Vector3 = .zero, shift: Vector3 = .zero) -> AffineTransform3 {
        let u = axis / norm(axis)
        let a = degrees * .pi / 180
        let c = cos(a), s = sin(a), t = 1 - c
        let r = Matrix3(rows: [[t * u.x * u.x + c, t * u.x * u.y - s * u.z, t * u.x * u.z + s * u.y],
                               [t * u.x * u.y + s * u.z, t * u.y * u.y + c, t * u.y * u.z - s * u.x],
                               [t * u.x * u.z - s * u.y, t * u.y * u.z + s * u.x, t * u.z * u.z + c]])
        return AffineTransform3(matrix: r, centre: centre, translation: shift)
    }

    @inlinable public func apply(_ p: Vector3) -> Vector3 { matrix * p + translation }

    /// The inverse transform, or nil when the matrix is singular.
    public var inverse: AffineTransform3? {
        guard let m = matrix.inverse else { return nil }
        return AffineTransform3(matrix: m, translation: -(m * translation))
    }

    /// `self` after `other`: `p -> self(other(p))`.
    public func composed(after other: AffineTransform3) -> AffineTransform3 {
        AffineTransform3(matrix: matrix * other.matrix, translation: matrix * other.translation + translation)
    }

    /// The rotation angle in degrees of the matrix's closest rotation, read from its trace
    /// (exact for a rigid transform): `acos((trace - 1) / 2)`.
    public var rotationDegrees: Double {
        let trace = matrix[0, 0] + matrix[1, 1] + matrix[2, 2]
        return acos(max(-1, min(1, (trace - 1) / 2))) * 180 / .pi
    }

    /// The geometry whose voxel centres are this transform's images of `geometry`'s voxel centres:
    /// resampling a volume onto it samples that volume at `apply(p)` for every voxel `p` of `geometry`.
    public func mapping(_ geometry: VolumeGeometry) -> VolumeGeometry {
        VolumeGeometry(size: geometry.size, spacingMM: geometry.spacingMM, originLPS: apply(geometry.originLPS),
                       direction: matrix * geometry.direction)
    }

    /// Row-major 3x4 `[matrix | translation]`, the layout stored in the database.
    public var rows: [[Double]] { (0..<3).map { r in matrix.rows[r] + [translation[r]] } }

    public init?(rows: [[Double]]) {
        guard rows.count == 3, rows.allSatisfy({ $0.count == 4 && $0.allSatisfy(\.isFinite) }) else { return nil }
        self.init(matrix: Matrix3(rows: rows.map { Array($0.prefix(3)) }), translation: Vector3(rows[0][3], rows[1][3], rows[2][3]))
    }

    public var description: String { "[\(matrix)] + (\(translation.x), \(translation.y), \(translation.z))" }
}
