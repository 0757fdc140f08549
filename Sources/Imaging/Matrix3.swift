import Foundation

/// A 3-vector of doubles: patient points (LPS, mm), directions, continuous voxel indices.
public typealias Vector3 = SIMD3<Double>

/// A 3x3 matrix stored by columns. Used for direction cosines (columns are the patient-space
/// directions of the voxel axes i, j, k) and for the linear part of affine transforms.
public struct Matrix3: Equatable, Hashable, Codable, Sendable, CustomStringConvertible {
    public var columns: (Vector3, Vector3, Vector3) {
        get { (c0, c1, c2) }
        set { (c0, c1, c2) = newValue }
    }
    public var c0: Vector3
    public var c1: Vector3
    public var c2: Vector3

    public init(columns c0: Vector3, _ c1: Vector3, _ c2: Vector3) {
        self.c0 = c0; self.c1 = c1; self.c2 = c2
    }

    /// Builds a matrix from row-major nested arrays (`rows[r][c]`).
    public init(rows: [[Double]]) {
        precondition(rows.count == 3 && rows.allSatisfy { $0.count == 3 }, "Matrix3 needs 3x3 rows")
        c0 = Vector3(rows[0][0], rows[1][0], rows[2][0])
        c1 = Vector3(rows[0][1], rows[1][1], rows[2][1])
        c2 = Vector3(rows[0][2], rows[1][2], rows[2][2])
    }

    public static let identity = Matrix3(columns: Vector3(1, 0, 0), Vector3(0, 1, 0), Vector3(0, 0, 1))

    public func column(_ index: Int) -> Vector3 {
        switch index {
        case 0: return c0
        case 1: return c1
        case 2: return c2
        default: preconditionFailure("Matrix3 column \(index) out of range")
        }
    }

    public subscript(row: Int, column: Int) -> Double { self.column(column)[row] }

    /// Row-major nested arrays (`result[r][c]`), the layout of JSON and of NIfTI's srow_*.
    public var rows: [[Double]] { (0..<3).map { r in [c0[r], c1[r], c2[r]] } }

    public var transposed: Matrix3 { Matrix3(rows: [[c0.x, c0.y, c0.z], [c1.x, c1.y, c1.z], [c2.x, c2.y, c2.z]]) }

    public var determinant: Double {
        c0.x * (c1.y * c2.z - c2.y * c1.z) - c1.x * (c0.y * c2.z - c2.y * c0.z) + c2.x * (c0.y * c1.z - c1.y * c0.z)
    }

    /// The inverse, or nil when the matrix is singular (|det| < 1e-12).
    public var inverse: Matrix3? {
        let det = determinant
        guard abs(det) > 1e-12 else { return nil }
        let r0 = cross(c1, c2) / det
        let r1 = cross(c2, c0) / det
        let r2 = cross(c0, c1) / det
        return Matrix3(rows: [[r0.x, r0.y, r0.z], [r1.x, r1.y, r1.z], [r2.x, r2.y, r2.z]])
    }

    public static func * (m: Matrix3, v: Vector3) -> Vector3 { m.c0 * v.x + m.c1 * v.y + m.c2 * v.z }

    public static func * (a: Matrix3, b: Matrix3) -> Matrix3 {
        Matrix3(columns: a * b.c0, a * b.c1, a * b.c2)
    }

    /// Largest absolute element-wise difference, for tolerance checks.
    public func maxAbsDifference(_ other: Matrix3) -> Double {
        let d = [c0 - other.c0, c1 - other.c1, c2 - other.c2].map { max(abs($0.x), abs($0.y), abs($0.z)) }
        return d.max() ?? 0
    }

    public var description: String { rows.map { $0.map { String(format: "%.6f", $0) }.joined(separator: " ") }.joined(separator: "; ") }

    public static func == (a: Matrix3, b: Matrix3) -> Bool { a.c0 == b.c0 && a.c1 == b.c1 && a.c2 == b.c2 }
    public func hash(into hasher: inout Hasher) { hasher.combine(c0); hasher.combine(c1); hasher.combine(c2) }

    private enum CodingKeys: String, CodingKey { case rows }
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(rows: try container.decode([[Double]].self, forKey: .rows))
    }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(rows, forKey: .rows)
    }
}

public func cross(_ a: Vector3, _ b: Vector3) -> Vector3 {
    Vector3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}

public func dot(_ a: Vector3, _ b: Vector3) -> Double { (a * b).sum() }

public func norm(_ a: Vector3) -> Double { dot(a, a).squareRoot() }
