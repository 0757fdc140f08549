import Imaging

/// The prior study of a tracked run (`segstation track`), shown beside each tracked lesion's key image
/// at the same plane of the anatomy.
public struct PriorStudy: Sendable {
    /// ISO date of the prior study (`YYYY-MM-DD`), or `StudyHeader.unknownDate`.
    public var studyDate: String
    /// The prior study's first input channel and segmentation, on one grid.
    public var image: Volume<Float>
    public var labelMap: Volume<UInt8>
    /// A current-study point (LPS mm) -> the same anatomy in the prior study: the inverse of the recorded
    /// registration (which maps prior -> current); identity when both share a frame of reference.
    public var currentToPrior: AffineTransform3

    public init(studyDate: String, image: Volume<Float>, labelMap: Volume<UInt8>, currentToPrior: AffineTransform3) {
        self.studyDate = studyDate; self.image = image; self.labelMap = labelMap; self.currentToPrior = currentToPrior
    }
}

/// The prior study resampled at the pixels of a current key slice, through the registration.
enum PriorSlice {
    /// The grid of `slice`'s pixels in the current study: one voxel thick, its first axis the displayed
    /// columns, its second the displayed rows, its third the slice normal (so pixel (c, r) is voxel (c, r, 0)).
    static func grid(of slice: KeySlice, in g: VolumeGeometry) -> VolumeGeometry {
        let first = slice.voxel(column: 0, row: 0)
        let origin = g.indexToPatient(Vector3(Double(first.x), Double(first.y), Double(first.z)))
        let column = g.direction.column(slice.columnAxis) * (slice.columnFlipped ? -1 : 1)
        let row = g.direction.column(slice.rowAxis) * (slice.rowFlipped ? -1 : 1)
        return VolumeGeometry(size: SIMD3(slice.width, slice.height, 1),
                              spacingMM: Vector3(slice.columnSpacingMM, slice.rowSpacingMM, g.spacingMM[slice.fixedAxis]),
                              originLPS: origin, direction: Matrix3(columns: column, row, g.direction.column(slice.fixedAxis)))
    }

    /// The prior study at the plane and pixels of `slice` (a slice of the current study's grid `geometry`):
    /// every pixel shows the prior image (trilinear) and labels (nearest) at `currentToPrior` of the pixel's
    /// current-study point, 0 outside the prior volume. The result has the same size and layout as `slice`,
    /// so current-study points project onto it as onto `slice`.
    static func slice(matching slice: KeySlice, geometry: VolumeGeometry, prior: PriorStudy) -> KeySlice {
        let plane = grid(of: slice, in: geometry)
        let inPrior = prior.currentToPrior.mapping(plane)
        let image = prior.image.resampled(onto: inPrior, interpolation: .linear, outside: 0)
        let labels = prior.labelMap.resampled(onto: inPrior, interpolation: .nearest, outside: 0)
        return KeySlice(plane: slice.plane, image: Volume(geometry: plane, voxels: image.voxels),
                        labelMap: Volume(geometry: plane, voxels: labels.voxels), through: plane.centerLPS)
    }
}
