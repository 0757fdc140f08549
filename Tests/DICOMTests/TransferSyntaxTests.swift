import XCTest
@testable import DICOM
import Imaging
import TestSupport

/// Decoders: every transfer syntax gives the pixels the reference tools give.
final class TransferSyntaxTests: XCTestCase {
    /// dcm_qa_ts: one Siemens mosaic (35 slices of 64x64) in nine syntaxes. Each loads to the
    /// voxels and grid of dcm2niix's Ref/N.nii.
    func testDcmQaTsNineSyntaxesEqualDcm2niixReference() throws {
        guard let folder = TestData.path("dcm_qa_ts/In") else { throw XCTSkip(TestData.missing("dcm_qa_ts/In")) }
        let expected = Expected.section("dcm_qa_ts")
        var syntaxes = Set<String>()
        var worstAffine = 0.0
        for n in 1...9 {
            let entry = try XCTUnwrap(expected["\(n)"] as? [String: Any])
            let ref = Expected.Summary(entry)
            let refGeometry = try ref.geometry()
            let stack = try DICOMScanner.scan(path: folder + "/\(n).dcm").stack()
            XCTAssertEqual(stack.transferSyntaxUIDs, [entry["transferSyntax"] as? String ?? ""])
            syntaxes.formUnion(stack.transferSyntaxUIDs)
            let image = try DICOMLoader.load(stack: stack)
            let ours = try image.volume.reoriented(to: refGeometry.orientationCode)
            XCTAssertEqual(ours.size, refGeometry.size, "\(n).dcm")
            worstAffine = max(worstAffine, maxAffineDifference(ours.geometry.affineLPS, refGeometry.affineLPS))
            XCTAssertEqual(fnv1a64(ours.voxels), ref.hash, "\(n).dcm (\(stack.transferSyntaxUIDs)) differs from dcm2niix Ref/\(n).nii")
        }
        XCTAssertLessThan(worstAffine, 1e-3, "affine difference to dcm2niix (mm)")
        XCTAssertEqual(syntaxes.count, 7, "distinct syntaxes among the nine files (two pairs share a syntax)")
        // The folder as a whole: one series, nine single-file stacks at the same positions.
        let all = try DICOMScanner.scan(path: folder)
        XCTAssertEqual(all.allStacks.count, 9)
    }

    /// pydicom-data emri_small* (10-frame enhanced MR in explicit LE/BE, RLE, JPEG-LS, J2K) and
    /// pydicom's MR/CT small files: stored values identical to pydicom's decode.
    func testStoredValuesEqualPydicom() throws {
        guard TestData.root != nil else { throw XCTSkip(TestData.missing("pydicom")) }
        let expected = Expected.section("pydicom_decoded")
        XCTAssertGreaterThanOrEqual(expected.count, 15)
        for (relative, value) in expected.sorted(by: { $0.key < $1.key }) {
            guard let path = TestData.path(relative) else { throw XCTSkip(TestData.missing(relative)) }
            let e = try XCTUnwrap(value as? [String: Any])
            let file = try DICOMFile(path: path)
            let info = try file.pixelInfo()
            XCTAssertEqual([info.frames, info.rows, info.columns], [e["frames"] as? Int, e["rows"] as? Int, e["columns"] as? Int].map { $0 ?? -1 }, relative)
            let stored = try file.decodeStoredValues(info)
            XCTAssertEqual(fnv1a64(stored.map(Float.init)), e["hash"] as? String, "\(relative) (\(file.transferSyntaxUID)) differs from pydicom")
        }
    }

    func testEmriSyntaxesDecodeIdentically() throws {
        var hashes = [String: String]()
        for name in ["emri_small", "emri_small_big_endian", "emri_small_RLE", "emri_small_jpeg_ls_lossless", "emri_small_jpeg_2k_lossless"] {
            guard let path = TestData.path("pydicom-data/\(name).dcm") else { throw XCTSkip(TestData.missing("pydicom-data")) }
            let file = try DICOMFile(path: path)
            hashes[name] = fnv1a64(try file.decodeStoredValues(try file.pixelInfo()).map(Float.init))
        }
        XCTAssertEqual(Set(hashes.values).count, 1, "\(hashes)")
    }

    /// The truncated JPEG 2000 file is an error naming the file, not a crash or a partial image.
    func testTruncatedJPEG2000IsAnError() throws {
        guard let path = TestData.path("pydicom-data/emri_small_jpeg_2k_lossless_too_short.dcm") else {
            throw XCTSkip(TestData.missing("pydicom-data"))
        }
        XCTAssertThrowsError(try DICOMScanner.scan(path: path)) { error in
            let e = error as? DICOMError
            XCTAssertNotNil(e)
            XCTAssertEqual(e?.category, .badInput)
            XCTAssertTrue("\(error)".contains("emri_small_jpeg_2k_lossless_too_short.dcm"), "\(error)")
        }
    }

    /// totalsegmentator/example_ct_dicom: 20 J2K slices; voxels equal dcm2niix's conversion and the
    /// orientation and field of view agree with example_ct.nii.gz (resampled to 3 mm).
    func testTotalSegmentatorJPEG2000Series() throws {
        guard let folder = TestData.path("totalsegmentator/example_ct_dicom") else { throw XCTSkip(TestData.missing("totalsegmentator")) }
        let stack = try DICOMScanner.scan(path: folder).stack()
        XCTAssertEqual(stack.sliceCount, 20)
        XCTAssertEqual(stack.transferSyntaxUIDs, ["1.2.840.10008.1.2.4.90"])
        let image = try DICOMLoader.load(stack: stack)
        let ref = Expected.Summary(try XCTUnwrap(Expected.section("totalseg_dcm2niix").values.first as? [String: Any]))
        let refGeometry = try ref.geometry()
        let ours = try image.volume.reoriented(to: refGeometry.orientationCode)
        XCTAssertLessThan(maxAffineDifference(ours.geometry.affineLPS, refGeometry.affineLPS), 1e-3)
        XCTAssertEqual(fnv1a64(ours.voxels), ref.hash, "voxels differ from dcm2niix")
        // example_ct.nii.gz is another scan (z 94..430 mm vs -805..-767 mm here), so the grid is checked
        // against TotalSegmentator's segmentation of this series, example_seg_dicom.nii.gz (nibabel).
        let seg = Expected.section("totalseg_example_seg_dicom")
        let shape = try XCTUnwrap(seg["shape"] as? [Int])
        let segGeometry = try VolumeGeometry(size: SIMD3(shape[0], shape[1], shape[2]), affineRAS: try XCTUnwrap(seg["affineRAS"] as? [[Double]]))
        let ourSeg = try image.volume.reoriented(to: segGeometry.orientationCode)
        XCTAssertEqual(ourSeg.size, segGeometry.size)
        XCTAssertLessThan(maxAffineDifference(ourSeg.geometry.affineLPS, segGeometry.affineLPS), 1e-3)
        for axis in 0..<3 {
            let extent = Double(ourSeg.size[axis]) * ourSeg.geometry.spacingMM[axis]
            XCTAssertEqual(extent, Double(segGeometry.size[axis]) * segGeometry.spacingMM[axis], accuracy: 1e-3, "field of view along axis \(axis)")
        }
    }
}
