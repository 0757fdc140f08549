import Foundation
import Imaging

/// Reads the transform elastix writes (`TransformParameters.0.txt`) into SegStation's LPS model.
///
/// elastix (through ITK) works in LPS physical space, like `VolumeGeometry`, and its transform maps
/// a FIXED-image point to the MOVING-image point: `T(x) = R (x - c) + c + t` with the centre of
/// rotation `c` (`CenterOfRotationPoint`). Supported: `EulerTransform` (3 angles in radians, then
/// the translation; ITK composes `R = Rz Rx Ry` unless `ComputeZYX "true"`, then `Rz Ry Rx`),
/// `AffineTransform` (the 9 matrix entries row by row, then the translation), and
/// `TranslationTransform`. A chained initial transform (`InitialTransformParametersFileName`) is
/// refused: SegStation's parameter files never write one.
enum ElastixTransformFile {
    /// - Throws: `RegistrationError.failed` naming the file and the missing or malformed entry.
    static func parse(_ text: String, file: String) throws -> AffineTransform3 {
        let entries = entries(text)
        func numbers(_ key: String, count: Int) throws -> [Double] {
            guard let values = entries[key], values.count == count else {
                throw RegistrationError.failed("\(file): (\(key) ...) has \(entries[key]?.count ?? 0) values; expected \(count)")
            }
            let parsed = values.compactMap(Double.init)
            guard parsed.count == count, parsed.allSatisfy(\.isFinite) else {
                throw RegistrationError.failed("\(file): (\(key) \(values.joined(separator: " "))) is not \(count) finite numbers")
            }
            return parsed
        }
        guard let kind = entries["Transform"]?.first else { throw RegistrationError.failed("\(file): no (Transform ...) entry") }
        if let initial = entries["InitialTransformParametersFileName"]?.first, initial != "NoInitialTransform" {
            throw RegistrationError.failed("\(file): chained initial transform \(initial) is not supported")
        }
        guard entries["FixedImageDimension"]?.first == "3" else { throw RegistrationError.failed("\(file): not a 3D transform") }
        switch kind {
        case "EulerTransform":
            let p = try numbers("TransformParameters", count: 6)
            let c = try numbers("CenterOfRotationPoint", count: 3)
            let zyx = entries["ComputeZYX"]?.first == "true"
            return AffineTransform3(matrix: eulerMatrix(p[0], p[1], p[2], zyx: zyx), centre: Vector3(c[0], c[1], c[2]),
                                    translation: Vector3(p[3], p[4], p[5]))
        case "AffineTransform":
            let p = try numbers("TransformParameters", count: 12)
            let c = try numbers("CenterOfRotationPoint", count: 3)
            let m = Matrix3(rows: [Array(p[0..<3]), Array(p[3..<6]), Array(p[6..<9])])
            return AffineTransform3(matrix: m, centre: Vector3(c[0], c[1], c[2]), translation: Vector3(p[9], p[10], p[11]))
        case "TranslationTransform":
            let p = try numbers("TransformParameters", count: 3)
            return AffineTransform3(translation: Vector3(p[0], p[1], p[2]))
        default:
            throw RegistrationError.failed("\(file): transform \(kind) is not supported (EulerTransform, AffineTransform, TranslationTransform)")
        }
    }

    /// ITK `Euler3DTransform::ComputeMatrix`: `Rz Rx Ry` (default) or `Rz Ry Rx` (`ComputeZYX`).
    static func eulerMatrix(_ ax: Double, _ ay: Double, _ az: Double, zyx: Bool) -> Matrix3 {
        let rx = Matrix3(rows: [[1, 0, 0], [0, cos(ax), -sin(ax)], [0, sin(ax), cos(ax)]])
        let ry = Matrix3(rows: [[cos(ay), 0, sin(ay)], [0, 1, 0], [-sin(ay), 0, cos(ay)]])
        let rz = Matrix3(rows: [[cos(az), -sin(az), 0], [sin(az), cos(az), 0], [0, 0, 1]])
        return zyx ? rz * ry * rx : rz * rx * ry
    }

    /// `(Key value value ...)` lines, quotes removed; `//` comments ignored.
    static func entries(_ text: String) -> [String: [String]] {
        var result = [String: [String]]()
        for raw in text.split(whereSeparator: \.isNewline) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if let comment = line.range(of: "//") { line = String(line[..<comment.lowerBound]).trimmingCharacters(in: .whitespaces) }
            guard line.hasPrefix("("), line.hasSuffix(")") else { continue }
            let words = line.dropFirst().dropLast().split(separator: " ").map { $0.replacingOccurrences(of: "\"", with: "") }
            guard let key = words.first else { continue }
            result[key] = Array(words.dropFirst())
        }
        return result
    }
}
