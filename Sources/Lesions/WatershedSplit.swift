import HeapModule
import Imaging

/// Splits touching objects of a semantic label map into instances: a marker-controlled watershed
/// on the Euclidean distance transform, the alternative to connected components when no instance
/// model exists (docs/INSTANCES.md).
///
/// Per connected component (26-connected, one label at a time):
/// 1. the distance (mm) of every voxel to the nearest voxel outside the component
///    (`DistanceTransform`, inside the component's bounding box grown by one voxel; the grid
///    border is not "outside", as in scipy's `distance_transform_edt`);
/// 2. markers: plateaus of local maxima (a 26-connected set of equal distances with no higher
///    neighbour), strongest first, each kept only when its first voxel lies at least
///    `minDistanceMM` from every marker kept before it;
/// 3. flooding from the markers in order of decreasing distance (Meyer's priority flood; ties
///    go to the voxel queued first), never leaving the component. Where two basins meet, they
///    stay apart only if the neck between them is at least `minNeckDepthMM` shallower than the
///    lower of their two peaks (the "dynamics" rule): a tube whose discretised centre line
///    wobbles by a fraction of a voxel stays whole, two spheres joined by a narrow neck split.
///
/// A component with one marker stays whole, so `minDistanceMM` larger than any object gives
/// exactly the connected components. The result is numbered like `ConnectedComponents`:
/// instances 1...n in memory order of their first voxel, each carrying its input label.
public enum WatershedSplit {
    /// - Parameters:
    ///   - map: semantic labels, 0 = background.
    ///   - minDistanceMM: the smallest distance between two markers (patient mm); > 0.
    ///   - minNeckDepthMM: how much lower than both peaks a neck must lie to separate two basins
    ///     (mm of distance); >= 0.
    ///   - connectivity: the neighbourhood of the components and of the flood.
    /// - Throws: `LesionsError.invalidArgument` for a distance or depth that is not finite and positive,
    ///   `.invalidArgument` for a grid whose direction is not orthonormal (distances need one).
    public static func split(_ map: LabelMap, minDistanceMM: Double, minNeckDepthMM: Double = 1,
                             connectivity: Connectivity = .twentySix) throws -> ComponentLabeling {
        guard minDistanceMM.isFinite, minDistanceMM > 0 else {
            throw LesionsError.invalidArgument("watershed minimum distance \(minDistanceMM) mm; expected a positive number of mm")
        }
        guard minNeckDepthMM.isFinite, minNeckDepthMM >= 0 else {
            throw LesionsError.invalidArgument("watershed neck depth \(minNeckDepthMM) mm; expected 0 or a positive number of mm")
        }
        guard map.geometry.isOrthonormal() else {
            throw LesionsError.invalidArgument("watershed split needs an orthonormal grid (sheared voxel axes)")
        }
        let cc = ConnectedComponents.label(map, connectivity: connectivity)
        let n = map.size
        var basins = [Int32](repeating: 0, count: map.voxels.count)
        var nextBasin: Int32 = 0
        let boxes = LesionAnalyzer.boundingBoxes(cc.instances, count: cc.components.count)
        let spacing = map.geometry.spacingMM
        for component in cc.components {
            let box = boxes[Int(component.id) - 1]
            // Two markers need two voxels minDistanceMM apart: a box whose diagonal is shorter
            // cannot hold them, so the component stays whole without a distance transform.
            let diagonal = Vector3(box.hi &- box.lo) * spacing
            if (diagonal * diagonal).sum().squareRoot() < minDistanceMM {
                nextBasin += 1
                for k in box.lo.z...box.hi.z { for j in box.lo.y...box.hi.y { for i in box.lo.x...box.hi.x {
                    let index = i + n.x * (j + n.y * k)
                    if cc.instances.voxels[index] == component.id { basins[index] = nextBasin }
                } } }
                continue
            }
            let crop = Crop(box: box, grid: n)
            let distance = crop.distances(of: component.id, in: cc.instances, spacingMM: spacing)
            let markers = crop.markers(distance: distance, minDistanceMM: minDistanceMM,
                                       spacingMM: spacing, connectivity: connectivity)
            crop.flood(distance: distance, markers: markers, minNeckDepth: minNeckDepthMM, firstBasin: nextBasin + 1,
                       connectivity: connectivity, into: &basins)
            nextBasin += Int32(markers.count)
        }
        // Number basins in memory order, as connected components are numbered; each basin is
        // connected (the flood only grows through neighbours), so labelling the basin map keeps it whole.
        let numbered = ConnectedComponents.label(Volume(geometry: map.geometry, voxels: basins), connectivity: connectivity)
        var components = numbered.components
        var firstVoxel = [Int](repeating: -1, count: components.count)
        for (index, id) in numbered.instances.voxels.enumerated() where id != 0 && firstVoxel[Int(id) - 1] < 0 {
            firstVoxel[Int(id) - 1] = index
        }
        for c in components.indices { components[c].label = Int(map.voxels[firstVoxel[c]]) }
        return ComponentLabeling(instances: numbered.instances, components: components)
    }
}

