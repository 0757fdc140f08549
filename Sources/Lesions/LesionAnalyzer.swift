import Imaging

/// Measurements of one lesion (a connected component) or of all voxels of one label.
public struct LesionMeasurement: Sendable, Codable, Equatable {
    /// Instance id in the analysis' instance map; 0 for a per-label aggregate.
    public var id: Int
    public var label: Int
    public var voxelCount: Int
    /// Voxel count times voxel volume, millilitres.
    public var volumeML: Double
    public var shape: ShapeFeatures
    /// Inclusive voxel-index box (i, j, k).
    public var boundingBoxMinIndex: [Int]
    public var boundingBoxMaxIndex: [Int]
    /// Box extent along the voxel axes including whole voxels: (max - min + 1) * spacing, mm.
    public var boundingBoxSizeMM: [Double]
    /// Patient positions (LPS mm) of the centres of the box's first and last voxels.
    public var boundingBoxMinLPS: [Double]
    public var boundingBoxMaxLPS: [Double]
    /// True when a voxel lies on the first or last slice of the grid along any axis.
    public var touchesBorder: Bool
    /// Image statistics inside the region; nil without an image.
    public var intensity: IntensityStatistics?
    public var recist: RecistDiameters?
    /// An instance model's detection score of this lesion (mean and maximum over its slice
    /// detections); nil for lesions split from a semantic map and for per-label totals.
    public var detectionScore: InstanceScore? = nil
}

/// All measurements of one label: its lesions and the label as a whole.
public struct LabelMeasurements: Sendable, Codable, Equatable {
    public var label: Int
    public var lesionCount: Int
    public var total: LesionMeasurement
    public var lesions: [LesionMeasurement]
}

/// The measurement step of the pipeline: components per label, small-component removal, then
/// shape, intensity and RECIST measurements per lesion and per label (docs/MEASUREMENTS.md).
public enum LesionAnalyzer {
    /// - Parameters:
    ///   - labels: the semantic label map (0 = background).
    ///   - image: intensities on the same grid (e.g. HU), or nil for shape only.
    ///   - label: measure only this label; nil for every label present.
    ///   - minVolumeMM3: components smaller than this are dropped before measuring (also from the totals).
    ///   - splitting: how lesions are found: connected components (`connectivity`, the default) or the
    ///     watershed split that keeps touching lesions apart (docs/INSTANCES.md).
    /// - Returns: one entry per label present after the clean-up, ascending; lesions numbered in
    ///   memory order of their first voxel. An empty map gives an empty array.
    /// - Throws: `LesionsError.mismatchedGrids` when `image` is on another grid,
    ///   `.invalidArgument` for a negative minimum volume.
    public static func measure(labels: LabelMap, image: Volume<Float>? = nil, label: UInt8? = nil,
                               connectivity: Connectivity = .twentySix, minVolumeMM3: Double = 0,
                               splitting: InstanceSplitting? = nil) throws -> [LabelMeasurements] {
        if let image { try requireSameGrid(labels.geometry, image.geometry, "mask vs image") }
        var map = labels
        if let label { map = labels.map { $0 == label ? label : 0 } }
        if minVolumeMM3 != 0 {
            map = try LabelOperations.removingComponents(map, smallerThanMM3: minVolumeMM3, connectivity: connectivity)
        }
        let cc = try (splitting ?? .connectedComponents(connectivity)).instances(of: map)
        let boxes = boundingBoxes(cc.instances, count: cc.components.count)
        var result: [LabelMeasurements] = []
        for value in Set(cc.components.map(\.label)).sorted() {
            let lesions = cc.components.filter { $0.label == value }.map { c -> LesionMeasurement in
                let box = boxes[Int(c.id) - 1]
                let region = BinaryRegion(cc.instances, lo: box.lo, hi: box.hi) { $0 == c.id }
                var m = measurement(region, id: Int(c.id), label: value, image: image) { cc.instances.voxels[$0] == c.id }
                if case .detected(let detected)? = splitting { m.detectionScore = detected.scores[Int(c.id) - 1] }
                return m
            }
            if lesions.count == 1 {
                // One lesion holds every voxel of the label: the same region, so the same numbers.
                var total = lesions[0]
                total.id = 0
                total.detectionScore = nil
                result.append(LabelMeasurements(label: value, lesionCount: 1, total: total, lesions: lesions))
                continue
            }
            let lo = lesions.map { SIMD3($0.boundingBoxMinIndex[0], $0.boundingBoxMinIndex[1], $0.boundingBoxMinIndex[2]) }.reduce(labels.size) { pointwiseMin($0, $1) }
            let hi = lesions.map { SIMD3($0.boundingBoxMaxIndex[0], $0.boundingBoxMaxIndex[1], $0.boundingBoxMaxIndex[2]) }.reduce(SIMD3(-1, -1, -1)) { pointwiseMax($0, $1) }
            let v8 = UInt8(value)
            let all = BinaryRegion(map, lo: lo, hi: hi) { $0 == v8 }
            let total = measurement(all, id: 0, label: value, image: image) { map.voxels[$0] == v8 }
            result.append(LabelMeasurements(label: value, lesionCount: lesions.count, total: total, lesions: lesions))
        }
        return result
    }

