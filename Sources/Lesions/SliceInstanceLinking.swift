import Imaging

/// One 2D detection of a per-slice instance model: the voxels of slice `slice` that carry its
/// `id` in the detection map, with the detector's score and class label.
public struct SliceDetection: Sendable, Equatable, Codable {
    /// 1-based id in the detection map, unique over the whole volume.
    public var id: Int32
    /// The k-slice it was detected on.
    public var slice: Int
    public var label: Int
    public var score: Double

    public init(id: Int32, slice: Int, label: Int, score: Double) {
        self.id = id; self.slice = slice; self.label = label; self.score = score
    }
}

/// One 3D instance made of linked slice detections.
public struct LinkedInstance: Sendable, Equatable, Codable {
    /// Id in the linked instance map (1-based, memory order of the first voxel).
    public var id: Int32
    public var label: Int
    public var voxelCount: Int
    public var firstSlice: Int
    public var lastSlice: Int
    /// Mean and maximum of the detection scores over the instance's detections.
    public var scoreMean: Double
    public var scoreMax: Double
    /// The detection ids it is made of, ascending.
    public var detections: [Int32]
}

/// Links 2D detections on consecutive slices into 3D instances by mask overlap (tracking by
/// overlap; docs/INSTANCES.md states the rules):
///
/// - Two detections on neighbouring slices k and k+1, of the same label, overlap when they share
///   at least `minOverlap` of the smaller mask's voxels (a fraction, compared in the slice plane).
/// - Each detection keeps only its best overlap on each side: its largest overlap on the next
///   slice and on the previous one (ties: the lower id). Two detections are linked when either
///   is the other's best. So a lesion that appears as two pieces on some slices (one detection
///   above, two below) is linked into one instance, and two lesions detected separately on every
///   slice stay two even where they touch and their masks overlap a little across slices.
/// - Instances are the connected sets of links. A gap of one slice without a detection ends an
///   instance. Linking is symmetric: reversing the slice order gives the same instances.
///
/// Where a detector paints two lesions as one detection on some slice, the two are linked
/// through it into one instance: the detector's view cannot be undone here.
public enum SliceInstanceLinking {
    /// - Parameters:
    ///   - detectionMap: per-voxel detection id (0 = none); overlapping masks must already be
    ///     resolved (e.g. the higher score painted last).
    ///   - detections: `detections[id - 1]` describes id; its `slice` must be where its voxels are.
    ///   - minOverlap: in (0, 1].
    /// - Returns: the instance map (on the detection map's grid) and one entry per instance.
    /// - Throws: `LesionsError.invalidArgument` for a detection id without an entry, a voxel on
    ///   another slice than its detection's, or a `minOverlap` outside (0, 1].
    public static func link(detectionMap: Volume<Int32>, detections: [SliceDetection],
                            minOverlap: Double = 0.1) throws -> (instances: Volume<Int32>, linked: [LinkedInstance]) {
        guard minOverlap > 0, minOverlap <= 1 else {
            throw LesionsError.invalidArgument("instance linking overlap \(minOverlap); expected a fraction in (0, 1]")
        }
        for (index, d) in detections.enumerated() where d.id != Int32(index + 1) {
            throw LesionsError.invalidArgument("detection \(index + 1) carries id \(d.id); ids must be 1...\(detections.count) in order")
        }
        let n = detectionMap.size
        let plane = n.x * n.y
        var area = [Int](repeating: 0, count: detections.count + 1)
        try detectionMap.voxels.withUnsafeBufferPointer { v in
            for k in 0..<n.z {
                for p in 0..<plane {
                    let id = Int(v[k * plane + p])
                    guard id != 0 else { continue }
                    guard id > 0, id <= detections.count else {
                        throw LesionsError.invalidArgument("detection map holds id \(id) but \(detections.count) detections are listed")
                    }
                    guard detections[id - 1].slice == k else {
                        throw LesionsError.invalidArgument("detection \(id) is listed on slice \(detections[id - 1].slice) but has voxels on slice \(k)")
                    }
                    area[id] += 1
                }
            }
        }
        var parent = Array(0...detections.count)
        func root(_ a: Int) -> Int {
            var r = a
            while parent[r] != r { parent[r] = parent[parent[r]]; r = parent[r] }
            return r
        }
        for k in 0..<max(n.z - 1, 0) {
            let overlaps = sliceOverlaps(detectionMap, slice: k, detections: detections)
            var bestNext: [Int: (other: Int, count: Int)] = [:]
            var bestPrevious: [Int: (other: Int, count: Int)] = [:]
            for (pair, count) in overlaps.sorted(by: { $0.key.a != $1.key.a ? $0.key.a < $1.key.a : $0.key.b < $1.key.b }) {
                guard Double(count) >= minOverlap * Double(min(area[pair.a], area[pair.b])) else { continue }
                if count > bestNext[pair.a]?.count ?? 0 { bestNext[pair.a] = (pair.b, count) }
                if count > bestPrevious[pair.b]?.count ?? 0 { bestPrevious[pair.b] = (pair.a, count) }
            }
            for (a, best) in bestNext { parent[root(best.other)] = root(a) }
            for (b, best) in bestPrevious { parent[root(best.other)] = root(b) }
        }
        return number(detectionMap, detections: detections, root: root)
    }

