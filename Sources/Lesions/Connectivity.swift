/// Voxel neighbourhoods in 3D: faces (6), faces and edges (18), faces, edges and corners (26).
public enum Connectivity: Int, Sendable, Codable, CaseIterable {
    case six = 6
    case eighteen = 18
    case twentySix = 26

    /// - Throws: `LesionsError.invalidArgument` for anything but 6, 18 or 26.
    public init(neighbours: Int) throws {
        guard let c = Connectivity(rawValue: neighbours) else {
            throw LesionsError.invalidArgument("connectivity \(neighbours); expected 6, 18 or 26")
        }
        self = c
    }

    /// Neighbour offsets (di, dj, dk) that precede a voxel in memory order (half the neighbourhood).
    var backwardOffsets: [SIMD3<Int>] {
        var result: [SIMD3<Int>] = []
        for dk in -1...0 {
            for dj in -1...1 {
                for di in -1...1 {
                    let o = SIMD3(di, dj, dk)
                    let nonZero = (di != 0 ? 1 : 0) + (dj != 0 ? 1 : 0) + (dk != 0 ? 1 : 0)
                    let precedes = dk < 0 || (dk == 0 && (dj < 0 || (dj == 0 && di < 0)))
                    guard precedes, nonZero > 0 else { continue }
                    if nonZero <= maxNonZeroAxes { result.append(o) }
                }
            }
        }
        return result
    }

    /// All neighbour offsets (both directions).
    var offsets: [SIMD3<Int>] { backwardOffsets + backwardOffsets.map { $0 &* -1 } }

    /// How many axes a neighbour offset may move along.
    var maxNonZeroAxes: Int {
        switch self {
        case .six: return 1
        case .eighteen: return 2
        case .twentySix: return 3
        }
    }
}