    static func measurement(_ r: BinaryRegion, id: Int, label: Int, image: Volume<Float>?,
                            selected: (Int) -> Bool) -> LesionMeasurement {
        let g = r.geometry
        let hi = r.originIndex &+ r.size &- 1
        let lpsLo = g.indexToPatient(Vector3(r.originIndex)), lpsHi = g.indexToPatient(Vector3(hi))
        var intensity: IntensityStatistics?
        if let image {
            // Visit only the box: the selection is false elsewhere.
            var values: [Double] = []
            values.reserveCapacity(r.voxelCount)
            let n = g.size
            for k in r.originIndex.z...hi.z {
                for j in r.originIndex.y...hi.y {
                    let row = n.x * (j + n.y * k)
                    for i in r.originIndex.x...hi.x where selected(row + i) { values.append(Double(image.voxels[row + i])) }
                }
            }
            intensity = IntensityStatistics(values: values)
        }
        return LesionMeasurement(
            id: id, label: label, voxelCount: r.voxelCount,
            volumeML: Double(r.voxelCount) * g.voxelVolumeMM3 / 1000,
            shape: ShapeFeatures(r),
            boundingBoxMinIndex: [r.originIndex.x, r.originIndex.y, r.originIndex.z],
            boundingBoxMaxIndex: [hi.x, hi.y, hi.z],
            boundingBoxSizeMM: (0..<3).map { Double(r.size[$0]) * g.spacingMM[$0] },
            boundingBoxMinLPS: [lpsLo.x, lpsLo.y, lpsLo.z], boundingBoxMaxLPS: [lpsHi.x, lpsHi.y, lpsHi.z],
            touchesBorder: r.touchesBorder, intensity: intensity, recist: RecistDiameters(r))
    }

    /// Inclusive index boxes of instances 1...count in one pass.
    static func boundingBoxes(_ instances: Volume<Int32>, count: Int) -> [(lo: SIMD3<Int>, hi: SIMD3<Int>)] {
        let n = instances.size
        var boxes = [(lo: SIMD3<Int>, hi: SIMD3<Int>)](repeating: (n, SIMD3(-1, -1, -1)), count: count)
        instances.voxels.withUnsafeBufferPointer { v in
            for k in 0..<n.z {
                for j in 0..<n.y {
                    let row = n.x * (j + n.y * k)
                    for i in 0..<n.x where v[row + i] != 0 {
                        let b = Int(v[row + i]) - 1
                        let p = SIMD3(i, j, k)
                        boxes[b].lo = pointwiseMin(boxes[b].lo, p)
                        boxes[b].hi = pointwiseMax(boxes[b].hi, p)
                    }
                }
            }
        }
        return boxes
    }
}
