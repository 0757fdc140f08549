import XCTest
import Imaging
@testable import Lesions

private struct ShapeFile: Decodable {
    struct Case: Decodable {
        var name: String
        var size: [Int]
        var spacing: [Double]
        var direction: [[Double]]
        var mask: MaskSpec
        var expected: [String: Double?]
    }
    var shape: [Case]
}

final class ShapeFeatureTests: XCTestCase {
    /// pyradiomics 3.1 shape + first-order on LCG masks, anisotropic and rotated grids.
    func testSyntheticCasesMatchPyradiomics() throws {
        for c in try Synthetic.expected(ShapeFile.self).shape {
            let g = Synthetic.geometry(c.size, c.spacing, c.direction)
            let labels = Synthetic.labels(c.mask, g)
            let f = ShapeFeatures(BinaryRegion(labels) { $0 != 0 })
            let e = c.expected
            func check(_ name: String, _ value: Double?, _ tol: Double = 1e-9) {
                assertRelative(value, e[name] ?? nil, tol, "\(c.name) \(name)")
            }
            check("VoxelVolume", f.voxelVolumeMM3, 1e-12)
            check("MeshVolume", f.meshVolumeMM3)
            check("SurfaceArea", f.surfaceAreaMM2)
            check("SurfaceVolumeRatio", f.surfaceToVolumeRatio)
            check("Sphericity", f.sphericity)
            check("Maximum3DDiameter", f.maximum3DDiameterMM)
            check("Maximum2DDiameterSlice", f.maximum2DDiameterSliceMM)
            check("Maximum2DDiameterColumn", f.maximum2DDiameterColumnMM)
            check("Maximum2DDiameterRow", f.maximum2DDiameterRowMM)
            check("MajorAxisLength", f.majorAxisLengthMM, 1e-7)
            check("MinorAxisLength", f.minorAxisLengthMM, 1e-7)
            check("LeastAxisLength", f.leastAxisLengthMM, 1e-7)
            check("Elongation", f.elongation, 1e-7)
            check("Flatness", f.flatness, 1e-7)
            let image = Synthetic.image(seed: 99, g)
            let s = try XCTUnwrap(IntensityStatistics(image: image) { labels.voxels[$0] != 0 })
            check("firstorder_Mean", s.mean, 1e-12)
            check("firstorder_Minimum", s.minimum, 0)
            check("firstorder_Maximum", s.maximum, 0)
            check("firstorder_Median", s.median, 0)
            check("firstorder_10Percentile", s.percentile10, 1e-12)
            check("firstorder_90Percentile", s.percentile90, 1e-12)
            check("Percentile5", s.percentile5, 1e-12)
            check("Percentile95", s.percentile95, 1e-12)
            check("StandardDeviation", s.standardDeviation, 1e-10)
        }
    }

    func testEmptyRegionHasZeroShape() {
        let g = Synthetic.geometry([4, 4, 4])
        let f = ShapeFeatures(BinaryRegion(LabelMap(geometry: g, repeating: 0)) { $0 != 0 })
        XCTAssertEqual(f.voxelCount, 0)
        XCTAssertEqual(f.meshVolumeMM3, 0)
        XCTAssertEqual(f.maximum3DDiameterMM, 0)
        XCTAssertNil(f.sphericity)
        XCTAssertNil(f.elongation)
        XCTAssertNil(f.centroidLPS)
    }

    /// One voxel of 1 x 2 x 3 mm: the mesh is the octahedron through its face centres.
    func testSingleVoxelOctahedron() {
        var m = LabelMap(geometry: Synthetic.geometry([3, 3, 3], [1, 2, 3]), repeating: 0)
        m[1, 1, 1] = 1
        let f = ShapeFeatures(BinaryRegion(m) { $0 != 0 })
        XCTAssertEqual(f.meshVolumeMM3, 1.0 * 2 * 3 / 6, accuracy: 1e-12)
        XCTAssertEqual(f.maximum3DDiameterMM, 3, accuracy: 1e-12)
        XCTAssertEqual(f.maximum2DDiameterSliceMM, 2, accuracy: 1e-12)
        XCTAssertEqual(f.majorAxisLengthMM, 0)
        XCTAssertNil(f.elongation)
        let centroid: [Double] = [-12.5 + 1, 30.25 + 2, 7 + 3]
        XCTAssertEqual(f.centroidLPS!, centroid)
    }

    /// A sheared grid: features are computed in true patient space, so shearing a mask's grid
    /// keeps the voxel volume (|det|) and changes diameters as the geometry says.
    func testShearedGridUsesPatientSpace() {
        let sheared = Matrix3(columns: Vector3(1, 0, 0), Vector3(0, 1, 0), Vector3(0, 0.6, 0.8))
        var g = Synthetic.geometry([3, 3, 4], [1, 1, 2]); g.direction = sheared
        var m = LabelMap(geometry: g, repeating: 0)
        m[1, 1, 1] = 1; m[1, 1, 2] = 1
        let f = ShapeFeatures(BinaryRegion(m) { $0 != 0 })
        XCTAssertEqual(f.voxelVolumeMM3, 2 * 1 * 1 * 2 * 0.8, accuracy: 1e-12)
        // Two voxels stacked along k: centroid difference is one k-step (0, 1.2, 1.6).
        XCTAssertEqual(f.centroidLPS![1], 30.25 + 1 + 1.5 * 1.2, accuracy: 1e-12)
        // Volume of the mesh scales with the determinant too.
        let straight = ShapeFeatures(BinaryRegion(Volume(geometry: Synthetic.geometry([3, 3, 4], [1, 1, 2]), voxels: m.voxels)) { $0 != 0 })
        XCTAssertEqual(f.meshVolumeMM3, straight.meshVolumeMM3 * 0.8, accuracy: 1e-12)
    }
}
