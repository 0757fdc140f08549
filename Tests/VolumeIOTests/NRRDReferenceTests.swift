import Imaging
import TestSupport
import VolumeIO
import XCTest

/// The pyradiomics and dcmqi NRRDs read with pynrrd's geometry and values.
final class NRRDReferenceTests: XCTestCase {
    func testEveryFileMatchesPynrrd() throws {
        let expected = try ExpectedValues.load()
        guard TestData.root != nil else { throw XCTSkip(TestData.missing("pyradiomics")) }
        for entry in expected.nrrd {
            guard let path = TestData.path(entry.file) else { XCTFail("missing \(entry.file)"); continue }
            let image = try NRRDFile.read(path: path)
            let g = image.volume.geometry
            XCTAssertEqual([g.size.x, g.size.y, g.size.z], entry.shape, entry.file)
            XCTAssertLessThan(maxDifference(g.affineLPS, entry.affineLPS), 1e-9, "\(entry.file): geometry")
            assertChecksum(image.volume.voxels, entry.checksum, entry.file)
        }
        XCTAssertGreaterThanOrEqual(expected.nrrd.count, 20)
    }

    /// NRRDs written by pynrrd (Scripts/reference/volumeio_fixtures.py): RAS space, big endian,
    /// ascii doubles, a detached header, a gzip 4D file with a list axis. Runs without ../shared/data.
    func testPynrrdFixtures() throws {
        let expected = try ExpectedValues.load("Fixtures/fixtures_expected.json")
        for entry in expected.nrrd {
            let path = ExpectedValues.testFolder.appendingPathComponent("Fixtures/" + entry.file).path
            let image = try NRRDFile.read(path: path)
            let g = image.volume.geometry
            XCTAssertEqual([g.size.x, g.size.y, g.size.z], entry.shape, entry.file)
            XCTAssertLessThan(maxDifference(g.affineLPS, entry.affineLPS), 1e-9, "\(entry.file): geometry")
            assertChecksum(image.volume.voxels, entry.checksum, entry.file)
            if let last = entry.checksumLastVolume {
                XCTAssertEqual(image.volumeCount, 2)
                assertChecksum(try NRRDFile.read(path: path, volumeIndex: 1).volume.voxels, last, "\(entry.file) last")
            }
        }
        XCTAssertEqual(expected.nrrd.count, 4)
    }

    func testLabelsReadAsLabelMap() throws {
        guard let path = TestData.path("pyradiomics/brain1_label.nrrd") else { throw XCTSkip(TestData.missing("pyradiomics")) }
        let labels = try VolumeFile.readLabels(path)
        XCTAssertGreaterThan(labels.voxels.filter { $0 > 0 }.count, 0)
        guard let image = TestData.path("pyradiomics/brain1_image.nrrd") else { return }
        XCTAssertThrowsError(try VolumeFile.readLabels(image)) { error in
            XCTAssertEqual((error as? VolumeIOError)?.field, "voxel values")
        }
    }
}
