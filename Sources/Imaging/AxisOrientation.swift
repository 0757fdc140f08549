/// Orientation codes ("LPS", "RAS", "PIR", ...) and the axis permutation/flip between two of them.
///
/// A code names, for each voxel axis, the patient direction it increases towards. Letters:
/// L/R (patient x), P/A (y), S/I (z); in LPS coordinates L, P and S are the positive directions.
public enum AxisOrientation {
    /// One voxel axis mapped to a patient axis (0 = x L/R, 1 = y P/A, 2 = z S/I) and a sign (+1 towards L, P or S).
    public struct AxisMapping: Equatable, Sendable {
        public var patientAxis: Int
        public var sign: Int
    }

    static let positiveLetters: [Character] = ["L", "P", "S"]
    static let negativeLetters: [Character] = ["R", "A", "I"]

    /// The mapping of each voxel axis to its closest patient axis, chosen jointly over the six
    /// permutations so that an oblique grid never maps two voxel axes to one patient axis.
    public static func mappings(for direction: Matrix3) -> [AxisMapping] {
        let perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        var best = perms[0]
        var bestScore = -Double.infinity
        for p in perms {
            let score = (0..<3).reduce(0.0) { $0 + abs(direction.column($1)[p[$1]]) }
            if score > bestScore + 1e-12 { best = p; bestScore = score }
        }
        return (0..<3).map { axis in
            let value = direction.column(axis)[best[axis]]
            return AxisMapping(patientAxis: best[axis], sign: value >= 0 ? 1 : -1)
        }
    }

    public static func code(for direction: Matrix3) -> String {
        String(mappings(for: direction).map { $0.sign > 0 ? positiveLetters[$0.patientAxis] : negativeLetters[$0.patientAxis] })
    }

    /// Parses a code such as "RAS" (case-insensitive).
    /// - Throws: `ImagingError.invalidArgument` unless it has one letter of each pair.
    public static func parse(_ code: String) throws -> [AxisMapping] {
        let letters = Array(code.uppercased())
        guard letters.count == 3 else { throw ImagingError.invalidArgument("orientation code '\(code)' must have 3 letters") }
        var result = [AxisMapping]()
        for letter in letters {
            if let p = positiveLetters.firstIndex(of: letter) { result.append(AxisMapping(patientAxis: p, sign: 1)) }
            else if let n = negativeLetters.firstIndex(of: letter) { result.append(AxisMapping(patientAxis: n, sign: -1)) }
            else { throw ImagingError.invalidArgument("orientation code '\(code)': '\(letter)' is not one of L R P A S I") }
        }
        guard Set(result.map(\.patientAxis)).count == 3 else {
            throw ImagingError.invalidArgument("orientation code '\(code)' names one patient axis twice")
        }
        return result
    }
}

/// How to turn one voxel order into another: new axis `t` reads source axis `sourceAxis[t]`,
/// reversed when `flip[t]`.
public struct AxisPermutation: Equatable, Sendable {
    public var sourceAxis: [Int]
    public var flip: [Bool]

    public var isIdentity: Bool { sourceAxis == [0, 1, 2] && flip == [false, false, false] }

    /// The permutation that brings a grid of orientation `direction` to the orientation `code`.
    public init(from direction: Matrix3, to code: String) throws {
        let target = try AxisOrientation.parse(code)
        let source = AxisOrientation.mappings(for: direction)
        sourceAxis = []
        flip = []
        for t in target {
            guard let s = source.firstIndex(where: { $0.patientAxis == t.patientAxis }) else {
                preconditionFailure("mappings(for:) always covers the three patient axes")
            }
            sourceAxis.append(s)
            flip.append(source[s].sign != t.sign)
        }
    }

    /// The geometry after applying this permutation: same voxel centres, new order.
    public func apply(to g: VolumeGeometry) -> VolumeGeometry {
        var size = SIMD3<Int>(0, 0, 0)
        var spacing = Vector3.zero
        var columns = [Vector3]()
        var originIndex = Vector3.zero
        for t in 0..<3 {
            let s = sourceAxis[t]
            size[t] = g.size[s]
            spacing[t] = g.spacingMM[s]
            let col = g.direction.column(s)
            columns.append(flip[t] ? -col : col)
            if flip[t] { originIndex[s] = Double(g.size[s] - 1) }
        }
        return VolumeGeometry(size: size, spacingMM: spacing, originLPS: g.indexToPatient(originIndex),
                              direction: Matrix3(columns: columns[0], columns[1], columns[2]))
    }
}
