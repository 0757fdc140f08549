import Imaging

/// The three display planes of the key images.
public enum SlicePlane: String, Codable, Sendable, CaseIterable {
    case axial, coronal, sagittal
}

/// One 2D slice of the image and label map through a patient point, laid out for display in the
/// radiological convention:
/// - axial: columns run towards the patient's left (patient's right on the image left), rows towards
///   posterior (anterior up);
/// - coronal: columns towards the patient's left, rows towards inferior (superior up);
/// - sagittal: columns towards posterior (anterior on the image left), rows towards inferior.
///
/// The slice is a plane of the voxel grid (no resampling): the voxel axis whose direction is closest
/// to the plane's normal (S/I for axial, A/P for coronal, L/R for sagittal, chosen jointly by
/// `AxisOrientation.mappings`) is held fixed; the other two are flipped as needed. On an oblique grid the
/// displayed plane is therefore tilted by the grid's obliquity, and the orientation letters name the
/// closest patient direction of each image edge.
public struct KeySlice: Sendable {
    public let plane: SlicePlane
    /// Pixels per row (columns) and rows.
    public let width: Int
    public let height: Int
    /// Physical size of one pixel along a row (column step) and down a column (row step), mm.
    public let columnSpacingMM: Double
    public let rowSpacingMM: Double
    /// Row-major intensities and labels, `width * height` each.
    public let intensities: [Float]
    public let labels: [UInt8]
    /// The fixed voxel axis and its index.
    public let fixedAxis: Int
    public let fixedIndex: Int
    /// Voxel axis walked by columns and by rows, and whether it is walked backwards.
    public let columnAxis: Int, columnFlipped: Bool
    public let rowAxis: Int, rowFlipped: Bool
    /// Orientation letters of the left, right, top and bottom image edges (e.g. "R", "L", "A", "P").
    public let edgeLetters: (left: String, right: String, top: String, bottom: String)

    /// The slice of `image`/`labelMap` in `plane` through the voxel nearest `pointLPS` (clamped into the grid).
    /// - Precondition: both volumes share one grid.
    public init(plane: SlicePlane, image: Volume<Float>, labelMap: Volume<UInt8>, through pointLPS: Vector3) {
        precondition(image.size == labelMap.size, "KeySlice: image and label map sizes differ")
        let g = image.geometry
        let mappings = AxisOrientation.mappings(for: g.direction)
        func voxelAxis(patientAxis: Int) -> Int { mappings.firstIndex { $0.patientAxis == patientAxis }! }
        // (fixed patient axis, column patient axis and its increasing sign, row patient axis and sign); LPS signs.
        let layout: (fixed: Int, column: (Int, Int), row: (Int, Int))
        switch plane {
        case .axial: layout = (2, (0, +1), (1, +1))      // columns -> L, rows -> P
        case .coronal: layout = (1, (0, +1), (2, -1))    // columns -> L, rows -> I
        case .sagittal: layout = (0, (1, +1), (2, -1))   // columns -> P, rows -> I
        }
        self.plane = plane
        fixedAxis = voxelAxis(patientAxis: layout.fixed)
        columnAxis = voxelAxis(patientAxis: layout.column.0)
        rowAxis = voxelAxis(patientAxis: layout.row.0)
        columnFlipped = mappings[columnAxis].sign != layout.column.1
        rowFlipped = mappings[rowAxis].sign != layout.row.1
        let index = g.patientToIndex(pointLPS)
        let fixedRounded = index[fixedAxis].isFinite ? Int(index[fixedAxis].rounded()) : 0
        fixedIndex = min(max(fixedRounded, 0), g.size[fixedAxis] - 1)
        width = g.size[columnAxis]
        height = g.size[rowAxis]
        columnSpacingMM = g.spacingMM[columnAxis]
        rowSpacingMM = g.spacingMM[rowAxis]

        var values = [Float](repeating: 0, count: width * height)
        var labelValues = [UInt8](repeating: 0, count: width * height)
        var voxel = SIMD3<Int>(0, 0, 0)
        voxel[fixedAxis] = fixedIndex
        for row in 0..<height {
            voxel[rowAxis] = rowFlipped ? height - 1 - row : row
            for column in 0..<width {
                voxel[columnAxis] = columnFlipped ? width - 1 - column : column
                let linear = image.linearIndex(voxel.x, voxel.y, voxel.z)
                values[row * width + column] = image.voxels[linear]
                labelValues[row * width + column] = labelMap.voxels[linear]
            }
        }
        intensities = values
        labels = labelValues

        let columnDirection = g.direction.column(columnAxis) * (columnFlipped ? -1 : 1)
        let rowDirection = g.direction.column(rowAxis) * (rowFlipped ? -1 : 1)
        edgeLetters = (KeySlice.letter(-columnDirection), KeySlice.letter(columnDirection),
                       KeySlice.letter(-rowDirection), KeySlice.letter(rowDirection))
    }

    /// The voxel shown at a pixel.
    public func voxel(column: Int, row: Int) -> SIMD3<Int> {
        var v = SIMD3<Int>(0, 0, 0)
        v[fixedAxis] = fixedIndex
        v[columnAxis] = columnFlipped ? width - 1 - column : column
        v[rowAxis] = rowFlipped ? height - 1 - row : row
        return v
    }

    /// Continuous pixel coordinates (column, row; pixel centres at integers) of a patient point projected
    /// onto the slice.
    public func pixel(ofPatient pointLPS: Vector3, geometry: VolumeGeometry) -> (column: Double, row: Double) {
        let index = geometry.patientToIndex(pointLPS)
        let c = columnFlipped ? Double(width - 1) - index[columnAxis] : index[columnAxis]
        let r = rowFlipped ? Double(height - 1) - index[rowAxis] : index[rowAxis]
        return (c, r)
    }

    /// The patient-direction letter closest to an LPS direction (L, R, P, A, S or I).
    static func letter(_ direction: Vector3) -> String {
        let magnitudes = [abs(direction.x), abs(direction.y), abs(direction.z)]
        let axis = magnitudes.firstIndex(of: magnitudes.max()!)!
        let positive = ["L", "P", "S"], negative = ["R", "A", "I"]
        return direction[axis] >= 0 ? positive[axis] : negative[axis]
    }
}
