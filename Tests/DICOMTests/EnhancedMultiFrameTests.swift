import Foundation
import XCTest
@testable import DICOM
import Imaging
import TestSupport

/// Enhanced multi-frame CT/MR through the Shared and Per-frame Functional Groups.
final class EnhancedMultiFrameTests: XCTestCase {
    /// Philips B0 map: 64 frames, magnitude (slope 1.2799, intercept 0) and field map in Hz
    /// (slope 0.2442, intercept -500) interleaved in one file. Each frame is rescaled with its own
    /// PixelValueTransformationSequence; the stacks equal pydicom's per-frame rescale, their grids
    /// equal dcm2niix's Ref NIfTIs, and the field map equals dcm2niix's Hz values.
    func testPhilipsPerFrameRescale() throws {
        guard let path = TestData.path("dcm_qa_enh/In/Philips/IM_0027_fMAP.dcm") else { throw XCTSkip(TestData.missing("dcm_qa_enh")) }
        let inventory = try DICOMScanner.scan(path: path)
        let stacks = inventory.allStacks
        XCTAssertEqual(stacks.count, 2)
        let expected = Expected.section("dcm_qa_enh_Philips")
        let refs = Expected.section("dcm_qa_enh_Philips_ref")
        for (type, refName) in [("T1\\M", "Philips_WIP_B0_NS_801_e1.nii"), ("T1\\FIELD_MAP", "Philips_WIP_B0_NS_801_e2_fieldmaphz.nii")] {
            let stack = try XCTUnwrap(stacks.first { $0.label.contains("[\(type)]") }, "no stack \(type) in \(stacks.map(\.label))")
            let e = Expected.Summary(try XCTUnwrap(expected[type] as? [String: Any]))
            let slopes = try XCTUnwrap((expected[type] as? [String: Any])?["slopes"] as? [Double])
            XCTAssertEqual(Set(stack.slices.map(\.rescaleSlope)).count, 1)
            XCTAssertEqual(stack.slices[0].rescaleSlope, slopes[0], accuracy: 1e-12)
            let image = try DICOMLoader.load(stack: stack, options: DICOMLoadOptions(padding: .keep))
            XCTAssertEqual([image.volume.size.x, image.volume.size.y, image.volume.size.z], e.shape)
            // Values: pydicom's stored * slope + intercept per frame (float32), to 1e-4 relative.
            var maxRelative = 0.0
            for (index, value) in e.samples {
                maxRelative = max(maxRelative, abs(Double(image.volume.voxels[index]) - value) / max(1, abs(value)))
            }
            XCTAssertLessThan(maxRelative, 1e-5, type)
            XCTAssertEqual(image.volume.voxels.reduce(0.0) { $0 + Double($1) }, e.sum, accuracy: abs(e.sum) * 1e-6 + 1e-3, type)
            // Grid and stored values: dcm2niix's Ref (raw integers, no scaling in its header).
            let ref = Expected.Summary(try XCTUnwrap(refs[refName] as? [String: Any]))
            let refGeometry = try ref.geometry()
            let ours = try image.volume.reoriented(to: refGeometry.orientationCode)
            XCTAssertLessThan(maxAffineDifference(ours.geometry.affineLPS, refGeometry.affineLPS), 1e-3, refName)
            if type == "T1\\FIELD_MAP" {
                // The field map in Hz: dcm2niix scales with the float RealWorldValue slope; 0.01 Hz.
                for (index, value) in ref.samples {
                    XCTAssertEqual(Double(ours.voxels[index]), value, accuracy: 0.01, "\(refName) voxel \(index)")
                }
            } else {
                // The magnitude: dcm2niix applies Philips "precise" scaling, D / (RS * SS), one factor
                // for the whole volume: ours / ref is constant.
                let ratios = ref.samples.filter { $0.value > 0 }.map { Double(ours.voxels[$0.index]) / $0.value }
                XCTAssertGreaterThan(ratios.count, 10)
                let mean = ratios.reduce(0, +) / Double(ratios.count)
                XCTAssertLessThan(ratios.map { abs($0 - mean) / mean }.max() ?? 1, 1e-4, refName)
            }
        }
    }

    /// Siemens XA10 enhanced MR: four files, one temporal position each (6 frames of 64x64).
    /// Each stack's grid and voxels equal the matching volume of dcm2niix's 4D output.
    func testSiemensXA10GeometryEqualsDcm2niix() throws {
        guard let folder = TestData.path("dcm_qa_enh/In/Siemens/XA10") else { throw XCTSkip(TestData.missing("dcm_qa_enh")) }
        let stacks = try DICOMScanner.scan(path: folder).allStacks
        XCTAssertEqual(stacks.map(\.sliceCount), [6, 6, 6, 6])
        let ref = Expected.Summary(try XCTUnwrap(Expected.section("dcm_qa_enh_XA10").values.first as? [String: Any]))
        XCTAssertEqual(ref.shape, [64, 64, 6, 4])
        let refGeometry = try ref.geometry()
        var all = [Float]()
        for stack in stacks.sorted(by: { ($0.slices[0].file) < ($1.slices[0].file) }) {
            let image = try DICOMLoader.load(stack: stack)
            XCTAssertEqual(stack.slices.map(\.frameNumber).sorted(), Array(1...6))
            let ours = try image.volume.reoriented(to: refGeometry.orientationCode)
            XCTAssertLessThan(maxAffineDifference(ours.geometry.affineLPS, refGeometry.affineLPS), 1e-3, stack.label)
            all += ours.voxels
        }
        XCTAssertEqual(fnv1a64(all), ref.hash, "voxels differ from dcm2niix")
    }

    /// Enhanced CT (pydicom-data eCT_Supplemental.dcm, 2 frames): positions from the functional groups.
    func testEnhancedCTFramesSortedByPosition() throws {
        guard let path = TestData.path("pydicom-data/eCT_Supplemental.dcm") else { throw XCTSkip(TestData.missing("pydicom-data")) }
        let stack = try DICOMScanner.scan(path: path).stack()
        XCTAssertEqual(stack.sliceCount, 2)
        let normal = cross(stack.rowDirectionLPS, stack.columnDirectionLPS)
        XCTAssertLessThan(dot(stack.slices[0].positionLPS, normal), dot(stack.slices[1].positionLPS, normal))
        let image = try DICOMLoader.load(stack: stack)
        XCTAssertEqual(image.volume.geometry.spacingMM.z, 10, accuracy: 1e-6)
    }
}
