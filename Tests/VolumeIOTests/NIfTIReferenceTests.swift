import Imaging
import TestSupport
import VolumeIO
import XCTest

/// Every NIfTI in nibabel/, niivue/, mricron/, brats2013/ (and the dcm2niix/TotalSegmentator
/// references) reads with nibabel's shape, affine (1e-4 mm) and voxel values.
final class NIfTIReferenceTests: XCTestCase {
    func testEveryFileMatchesNibabel() throws {
        let expected = try ExpectedValues.load()
        guard TestData.root != nil else { throw XCTSkip(TestData.missing("nibabel")) }
        var checked = 0
        for entry in expected.nifti {
            guard let path = TestData.path(entry.file) else { XCTFail("missing \(entry.file)"); continue }
            if let reason = entry.referenceError {
                // nibabel cannot read it: SegStation must fail with a typed error naming the file.
                XCTAssertThrowsError(try NIfTIFile.read(path: path), "\(entry.file) (\(reason))") { error in
                    guard let e = error as? VolumeIOError else { return XCTFail("\(entry.file): untyped error \(error)") }
                    XCTAssertEqual(e.file.hasSuffix(".img") || e.file == path, true, "\(e)")
                    XCTAssertEqual(e.kind, .fileNotFound, "\(entry.file): \(e)")
                }
                continue
            }
            let header = try NIfTIFile.readHeader(path: path)
            XCTAssertEqual(header.shape, entry.shape, entry.file)
            XCTAssertLessThan(maxDifference(header.affineRAS, entry.affineRAS!), 1e-4, "\(entry.file): header affine")
            if let reason = entry.segstationUnsupported {
                XCTAssertThrowsError(try NIfTIFile.read(path: path), "\(entry.file) (\(reason))") { error in
                    XCTAssertEqual((error as? VolumeIOError)?.kind, .unsupported, "\(error)")
                    XCTAssertEqual((error as? VolumeIOError)?.field, "datatype")
                }
                continue
            }
            let image = try NIfTIFile.read(path: path)
            XCTAssertEqual(image.volumeCount, entry.volumeCount, entry.file)
            XCTAssertLessThan(maxDifference(image.volume.geometry.affineRAS, entry.affineRAS!), 1e-4, "\(entry.file): geometry")
            assertChecksum(image.volume.voxels, entry.checksum!, entry.file)
            if let last = entry.checksumLastVolume {
                let lastImage = try NIfTIFile.read(path: path, volumeIndex: image.volumeCount - 1)
                assertChecksum(lastImage.volume.voxels, last, "\(entry.file) last volume")
            }
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 40)
    }

    /// Small committed fixtures written by nibabel (Scripts/reference/volumeio_fixtures.py): every
    /// scalar datatype, scl_slope/scl_inter, big-endian, qform-only with qfac -1, no xform, NaN
    /// slope, a NIfTI-2 4D pair, ANALYZE 7.5. Runs without ../shared/data.
    func testFixturesMatchNibabel() throws {
        let expected = try ExpectedValues.load("Fixtures/fixtures_expected.json")
        for entry in expected.nifti {
            let path = ExpectedValues.testFolder.appendingPathComponent("Fixtures/" + entry.file).path
            let image = try NIfTIFile.read(path: path)
            XCTAssertEqual(image.shape, entry.shape, entry.file)
            XCTAssertEqual(image.volumeCount, entry.volumeCount, entry.file)
            XCTAssertLessThan(maxDifference(image.volume.geometry.affineRAS, entry.affineRAS!), 1e-4, "\(entry.file): geometry")
            assertChecksum(image.volume.voxels, entry.checksum!, entry.file)
            if let last = entry.checksumLastVolume {
                assertChecksum(try NIfTIFile.read(path: path, volumeIndex: image.volumeCount - 1).volume.voxels, last, "\(entry.file) last")
            }
        }
        XCTAssertEqual(expected.nifti.count, 20)
        let fixtures = ExpectedValues.testFolder.appendingPathComponent("Fixtures")
        XCTAssertEqual(try NIfTIFile.readHeader(path: fixtures.appendingPathComponent("qform_only_qfac.nii.gz").path).affineSource, .qform)
        XCTAssertEqual(try NIfTIFile.readHeader(path: fixtures.appendingPathComponent("analyze.hdr").path).isNIfTI, false)
        XCTAssertNotNil(try NIfTIFile.readHeader(path: fixtures.appendingPathComponent("scaled_bigendian.nii").path).scaling)
        XCTAssertNil(try NIfTIFile.readHeader(path: fixtures.appendingPathComponent("nan_slope.nii").path).scaling)
    }

    /// shear.nii.gz: sform and qform disagree; nibabel (and SegStation) follow the sform, whose
    /// axes are not orthogonal.
    func testShearFollowsSform() throws {
        guard let path = TestData.path("niivue/shear.nii.gz") else { throw XCTSkip(TestData.missing("niivue/shear.nii.gz")) }
        let image = try NIfTIFile.read(path: path)
        XCTAssertGreaterThan(image.header.sformCode, 0)
        XCTAssertGreaterThan(image.header.qformCode, 0)
        XCTAssertEqual(image.affineSource, .sform)
        XCTAssertFalse(image.volume.geometry.isOrthonormal(), "the sform of shear.nii.gz is sheared")
        XCTAssertLessThan(maxDifference(image.volume.geometry.affineRAS, image.header.srow + [[0, 0, 0, 1]]), 1e-9)
    }

    func testBigEndianAndPrecedenceCases() throws {
        guard let anatomical = TestData.path("nibabel/anatomical.nii"), let standard = TestData.path("nibabel/standard.nii.gz"),
              let minimal = TestData.path("niivue/minimal.nii.gz") else { throw XCTSkip(TestData.missing("nibabel")) }
        XCTAssertTrue(try NIfTIFile.readHeader(path: anatomical).isByteSwapped)
        XCTAssertEqual(try NIfTIFile.readHeader(path: standard).affineSource, .sform)   // qform_code 0, sform_code 2
        XCTAssertEqual(try NIfTIFile.readHeader(path: minimal).affineSource, .pixdim)   // both codes 0
        let four = try XCTUnwrap(TestData.path("nibabel/example4d.nii.gz"))
        XCTAssertThrowsError(try NIfTIFile.read(path: four, volumeIndex: 2)) { error in
            XCTAssertEqual((error as? VolumeIOError)?.kind, .invalidArgument)
        }
    }
}
