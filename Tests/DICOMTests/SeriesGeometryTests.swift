import Foundation
import XCTest
@testable import DICOM
import Imaging
import TestSupport

/// Series geometry: tilt, uneven spacing, missing slices, against dcm2niix and pydicom.
final class SeriesGeometryTests: XCTestCase {
    private func folder(_ relative: String) throws -> String {
        guard let p = TestData.path(relative) else { throw XCTSkip(TestData.missing(relative)) }
        return p
    }

    /// GE head CT (28 slices): 18.5 degree tilt and steps of 4.22, 1.14 and 7.38 mm are reported;
    /// loading without the resampling option refuses rather than invent a spacing.
    func testGETiltAndUnevenSpacingReported() throws {
        let stack = try DICOMScanner.scan(path: try folder("dcm_qa_ct/GE")).stack()
        XCTAssertEqual(stack.sliceCount, 28)
        XCTAssertEqual(stack.tiltDegrees, 18.5, accuracy: 0.01, "GantryDetectorTilt (0018,1120) is 18.5")
        let kinds = Set(stack.warnings.map(\.kind))
        XCTAssertTrue(kinds.contains(.gantryTilt), "\(stack.warnings)")
        XCTAssertTrue(kinds.contains(.unevenSpacing), "\(stack.warnings)")
        XCTAssertThrowsError(try DICOMLoader.load(stack: stack)) { error in
            XCTAssertEqual((error as? DICOMError)?.category, .badInput)
            XCTAssertTrue("\(error)".contains("spacing varies"), "\(error)")
        }
        let image = try DICOMLoader.load(stack: stack, options: DICOMLoadOptions(unevenSpacing: .resample))
        let g = image.volume.geometry
        let first = stack.slices.first!.positionLPS, last = stack.slices.last!.positionLPS
        XCTAssertLessThan(norm(g.indexToPatient(Vector3(0, 0, 0)) - first), 1e-3)
        XCTAssertLessThan(norm(g.indexToPatient(Vector3(0, 0, Double(g.size.z - 1))) - last), 1e-3)
        XCTAssertEqual(g.size.z, 37, "151.94 mm at about the median step 4.22 mm")
        XCTAssertFalse(g.isOrthonormal(), "tilt is kept as a sheared k axis")
        XCTAssertNotNil(image.sliceSources.first!, "the first slice is a source slice")
        // Orthogonal resampling is checked against dcm2niix on the evenly spaced subset below.
    }

