/// A 3D scalar image on a patient-space grid. Voxels are stored with i fastest, then j, then k
/// (the memory order of NIfTI, NRRD and DICOM frames stacked along k).
public struct Volume<Voxel>: Sendable where Voxel: Sendable {
    public var geometry: VolumeGeometry
    public var voxels: [Voxel]

    /// - Precondition: `voxels.count == geometry.voxelCount`.
    public init(geometry: VolumeGeometry, voxels: [Voxel]) {
        precondition(voxels.count == geometry.voxelCount,
                     "Volume: \(voxels.count) voxels for a \(geometry.size) grid")
        self.geometry = geometry
        self.voxels = voxels
    }

    public init(geometry: VolumeGeometry, repeating value: Voxel) {
        self.init(geometry: geometry, voxels: [Voxel](repeating: value, count: geometry.voxelCount))
    }

    public var size: SIMD3<Int> { geometry.size }

    @inlinable public func linearIndex(_ i: Int, _ j: Int, _ k: Int) -> Int {
        i + geometry.size.x * (j + geometry.size.y * k)
    }

    public subscript(i: Int, j: Int, k: Int) -> Voxel {
        get { voxels[linearIndex(i, j, k)] }
        set { voxels[linearIndex(i, j, k)] = newValue }
    }

    /// A new volume with each voxel transformed, on the same grid.
    public func map<T>(_ transform: (Voxel) throws -> T) rethrows -> Volume<T> {
        Volume<T>(geometry: geometry, voxels: try voxels.map(transform))
    }

    /// The same voxels in another axis order (e.g. "RAS", "LPS"): a permutation and flips of the
    /// axes, no resampling. Every voxel keeps its patient position.
    public func reoriented(to code: String) throws -> Volume<Voxel> {
        let permutation = try AxisPermutation(from: geometry.direction, to: code)
        return permuted(permutation)
    }

    public func permuted(_ p: AxisPermutation) -> Volume<Voxel> {
        if p.isIdentity { return self }
        let newGeometry = p.apply(to: geometry)
        let ns = newGeometry.size
        let ss = geometry.size
        let sourceStride = SIMD3<Int>(1, ss.x, ss.x * ss.y)
        // For each new axis: the source stride it walks and where it starts.
        var step = [Int](repeating: 0, count: 3)
        var start = 0
        for t in 0..<3 {
            let s = p.sourceAxis[t]
            step[t] = p.flip[t] ? -sourceStride[s] : sourceStride[s]
            if p.flip[t] { start += (ss[s] - 1) * sourceStride[s] }
        }
        var out = [Voxel]()
        out.reserveCapacity(newGeometry.voxelCount)
        voxels.withUnsafeBufferPointer { src in
            for k in 0..<ns.z {
                for j in 0..<ns.y {
                    var offset = start + j * step[1] + k * step[2]
                    for _ in 0..<ns.x {
                        out.append(src[offset])
                        offset += step[0]
                    }
                }
            }
        }
        return Volume(geometry: newGeometry, voxels: out)
    }
}

extension Volume: Equatable where Voxel: Equatable {}

/// A label map: 0 is background, 1...255 are labels.
public typealias LabelMap = Volume<UInt8>
