import Core
import Imaging

/// Errors of the lesion layer: masks that do not fit their image, arguments outside their domain,
/// outputs that cannot be written.
public enum LesionsError: Error, Equatable, CustomStringConvertible {
    /// Two volumes that must share a grid do not (names both grids).
    case mismatchedGrids(String)
    /// A caller passed an argument outside its domain (negative radius, unknown connectivity).
    case invalidArgument(String)
    /// A metric is undefined for this input (e.g. a surface distance with an empty mask).
    case undefinedMetric(String)
    /// A mesh or contour file could not be written.
    case outputFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .mismatchedGrids(let m): return "grids do not match: \(m)"
        case .invalidArgument(let m): return "invalid argument: \(m)"
        case .undefinedMetric(let m): return "metric undefined: \(m)"
        case .outputFailed(let path, let reason): return "cannot write '\(path)': \(reason)"
        }
    }
}

extension LesionsError: CategorizedError {
    public var category: ErrorCategory {
        switch self {
        case .mismatchedGrids, .undefinedMetric: return .badInput
        case .invalidArgument: return .invalidArgument
        case .outputFailed: return .outputFailed
        }
    }
}

/// Throws `LesionsError.mismatchedGrids` unless both geometries describe the same grid.
func requireSameGrid(_ a: VolumeGeometry, _ b: VolumeGeometry, _ what: String) throws {
    guard a.isSameGrid(as: b) else {
        throw LesionsError.mismatchedGrids("\(what): \(a) vs \(b)")
    }
}