    /// The evenly spaced first 14 GE slices (4.22 mm): voxels equal pydicom's and dcm2niix's raw
    /// conversion; every slice's ImagePositionPatient lies on the sheared k axis; the orthogonal
    /// resampling matches dcm2niix's tilt-corrected grid.
    func testGETiltedEvenSubsetAgainstDcm2niix() throws {
        let source = try folder("dcm_qa_ct/GE")
        let dir = try TestData.temporaryDirectory("ge14")
        defer { try? FileManager.default.removeItem(at: dir) }
        for n in 1...14 {
            let name = String(format: "%02d.dcm", n)
            try FileManager.default.copyItem(atPath: source + "/" + name, toPath: dir.appendingPathComponent(name).path)
        }
        let stack = try DICOMScanner.scan(path: dir.path).stack()
        XCTAssertEqual(Set(stack.warnings.map(\.kind)), [.gantryTilt])
        // The references keep PixelPaddingValue (-1500) voxels as they are.
        let keep = DICOMLoadOptions(padding: .keep)
        let image = try DICOMLoader.load(stack: stack, options: keep)
        let pyd = Expected.section("GE14_pydicom")
        XCTAssertEqual(pyd["dcm2niixRawEqual"] as? Bool, true, "pydicom and dcm2niix agree on the raw voxels")
        XCTAssertEqual(fnv1a64(image.volume.voxels), pyd["hash"] as? String, "voxels differ from pydicom/dcm2niix")
        let g = image.volume.geometry
        let positions = try XCTUnwrap(pyd["positionsLPS"] as? [[Double]])
        for (k, p) in positions.enumerated() {
            XCTAssertLessThan(norm(g.indexToPatient(Vector3(0, 0, Double(k))) - Vector3(p[0], p[1], p[2])), 1e-3, "slice \(k)")
        }
        XCTAssertEqual(g.spacingMM.z, 4.22, accuracy: 1e-4)
        XCTAssertEqual(acos(dot(g.direction.c2, cross(g.direction.c0, g.direction.c1))) * 180 / .pi, 18.5, accuracy: 0.01)

        // dcm2niix's "_Tilt_1" output: orthogonal grid 512x548x14; affine to 0.01 mm; voxels
        // (linear interpolation along rows in both, rounded to integers by dcm2niix) within 1 HU
        // where dcm2niix has data.
        let tiltEntry = try XCTUnwrap(Expected.section("GE14_dcm2niix").first { $0.key.contains("Tilt") }?.value as? [String: Any])
        let ref = Expected.Summary(tiltEntry)
        let refGeometry = try ref.geometry()
        let ortho = try DICOMLoader.load(stack: stack, options: DICOMLoadOptions(tilt: .resampleOrthogonal, padding: .keep)).volume
        let ours = try ortho.reoriented(to: refGeometry.orientationCode)
        XCTAssertEqual(ours.size, refGeometry.size)
        XCTAssertLessThan(maxAffineDifference(ours.geometry.affineLPS, refGeometry.affineLPS), 0.01)
        // Voxels next to padding (-1500) along j take part of the padding value in an interpolation;
        // dcm2niix and SegStation differ there in a few places and are counted separately.
        var maxDifference: Float = 0
        var compared = 0, paddingEdge = 0
        let n = ours.size
        for (index, value) in ref.samples where index < ours.voxels.count {
            let ourValue = ours.voxels[index]
            if value <= -1500 || ourValue <= -1500 { continue }  // padding and outside the acquired slices
            let i = index % n.x, j = (index / n.x) % n.y, k = index / (n.x * n.y)
            if ours[i, max(j - 1, 0), k] <= -1500 || ours[i, min(j + 1, n.y - 1), k] <= -1500 { paddingEdge += 1; continue }
            maxDifference = max(maxDifference, abs(ourValue - Float(value)))
            compared += 1
        }
        XCTAssertGreaterThan(compared, 100)
        XCTAssertLessThanOrEqual(paddingEdge, 3)
        XCTAssertLessThanOrEqual(maxDifference, 1.0, "largest difference to dcm2niix's tilt-corrected voxels")

        // Default padding policy: the PixelPaddingValue voxels take the minimum of the others.
        let filled = try DICOMLoader.load(stack: stack).volume.voxels
        XCTAssertFalse(filled.contains(-1500))
        XCTAssertEqual(filled.min(), image.volume.voxels.filter { $0 != -1500 }.min())
        XCTAssertEqual(zip(filled, image.volume.voxels).filter { $0 != $1 }.count, image.volume.voxels.filter { $0 == -1500 }.count)
    }

    /// pydicom/dicomdirtests/77654033/CT2: 4 slices with 161 missing between the first two.
    func testCT2MissingSlices() throws {
        let stack = try DICOMScanner.scan(path: try folder("pydicom/dicomdirtests/77654033/CT2")).stack()
        XCTAssertEqual(stack.sliceCount, 4)
        let missing = try XCTUnwrap(stack.warnings.first { $0.kind == .missingSlices })
        XCTAssertTrue(missing.message.hasPrefix("161 slice(s) missing"), missing.message)
        XCTAssertThrowsError(try DICOMLoader.load(stack: stack))
        let image = try DICOMLoader.load(stack: stack, options: DICOMLoadOptions(unevenSpacing: .resample))
        XCTAssertEqual(image.volume.size, SIMD3(16, 16, 165))
        XCTAssertEqual(image.volume.geometry.spacingMM.z, 1.25, accuracy: 1e-4)
        // The acquired slices sit unchanged at k = 0, 162, 163, 164 and equal pydicom's (and dcm2niix's) voxels.
        let sourceKs = image.sliceSources.indices.filter { image.sliceSources[$0] != nil }
        XCTAssertEqual(sourceKs, [0, 162, 163, 164])
        let plane = 16 * 16
        let acquired = sourceKs.flatMap { Array(image.volume.voxels[($0 * plane)..<(($0 + 1) * plane)]) }
        XCTAssertEqual(fnv1a64(acquired), Expected.section("CT2_pydicom")["hash"] as? String)
        XCTAssertEqual(image.sliceSources[162]?.sopInstanceUID, stack.slices[1].sopInstanceUID)
    }
}
