import Imaging

/// How lesions of two time points are paired (docs/TRACKING.md).
public struct LesionMatchOptions: Codable, Equatable, Sendable {
    /// Pairs whose overlap (Dice of the current lesion and the prior lesion mapped onto the current
    /// grid) is at least this are matched first, highest Dice first.
    public var minimumDice: Double
    /// Lesions left unpaired by overlap are then paired when their centroids (the prior's mapped through
    /// the registration) are at most this far apart, closest first.
    public var maxCentroidDistanceMM: Double

    public init(minimumDice: Double = 0.1, maxCentroidDistanceMM: Double = 10) {
        self.minimumDice = minimumDice; self.maxCentroidDistanceMM = maxCentroidDistanceMM
    }
}

/// One row of a matching: a pair, a new lesion (no prior) or a gone one (no current).
public struct LesionMatch: Codable, Equatable, Sendable {
    public enum Method: String, Codable, Sendable { case overlap, centroid, new, gone }
    /// Component id (`LesionMeasurement.id`) in the current labelling; nil for a gone lesion.
    public var currentID: Int?
    /// Component id in the prior labelling; nil for a new lesion.
    public var priorID: Int?
    public var label: Int
    public var method: Method
    /// Dice of the pair after registration (0 when they do not overlap).
    public var dice: Double?
    /// Distance of the centroids after registration, mm.
    public var distanceMM: Double?
}

/// Pairs the lesions (connected components) of a current and a prior label map, same label only,
/// one to one: by overlap first, then by centroid distance within a tolerance.
public enum LesionMatcher {
    /// - Parameters:
    ///   - current, prior: the two labellings (`ConnectedComponents.label` of each run's label map).
    ///   - priorToCurrent: maps a prior patient point to the current patient point of the same anatomy
    ///     (the identity when both share a frame of reference; else a registration's result).
    /// - Returns: pairs (by decreasing Dice, then increasing distance), then new, then gone lesions.
    /// - Complexity: O(current lesion voxels + pairs log pairs).
    public static func match(current: ComponentLabeling, prior: ComponentLabeling, priorToCurrent: AffineTransform3,
                             options: LesionMatchOptions = LesionMatchOptions()) -> [LesionMatch] {
        guard let currentToPrior = priorToCurrent.inverse else { return [] }
        let cg = current.instances.geometry, pg = prior.instances.geometry
        let currentVoxelML = cg.voxelVolumeMM3 / 1000, priorVoxelML = pg.voxelVolumeMM3 / 1000
        // Overlap counts of (current id, prior id), visiting current lesion voxels only.
        var overlap = [Int64: Int]()
        var sums = [Int: Vector3](), counts = [Int: Int]()
        var priorSums = [Int: Vector3]()
        let n = cg.size, pn = pg.size
        for k in 0..<n.z { for j in 0..<n.y { for i in 0..<n.x {
            let c = Int(current.instances.voxels[i + n.x * (j + n.y * k)])
            guard c != 0 else { continue }
            let point = cg.indexToPatient(Vector3(Double(i), Double(j), Double(k)))
            sums[c, default: .zero] += point
            counts[c, default: 0] += 1
            let q = pg.patientToIndex(currentToPrior.apply(point)).rounded(.toNearestOrAwayFromZero)
            guard q.x >= 0, q.y >= 0, q.z >= 0, q.x < Double(pn.x), q.y < Double(pn.y), q.z < Double(pn.z) else { continue }
            let p = Int(prior.instances.voxels[Int(q.x) + pn.x * (Int(q.y) + pn.y * Int(q.z))])
            if p != 0 { overlap[Int64(c) << 32 | Int64(p), default: 0] += 1 }
        }}}
        for k in 0..<pn.z { for j in 0..<pn.y { for i in 0..<pn.x {
            let p = Int(prior.instances.voxels[i + pn.x * (j + pn.y * k)])
            if p != 0 { priorSums[p, default: .zero] += pg.indexToPatient(Vector3(Double(i), Double(j), Double(k))) }
        }}}
        let currentByID = Dictionary(uniqueKeysWithValues: current.components.map { (Int($0.id), $0) })
        let priorByID = Dictionary(uniqueKeysWithValues: prior.components.map { (Int($0.id), $0) })
        func centroid(_ id: Int) -> Vector3 { sums[id, default: .zero] / Double(max(1, counts[id, default: 1])) }
        func priorCentroid(_ id: Int) -> Vector3 {
            priorToCurrent.apply(priorSums[id, default: .zero] / Double(max(1, priorByID[id]?.voxelCount ?? 1)))
        }
        var candidates: [(dice: Double, distance: Double, current: Int, prior: Int, method: LesionMatch.Method)] = []
        for (key, count) in overlap {
            let c = Int(key >> 32), p = Int(key & 0xffff_ffff)
            guard let a = currentByID[c], let b = priorByID[p], a.label == b.label else { continue }
            let dice = 2 * Double(count) * currentVoxelML / (Double(a.voxelCount) * currentVoxelML + Double(b.voxelCount) * priorVoxelML)
            if dice >= options.minimumDice { candidates.append((dice, norm(centroid(c) - priorCentroid(p)), c, p, .overlap)) }
        }
        candidates.sort { ($1.dice, $0.distance, $0.current, $0.prior) < ($0.dice, $1.distance, $1.current, $1.prior) }
        var byDistance: [(dice: Double, distance: Double, current: Int, prior: Int, method: LesionMatch.Method)] = []
        for a in current.components { for b in prior.components where a.label == b.label {
            let d = norm(centroid(Int(a.id)) - priorCentroid(Int(b.id)))
            if d <= options.maxCentroidDistanceMM {
                let count = overlap[Int64(a.id) << 32 | Int64(b.id)] ?? 0
                let dice = 2 * Double(count) * currentVoxelML / (Double(a.voxelCount) * currentVoxelML + Double(b.voxelCount) * priorVoxelML)
                byDistance.append((dice, d, Int(a.id), Int(b.id), .centroid))
            }
        }}
        byDistance.sort { ($0.distance, $0.current, $0.prior) < ($1.distance, $1.current, $1.prior) }
        var usedCurrent = Set<Int>(), usedPrior = Set<Int>()
        var result = [LesionMatch]()
        for pair in candidates + byDistance where !usedCurrent.contains(pair.current) && !usedPrior.contains(pair.prior) {
            usedCurrent.insert(pair.current); usedPrior.insert(pair.prior)
            result.append(LesionMatch(currentID: pair.current, priorID: pair.prior, label: currentByID[pair.current]!.label,
                                      method: pair.method, dice: pair.dice, distanceMM: pair.distance))
        }
        for c in current.components where !usedCurrent.contains(Int(c.id)) {
            result.append(LesionMatch(currentID: Int(c.id), priorID: nil, label: c.label, method: .new, dice: nil, distanceMM: nil))
        }
        for p in prior.components where !usedPrior.contains(Int(p.id)) {
            result.append(LesionMatch(currentID: nil, priorID: Int(p.id), label: p.label, method: .gone, dice: nil, distanceMM: nil))
        }
        return result
    }
}
