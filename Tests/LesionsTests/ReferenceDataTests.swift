import XCTest
import Imaging
import VolumeIO
@testable import Lesions
import TestSupport

private struct BratsFile: Decodable {
    struct Partition: Decodable { var count: Int; var sizes: [Int]; var checksum: Int64 }
    struct MetricCase: Decodable { var spacing: [Double]; var tolerance: Double; var expected: [String: Double] }
    struct Case: Decodable { var name: String; var file: String; var components: [String: Partition]; var metrics: [MetricCase] }
    var cases: [Case]
}

/// Real data in ../shared/data: BraTS 2013 label maps (cc3d/scipy, MedPy) and pyradiomics' own
/// test cases against its baseline CSVs.
final class ReferenceDataTests: XCTestCase {
    func testBratsComponentsMatchCC3D() throws {
        for c in try Synthetic.expected(BratsFile.self, file: "lesions_brats.json").cases {
            guard let path = TestData.path(c.file) else { throw XCTSkip(TestData.missing(c.file)) }
            let labels = try VolumeFile.readLabels(path)
            for conn in Connectivity.allCases {
                let cc = ConnectedComponents.label(labels, connectivity: conn)
                let e = try XCTUnwrap(c.components[String(conn.rawValue)])
                XCTAssertEqual(cc.components.count, e.count, "\(c.name) \(conn.rawValue)")
                XCTAssertEqual(Array(cc.components.map(\.voxelCount).sorted(by: >).prefix(e.sizes.count)), e.sizes, "\(c.name) \(conn.rawValue)")
                XCTAssertEqual(Synthetic.checksum(cc.instances.voxels), e.checksum, "\(c.name) \(conn.rawValue)")
            }
        }
    }

    /// Label 2 (oedema) as prediction against labels 1-4 (whole tumour) as reference.
    func testBratsMetricsMatchMedPy() throws {
        for c in try Synthetic.expected(BratsFile.self, file: "lesions_brats.json").cases {
            guard let path = TestData.path(c.file) else { throw XCTSkip(TestData.missing(c.file)) }
            let labels = try VolumeFile.readLabels(path)
            for m in c.metrics {
                var g = labels.geometry
                g.spacingMM = Vector3(m.spacing[0], m.spacing[1], m.spacing[2])
                let p = Volume(geometry: g, voxels: labels.voxels.map { $0 == 2 })
                let r = Volume(geometry: g, voxels: labels.voxels.map { $0 >= 1 && $0 <= 4 })
                let got = try Evaluation.compare(prediction: p, reference: r, toleranceMM: m.tolerance)
                checkMetrics(got, m.expected, "\(c.name) spacing \(m.spacing)")
            }
        }
    }

    /// pyradiomics baseline_shape.csv / baseline_firstorder.csv, original-geometry columns.
    func testPyradiomicsBaseline() throws {
        guard let shapeCSV = TestData.path("pyradiomics/baseline/baseline_shape.csv"),
              let firstCSV = TestData.path("pyradiomics/baseline/baseline_firstorder.csv") else {
            throw XCTSkip(TestData.missing("pyradiomics/baseline"))
        }
        let shape = try BaselineCSV(path: shapeCSV), first = try BaselineCSV(path: firstCSV)
        for name in ["brain1", "brain2", "breast1", "lung1"] {
            guard let imagePath = TestData.path("pyradiomics/\(name)_image.nrrd"),
                  let maskPath = TestData.path("pyradiomics/\(name)_label.nrrd") else {
                throw XCTSkip(TestData.missing("pyradiomics/\(name)_image.nrrd"))
            }
            let image = try VolumeFile.read(imagePath)
            let labels = try VolumeFile.readLabels(maskPath)
            let m = try XCTUnwrap(LesionAnalyzer.measure(labels: labels, image: image, label: 1).first?.total)
            func expect(_ feature: String, _ value: Double?, _ tol: Double, _ csv: BaselineCSV = shape, prefix: String = "original_shape_") throws {
                let e = try XCTUnwrap(csv.value(prefix + feature, name), "\(name) \(feature) missing from CSV")
                assertRelative(value, e, tol, "\(name) \(feature)")
            }
            let s = m.shape
            try expect("VoxelVolume", s.voxelVolumeMM3, 1e-12)
            try expect("MeshVolume", s.meshVolumeMM3, 1e-3)
            try expect("SurfaceArea", s.surfaceAreaMM2, 1e-3)
            try expect("SurfaceVolumeRatio", s.surfaceToVolumeRatio, 1e-3)
            try expect("Sphericity", s.sphericity, 1e-3)
            try expect("Maximum3DDiameter", s.maximum3DDiameterMM, 1e-3)
            try expect("Maximum2DDiameterSlice", s.maximum2DDiameterSliceMM, 1e-3)
            try expect("Maximum2DDiameterColumn", s.maximum2DDiameterColumnMM, 1e-3)
            try expect("Maximum2DDiameterRow", s.maximum2DDiameterRowMM, 1e-3)
            try expect("MajorAxisLength", s.majorAxisLengthMM, 1e-3)
            try expect("MinorAxisLength", s.minorAxisLengthMM, 1e-3)
            try expect("LeastAxisLength", s.leastAxisLengthMM, 1e-3)
            try expect("Elongation", s.elongation, 1e-3)
            try expect("Flatness", s.flatness, 1e-3)
            let i = try XCTUnwrap(m.intensity)
            try expect("Mean", i.mean, 1e-12, first, prefix: "original_firstorder_")
            try expect("Minimum", i.minimum, 0, first, prefix: "original_firstorder_")
            try expect("Maximum", i.maximum, 0, first, prefix: "original_firstorder_")
            try expect("Median", i.median, 0, first, prefix: "original_firstorder_")
            try expect("10Percentile", i.percentile10, 1e-12, first, prefix: "original_firstorder_")
            try expect("90Percentile", i.percentile90, 1e-12, first, prefix: "original_firstorder_")
            try expect("Variance", i.standardDeviation * i.standardDeviation, 1e-9, first, prefix: "original_firstorder_")
        }
    }
}

/// pyradiomics' baseline CSV: one feature per row, one test case per column.
struct BaselineCSV {
    var columns: [String]
    var rows: [String: [String]]

    init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var lines = text.split(whereSeparator: \.isNewline).map(String.init)
        columns = Self.fields(lines.removeFirst())
        rows = [:]
        for line in lines {
            let f = Self.fields(line)
            if let key = f.first { rows[key] = f }
        }
    }

    func value(_ feature: String, _ column: String) -> Double? {
        guard let c = columns.firstIndex(of: column), let row = rows[feature], c < row.count else { return nil }
        return Double(row[c])
    }

    /// Splits a CSV line, honouring double-quoted fields.
    static func fields(_ line: String) -> [String] {
        var out: [String] = [], current = "", quoted = false
        for ch in line {
            if ch == "\"" { quoted.toggle() } else if ch == "," && !quoted { out.append(current); current = "" } else { current.append(ch) }
        }
        out.append(current)
        return out
    }
}