/// The bounding box of one component grown by one voxel (clamped to the grid), where its
/// distances, markers and flood are computed.
private struct Crop {
    let origin: SIMD3<Int>
    let size: SIMD3<Int>
    let grid: SIMD3<Int>

    init(box: (lo: SIMD3<Int>, hi: SIMD3<Int>), grid: SIMD3<Int>) {
        let lo = pointwiseMax(box.lo &- 1, SIMD3(repeating: 0))
        let hi = pointwiseMin(box.hi &+ 1, grid &- 1)
        origin = lo
        size = hi &- lo &+ 1
        self.grid = grid
    }

    var count: Int { size.x * size.y * size.z }

    /// Index in the full grid of the crop's voxel `c` (crop memory order).
    @inline(__always) func gridIndex(_ c: Int) -> Int {
        let i = c % size.x, j = (c / size.x) % size.y, k = c / (size.x * size.y)
        return (origin.x + i) + grid.x * ((origin.y + j) + grid.y * (origin.z + k))
    }

    @inline(__always) func coordinates(_ c: Int) -> SIMD3<Int> {
        SIMD3(c % size.x, (c / size.x) % size.y, c / (size.x * size.y))
    }

    /// Distance (mm) to the nearest voxel not in the component; 0 outside it.
    func distances(of id: Int32, in instances: Volume<Int32>, spacingMM: Vector3) -> [Double] {
        var feature = [Bool](repeating: true, count: count)
        for c in 0..<count where instances.voxels[gridIndex(c)] == id { feature[c] = false }
        // Voxels on a crop face that is the grid border have no "outside" beyond them: scipy's rule.
        return DistanceTransform.squaredMM(feature: feature, size: size, spacingMM: spacingMM).map { $0.squareRoot() }
    }

    /// Neighbours of crop voxel `c` inside the crop.
    @inline(__always) func forEachNeighbour(of c: Int, _ offsets: [SIMD3<Int>], _ body: (Int) -> Void) {
        let p = coordinates(c)
        for o in offsets {
            let q = p &+ o
            guard q.x >= 0, q.y >= 0, q.z >= 0, q.x < size.x, q.y < size.y, q.z < size.z else { continue }
            body(q.x + size.x * (q.y + size.y * q.z))
        }
    }

