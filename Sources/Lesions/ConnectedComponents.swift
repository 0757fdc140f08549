import Imaging

/// One connected component of a labelling.
public struct Component: Sendable, Equatable, Codable {
    /// Instance id in `ComponentLabeling.instances` (1-based).
    public var id: Int32
    /// The label value its voxels carry in the input map.
    public var label: Int
    public var voxelCount: Int
}

/// The result of connected-component labelling: an instance map and one entry per component.
public struct ComponentLabeling: Sendable, Equatable {
    /// 0 for background; components numbered 1...n in memory order (i fastest) of their first voxel.
    public var instances: Volume<Int32>
    /// `components[id - 1]` describes instance `id`.
    public var components: [Component]
}

extension ComponentLabeling {
    /// The instances of an instance map (ids 1...n in memory order of their first voxel, as every
    /// labelling here numbers them) over the class map `labels`, each instance taking its first
    /// voxel's label.
    /// - Throws: `LesionsError.invalidArgument` when the ids are not numbered that way, or an instance
    ///   covers background or two labels.
    public init(instanceMap: Volume<Int32>, labels: LabelMap) throws {
        guard instanceMap.size == labels.size else {
            throw LesionsError.invalidArgument("instance map of \(instanceMap.size) voxels on a label map of \(labels.size)")
        }
        var components: [Component] = []
        for (index, id) in instanceMap.voxels.enumerated() where id != 0 || labels.voxels[index] != 0 {
            let label = Int(labels.voxels[index])
            if Int(id) == components.count + 1 {
                components.append(Component(id: id, label: label, voxelCount: 0))
            }
            guard id > 0, label != 0, Int(id) <= components.count, components[Int(id) - 1].label == label else {
                throw LesionsError.invalidArgument("instance map voxel \(index) holds id \(id) over label \(label): ids must be 1...n in memory order, each over one label")
            }
            components[Int(id) - 1].voxelCount += 1
        }
        self.init(instances: instanceMap, components: components)
    }
}

/// Connected components in 3D by a two-pass union-find over runs of equal voxels along i
/// (`RowRuns`): a row-run scan, unions between overlapping runs of the preceding rows the
/// connectivity reaches, then one write of the instance map.
///
/// Voxels with value 0 are background. Neighbouring voxels join only when they carry the same
/// value, so a multi-label map is split per label in one pass (as cc3d does). Edge cases: an
/// all-zero map gives no components and an all-zero instance map; the grid border is not a
/// neighbour (nothing wraps); 1-voxel-thick grids (any axis) are ordinary grids.
/// Instance ids are `Int32` (the `Volume<Int32>` instance-map convention); a map with 2^31 runs
/// or more (over 2^31 voxels) stops on a precondition.
public enum ConnectedComponents {
    /// - Parameter withinSlices: join voxels only inside each k-slice (2D labelling of every slice;
    ///   6 gives 4-connectivity in the slice, 18 and 26 give 8-connectivity).
    public static func label(_ map: LabelMap, connectivity: Connectivity, withinSlices: Bool = false) -> ComponentLabeling {
        labelAny(map, connectivity: connectivity, withinSlices: withinSlices)
    }

    /// Components of an instance or integer map (same rules; e.g. to split instances further).
    public static func label(_ map: Volume<Int32>, connectivity: Connectivity, withinSlices: Bool = false) -> ComponentLabeling {
        labelAny(map, connectivity: connectivity, withinSlices: withinSlices)
    }

    // Generic core, specialised inside this module for the public entry points above.
    static func labelAny<Voxel: FixedWidthInteger & Sendable>(
        _ map: Volume<Voxel>, connectivity: Connectivity, withinSlices: Bool
    ) -> ComponentLabeling {
        let n = map.size
        let runs = RowRuns<Voxel>(scanning: map)
        let reaches = neighbourRows(connectivity, withinSlices: withinSlices)
        // Union-find over run indices; a set's root is its smallest index, so parent[r] <= r.
        var ids = [Int32](unsafeUninitializedCapacity: runs.count) { p, initialized in
            for r in 0..<p.count { p[r] = Int32(truncatingIfNeeded: r) }
            initialized = p.count
        }
        let components = ids.withUnsafeMutableBufferPointer { parent -> [Component] in
            runs.joinNeighbourRows(rowsPerSlice: n.y, slices: n.z, reaches: reaches, parent: parent)
            return runs.numberSets(parentThenID: parent)
        }
        let instances = runs.paint(geometry: map.geometry, ids: ids)
        return ComponentLabeling(instances: instances, components: components)
    }

    /// Rows preceding a row (dj, dk) that the connectivity reaches, with how far along i
    /// (0: the same i only, 1: also i +- 1), merged over the backward offsets.
    static func neighbourRows(_ connectivity: Connectivity, withinSlices: Bool) -> [(dj: Int, dk: Int, reach: Int32)] {
        var rows: [(dj: Int, dk: Int, reach: Int32)] = []
        for o in connectivity.backwardOffsets where !(o.y == 0 && o.z == 0) && !(withinSlices && o.z != 0) {
            if let idx = rows.firstIndex(where: { $0.dj == o.y && $0.dk == o.z }) {
                rows[idx].reach = max(rows[idx].reach, Int32(abs(o.x)))
            } else {
                rows.append((o.y, o.z, Int32(abs(o.x))))
            }
        }
        return rows
    }
}