    private struct Pair: Hashable { var a: Int; var b: Int }

    /// Voxel counts shared by detections on slice k (a) and k+1 (b) of the same label, counted
    /// per run of equal pairs along each row.
    private static func sliceOverlaps(_ map: Volume<Int32>, slice k: Int, detections: [SliceDetection]) -> [Pair: Int] {
        let plane = map.size.x * map.size.y
        var result: [Pair: Int] = [:]
        map.voxels.withUnsafeBufferPointer { v in
            let lower = k * plane, upper = (k + 1) * plane
            var p = 0
            while p < plane {
                let a = v[lower + p], b = v[upper + p]
                guard a != 0, b != 0 else { p += 1; continue }
                var run = 1
                while p + run < plane, v[lower + p + run] == a, v[upper + p + run] == b { run += 1 }
                if detections[Int(a) - 1].label == detections[Int(b) - 1].label {
                    result[Pair(a: Int(a), b: Int(b)), default: 0] += run
                }
                p += run
            }
        }
        return result
    }

    /// Paints the linked sets as instances numbered in memory order of their first voxel.
    private static func number(_ map: Volume<Int32>, detections: [SliceDetection],
                               root: (Int) -> Int) -> (instances: Volume<Int32>, linked: [LinkedInstance]) {
        var instanceOfRoot = [Int32](repeating: 0, count: detections.count + 1)
        var linked: [LinkedInstance] = []
        var voxels = [Int32](repeating: 0, count: map.voxels.count)
        let plane = map.size.x * map.size.y
        for (index, id) in map.voxels.enumerated() where id != 0 {
            let r = root(Int(id))
            if instanceOfRoot[r] == 0 {
                linked.append(LinkedInstance(id: Int32(linked.count + 1), label: detections[Int(id) - 1].label, voxelCount: 0,
                                             firstSlice: index / plane, lastSlice: index / plane,
                                             scoreMean: 0, scoreMax: 0, detections: []))
                instanceOfRoot[r] = Int32(linked.count)
            }
            let instance = instanceOfRoot[r]
            voxels[index] = instance
            linked[Int(instance) - 1].voxelCount += 1
        }
        for d in detections {
            let instance = instanceOfRoot[root(Int(d.id))]
            guard instance != 0 else { continue }  // a detection with no voxel left (fully painted over)
            var l = linked[Int(instance) - 1]
            l.detections.append(d.id)
            l.firstSlice = min(l.firstSlice, d.slice)
            l.lastSlice = max(l.lastSlice, d.slice)
            l.scoreMax = l.detections.count == 1 ? d.score : max(l.scoreMax, d.score)
            l.scoreMean += d.score
            linked[Int(instance) - 1] = l
        }
        for i in linked.indices { linked[i].scoreMean /= Double(linked[i].detections.count) }
        return (Volume(geometry: map.geometry, voxels: voxels), linked)
    }
}
