import Core

/// Errors of the imaging core: geometry that cannot describe a grid, mismatched volumes.
public enum ImagingError: Error, Equatable, CategorizedError {
    case invalidGeometry(String)
    case mismatchedGrids(String)
    case invalidArgument(String)

    public var category: ErrorCategory {
        switch self {
        case .invalidGeometry, .mismatchedGrids: return .badInput
        case .invalidArgument: return .invalidArgument
        }
    }

    public var description: String {
        switch self {
        case .invalidGeometry(let m): return "invalid geometry: \(m)"
        case .mismatchedGrids(let m): return "grids do not match: \(m)"
        case .invalidArgument(let m): return "invalid argument: \(m)"
        }
    }
}
