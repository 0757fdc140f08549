import Foundation
import XCTest
@testable import DICOM
import Imaging
import TestSupport

/// Scanning: DICOMDIR, metadata as typed values, inventory JSON, pixel value conversion.
final class ScannerTests: XCTestCase {
    func testDICOMDIRFindsReferencedSeries() throws {
        guard let dicomdir = TestData.path("pydicom/dicomdirtests/DICOMDIR") else { throw XCTSkip(TestData.missing("pydicom/dicomdirtests")) }
        let inventory = try DICOMScanner.scan(path: dicomdir)
        XCTAssertEqual(inventory.fileCount, 31, "files referenced by the DICOMDIR")
        let ct2 = try XCTUnwrap(inventory.allStacks.first { $0.slices.first?.file.contains("77654033/CT2") == true })
        XCTAssertEqual(ct2.sliceCount, 4)
        XCTAssertTrue(inventory.allStacks.contains { $0.isLocalizer }, "Scout images are flagged as localizers")
        // Sorted by position, not by InstanceNumber (18, 180, 181, 182 here).
        let normal = cross(ct2.rowDirectionLPS, ct2.columnDirectionLPS)
        let d = ct2.slices.map { dot($0.positionLPS, normal) }
        XCTAssertEqual(d, d.sorted())
        // The big-endian DICOMDIR gives the same files.
        if let bigEndian = TestData.path("pydicom/dicomdirtests/DICOMDIR-bigEnd") {
            XCTAssertEqual(try DICOMScanner.scan(path: bigEndian).allStacks.count, inventory.allStacks.count)
        }
    }

    func testMetadataAndInventoryJSON() throws {
        guard let path = TestData.path("pydicom/CT_small.dcm") else { throw XCTSkip(TestData.missing("pydicom")) }
        let inventory = try DICOMScanner.scan(path: path)
        let stack = try inventory.stack()
        XCTAssertEqual(stack.patient.id, "1CT1")
        XCTAssertEqual(stack.patient.name, "CompressedSamples^CT1")
        XCTAssertEqual(stack.study.studyInstanceUID, "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322")
        XCTAssertEqual(stack.study.date, "20040119")
        XCTAssertEqual(stack.series.seriesInstanceUID, "1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322")
        XCTAssertEqual(stack.series.frameOfReferenceUID, "1.3.6.1.4.1.5962.1.4.1.1.20040119072730.12322")
        XCTAssertEqual(stack.series.modality, "CT")
        XCTAssertEqual(stack.slices[0].sopInstanceUID, "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322")
        XCTAssertEqual(stack.slices[0].frameNumber, 1)
        XCTAssertEqual(stack.transferSyntaxUIDs, ["1.2.840.10008.1.2.1"])
        let data = try JSONEncoder().encode(inventory)
        let decoded = try JSONDecoder().decode(DICOMInventory.self, from: data)
        XCTAssertEqual(decoded.allStacks.first?.slices, stack.slices)
        XCTAssertTrue(inventory.withoutSlices().allStacks.allSatisfy { $0.slices.isEmpty && $0.transferSyntaxUIDs == ["1.2.840.10008.1.2.1"] })
        // A stack beyond the voxel limit is refused before anything is decoded.
        var huge = stack
        huge.rows = 65535
        huge.columns = 65535
        huge.slices = Array(repeating: stack.slices[0], count: 1000)
        XCTAssertThrowsError(try DICOMLoader.load(stack: huge)) { error in
            XCTAssertEqual((error as? DICOMError)?.category, .badInput)
            XCTAssertTrue("\(error)".contains("65535x65535x1000"), "\(error)")
        }
        XCTAssertThrowsError(try inventory.stack(index: 3)) { XCTAssertEqual(($0 as? DICOMError)?.category, .invalidArgument) }
        XCTAssertThrowsError(try inventory.stack(seriesInstanceUID: "1.2.3")) { XCTAssertEqual(($0 as? DICOMError)?.category, .invalidArgument) }
    }

    func testSiemensCSAHeader() throws {
        guard let path = TestData.path("dcm_qa_ts/In/1.dcm") else { throw XCTSkip(TestData.missing("dcm_qa_ts")) }
        let file = try DICOMFile(path: path)
        let csa = CSAHeader.parse(try XCTUnwrap(file.dataset.bytes(SiemensMosaic.csaImageHeader)))
        XCTAssertEqual(csa["NumberOfImagesInMosaic"], ["35"])
        XCTAssertEqual(csa["SliceNormalVector"]?.count, 3)
        let mosaic = try XCTUnwrap(try SiemensMosaic.detect(file.dataset, imageType: file.dataset.strings(.imageType), rows: 384, columns: 384, path: path))
        XCTAssertEqual([mosaic.sliceCount, mosaic.tilesPerRow, mosaic.tileRows, mosaic.tileColumns], [35, 6, 64, 64])
        XCTAssertNotNil(mosaic.sliceNormal)
        XCTAssertEqual(CSAHeader.parse([1, 2, 3]), [:])
    }

    // MARK: pixel value conversion (no data needed)

    private func slice(slope: Double = 1, intercept: Double = 0, padding: Int? = nil, limit: Int? = nil, monochrome1: Bool = false) -> DICOMSlice {
        DICOMSlice(file: "x.dcm", frameNumber: 1, sopInstanceUID: "1", sopClassUID: nil, instanceNumber: nil, acquisitionNumber: nil,
                   positionLPS: .zero, rescaleSlope: slope, rescaleIntercept: intercept, paddingValue: padding,
                   paddingRangeLimit: limit, isMonochrome1: monochrome1, transferSyntaxUID: "1.2.840.10008.1.2.1")
    }

    private func convert(_ stored: [Int32], _ s: DICOMSlice, signed: Bool, bitsStored: Int = 12) -> (values: [Float], padded: [Bool]) {
        let info = PixelInfo(rows: 1, columns: stored.count, frames: 1, bitsAllocated: 16, bitsStored: bitsStored, isSigned: signed, isEncapsulated: false)
        var out = [Float](repeating: .nan, count: stored.count)
        var padded = [Bool](repeating: false, count: stored.count)
        out.withUnsafeMutableBufferPointer { o in
            padded.withUnsafeMutableBufferPointer { p in
                PixelReader.convert(stored, from: 0, count: stored.count, slice: s, info: info, into: o.baseAddress!, padded: p.baseAddress)
            }
        }
        return (out, padded)
    }

    func testRescaleMonochrome1AndPadding() {
        XCTAssertEqual(convert([0, 1, 4095], slice(slope: 2, intercept: -1024), signed: false).values, [-1024, -1022, 7166])
        // MONOCHROME1: stored values inverted within BitsStored before the rescale.
        XCTAssertEqual(convert([0, 4095, 100], slice(monochrome1: true), signed: false).values, [4095, 0, 3995])
        XCTAssertEqual(convert([-2048, 2047, 0], slice(monochrome1: true), signed: true).values, [2047, -2048, -1])
        // Padding: a US-encoded value of a signed image (-2000 read as 63536) and a range.
        XCTAssertEqual(convert([-2000, -1999, 5], slice(padding: 63536), signed: true).padded, [true, false, false])
        XCTAssertEqual(convert([10, 20, 30, 40], slice(padding: 35, limit: 15), signed: false).padded, [false, true, true, false])
    }
}