    /// Marker plateaus kept after the minimum-distance rule, strongest first; each is the list of
    /// its crop voxels.
    func markers(distance: [Double], minDistanceMM: Double, spacingMM: Vector3,
                 connectivity: Connectivity) -> [[Int]] {
        let offsets = connectivity.offsets
        var isPeak = [Bool](repeating: false, count: count)
        for c in 0..<count where distance[c] > 0 {
            var highest = true
            forEachNeighbour(of: c, offsets) { if distance[$0] > distance[c] { highest = false } }
            isPeak[c] = highest
        }
        // Plateaus: connected sets of peak voxels with the same distance. A plateau touching a
        // higher voxel cannot exist: every member of it would have seen that voxel.
        var visited = [Bool](repeating: false, count: count)
        var plateaus: [(height: Double, voxels: [Int])] = []
        for c in 0..<count where isPeak[c] && !visited[c] {
            var members = [c], stack = [c]
            visited[c] = true
            while let v = stack.popLast() {
                forEachNeighbour(of: v, offsets) { w in
                    if isPeak[w], !visited[w], distance[w] == distance[c] {
                        visited[w] = true; members.append(w); stack.append(w)
                    }
                }
            }
            plateaus.append((distance[c], members.sorted()))
        }
        // Strongest first; equal heights in memory order of their first voxel (deterministic).
        plateaus.sort { $0.height != $1.height ? $0.height > $1.height : $0.voxels[0] < $1.voxels[0] }
        var kept: [[Int]] = []
        var keptPoints: [Vector3] = []
        for plateau in plateaus {
            let p = Vector3(coordinates(plateau.voxels[0])) * spacingMM
            let farEnough = keptPoints.allSatisfy { q in
                let d = p - q
                return (d.x * d.x + d.y * d.y + d.z * d.z).squareRoot() >= minDistanceMM
            }
            if farEnough { kept.append(plateau.voxels); keptPoints.append(p) }
        }
        return kept
    }

    /// Meyer's priority flood from the markers over the component (distance > 0), writing basin
    /// ids `firstBasin`, `firstBasin + 1`, ... into the full-grid `basins`. Basins that meet at a
    /// neck less than `minNeckDepth` below the lower of their peaks become one (union-find; the
    /// flood reaches the highest neck between two basins first, so that is the one judged).
    func flood(distance: [Double], markers: [[Int]], minNeckDepth: Double, firstBasin: Int32,
               connectivity: Connectivity, into basins: inout [Int32]) {
        var basin = [Int32](repeating: -1, count: count)  // -1: not reached; else a marker index
        var parent = Array(0..<markers.count)
        var peak = markers.map { distance[$0[0]] }
        func root(_ m: Int) -> Int {
            var r = m
            while parent[r] != r { parent[r] = parent[parent[r]]; r = parent[r] }
            return r
        }
        var heap = Heap<FloodEntry>()
        var order = 0
        let offsets = connectivity.offsets
        for (m, voxels) in markers.enumerated() {
            for v in voxels { basin[v] = Int32(m) }
        }
        // A voxel joins the basin of the neighbour that queues it first (as scikit-image's flood
        // does), so each voxel is queued once.
        func reach(from v: Int) {
            forEachNeighbour(of: v, offsets) { w in
                guard distance[w] > 0 else { return }
                let mine = root(Int(basin[v]))  // again per neighbour: a union below may move it
                if basin[w] < 0 {
                    basin[w] = Int32(mine)
                    heap.insert(FloodEntry(height: distance[w], order: order, voxel: w))
                    order += 1
                    return
                }
                let other = root(Int(basin[w]))
                if other != mine, Swift.min(peak[mine], peak[other]) - Swift.min(distance[v], distance[w]) < minNeckDepth {
                    let (keep, gone) = mine < other ? (mine, other) : (other, mine)
                    parent[gone] = keep
                    peak[keep] = Swift.max(peak[keep], peak[gone])
                }
            }
        }
        for voxels in markers { for v in voxels { reach(from: v) } }
        while let e = heap.popMax() { reach(from: e.voxel) }
        for c in 0..<count where basin[c] >= 0 {
            basins[gridIndex(c)] = firstBasin + Int32(root(Int(basin[c])))
        }
    }
}

/// A voxel waiting in the flood: higher distance first, then first queued first.
private struct FloodEntry: Comparable {
    var height: Double
    var order: Int
    var voxel: Int

    static func < (a: FloodEntry, b: FloodEntry) -> Bool {
        a.height != b.height ? a.height < b.height : a.order > b.order
    }

    static func == (a: FloodEntry, b: FloodEntry) -> Bool { a.height == b.height && a.order == b.order }
}
