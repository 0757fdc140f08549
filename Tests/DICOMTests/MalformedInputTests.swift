import Foundation
import XCTest
@testable import DICOM
import Imaging
import TestSupport

/// Bad input gives a `DICOMError` naming the file and the problem: never a crash, hang or other error type.
final class MalformedInputTests: XCTestCase {
    /// Scans `path` and loads every stack; returns the DICOMError if any step failed.
    /// Fails the test when an error of another type escapes.
    private func scanAndLoad(_ path: String, file: StaticString = #filePath, line: UInt = #line) -> DICOMError? {
        do {
            let inventory = try DICOMScanner.scan(path: path)
            for stack in inventory.allStacks { _ = try DICOMLoader.load(stack: stack) }
            return nil
        } catch let error as DICOMError {
            return error
        } catch {
            XCTFail("\(path): non-DICOMError \(error)", file: file, line: line)
            return nil
        }
    }

    private func assertFails(_ path: String, mentioning words: [String] = [], file: StaticString = #filePath, line: UInt = #line) {
        guard let error = scanAndLoad(path, file: file, line: line) else {
            XCTFail("\(path) loaded without error", file: file, line: line)
            return
        }
        let text = error.description
        XCTAssertTrue(text.contains((path as NSString).lastPathComponent), "error does not name the file: \(text)", file: file, line: line)
        for w in words { XCTAssertTrue(text.contains(w), "error '\(text)' lacks '\(w)'", file: file, line: line) }
    }

    func testPydicomMalformedFiles() throws {
        guard TestData.root != nil else { throw XCTSkip(TestData.missing("pydicom")) }
        let cases: [(String, [String])] = [
            ("pydicom/MR_truncated.dcm", ["truncated"]),
            ("pydicom/rtplan_truncated.dcm", ["truncated"]),
            ("pydicom/no_meta.dcm", ["not a DICOM file"]),
            ("pydicom/badVR.dcm", ["not a loadable image"]),
            ("pydicom/meta_missing_tsyntax.dcm", ["(0028,0010)"]),
            ("pydicom/nested_priv_SQ.dcm", []),
            ("pydicom/rtstruct.dcm", ["RT"]),
            ("pydicom/test-SR.dcm", ["SR"]),
            ("pydicom/liver_1frame.dcm", ["SEG"]),
            ("pydicom/rtplan.dump", ["not a DICOM file"]),
            ("pydicom-data/emri_small_jpeg_2k_lossless_too_short.dcm", ["truncated"]),
        ]
        for (relative, words) in cases {
            guard let path = TestData.path(relative) else { throw XCTSkip(TestData.missing(relative)) }
            assertFails(path, mentioning: words)
        }
    }

    /// The whole pydicom folder: scanning notes every file it skips; every stack loads or throws DICOMError.
    func testPydicomFolderNeverCrashes() throws {
        guard let folder = TestData.path("pydicom") else { throw XCTSkip(TestData.missing("pydicom")) }
        let inventory = try DICOMScanner.scan(path: folder)
        XCTAssertGreaterThan(inventory.skipped.count, 50)
        XCTAssertTrue(inventory.skipped.contains { $0.path.hasSuffix("MR_truncated.dcm") && $0.reason.contains("truncated") })
        XCTAssertTrue(inventory.skipped.contains { $0.path.hasSuffix("rtstruct.dcm") })
        for stack in inventory.allStacks {
            do { _ = try DICOMLoader.load(stack: stack, options: DICOMLoadOptions(unevenSpacing: .resample)) } catch is DICOMError {}
        }
    }

    /// Every file of pydicom/ and pydicom-data/ on its own (single-file scans also let DCMTK try
    /// files that do not look like DICOM): loads, or throws a DICOMError naming the file.
    func testEveryPydicomFileAlone() throws {
        guard let root = TestData.root else { throw XCTSkip(TestData.missing("pydicom")) }
        var files = [String]()
        for folder in ["pydicom", "pydicom-data"] {
            files += DICOMScanner.listFiles(under: root.appendingPathComponent(folder).path)
        }
        XCTAssertGreaterThan(files.count, 150)
        var loaded = 0, failed = 0
        for path in files {
            if let error = scanAndLoad(path) {
                failed += 1
                XCTAssertTrue(error.description.contains((path as NSString).lastPathComponent) || error.description.contains("stack"),
                              "error does not name the file: \(error)")
            } else {
                loaded += 1
            }
        }
        XCTAssertGreaterThan(loaded, 10)
        XCTAssertGreaterThan(failed, 50)
    }

    func testFolderWithoutImagesIsNotFound() throws {
        let dir = try TestData.temporaryDirectory("dicom-empty")
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("not dicom".utf8).write(to: dir.appendingPathComponent("a.txt"))
        XCTAssertThrowsError(try DICOMScanner.scan(path: dir.path)) { error in
            XCTAssertEqual((error as? DICOMError)?.category, .notFound)
            XCTAssertTrue("\(error)".contains("no loadable DICOM image"), "\(error)")
        }
        XCTAssertThrowsError(try DICOMScanner.scan(path: dir.path + "/missing")) { error in
            XCTAssertEqual((error as? DICOMError)?.category, .notFound)
        }
    }

    // MARK: generated corruptions of real files

    private func source(_ relative: String) throws -> Data {
        guard let path = TestData.path(relative) else { throw XCTSkip(TestData.missing(relative)) }
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// Offset of the value of an explicit-VR little-endian US attribute (group, element).
    private func usValueOffset(_ data: Data, _ group: UInt16, _ element: UInt16) -> Int? {
        let pattern: [UInt8] = [UInt8(group & 0xFF), UInt8(group >> 8), UInt8(element & 0xFF), UInt8(element >> 8), 0x55, 0x53, 0x02, 0x00]
        return data.firstRange(of: Data(pattern)).map { $0.upperBound }
    }

    private func write(_ data: Data, _ name: String, in dir: URL) throws -> String {
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        return url.path
    }

    func testTruncationAtRandomOffsets() throws {
        let dir = try TestData.temporaryDirectory("dicom-trunc")
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SplitMix(seed: 2)
        for relative in ["pydicom/CT_small.dcm", "pydicom/MR_small_jp2klossless.dcm", "pydicom/MR_small_RLE.dcm", "pydicom-data/emri_small_jpeg_ls_lossless.dcm"] {
            let data = try source(relative)
            for n in 0..<25 {
                let cut = Int(rng.next() % UInt64(data.count - 1))
                let path = try write(data.prefix(cut), "cut\(n)_\(cut)_" + (relative as NSString).lastPathComponent, in: dir)
                assertFails(path)
            }
        }
    }

    func testAbsurdSizesAndMissingPixelData() throws {
        let dir = try TestData.temporaryDirectory("dicom-absurd")
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try source("pydicom/CT_small.dcm")
        let rows = try XCTUnwrap(usValueOffset(data, 0x0028, 0x0010))
        let columns = try XCTUnwrap(usValueOffset(data, 0x0028, 0x0011))
        let bitsAllocated = try XCTUnwrap(usValueOffset(data, 0x0028, 0x0100))
        let bitsStored = try XCTUnwrap(usValueOffset(data, 0x0028, 0x0101))
        func patched(_ offset: Int, _ value: UInt16) -> Data {
            var d = data
            d[offset] = UInt8(value & 0xFF)
            d[offset + 1] = UInt8(value >> 8)
            return d
        }
        assertFails(try write(patched(rows, 0xFFFF), "rows65535.dcm", in: dir), mentioning: ["(7FE0,0010)", "expected"])
        assertFails(try write(patched(columns, 0xFFFF), "cols65535.dcm", in: dir), mentioning: ["(7FE0,0010)"])
        assertFails(try write(patched(rows, 0), "rows0.dcm", in: dir), mentioning: ["(0028,0010)"])
        assertFails(try write(patched(bitsAllocated, 12), "bits12.dcm", in: dir), mentioning: ["(0028,0100)"])
        assertFails(try write(patched(bitsStored, 40), "stored40.dcm", in: dir), mentioning: ["(0028,0101)"])
        // Cut just before the PixelData tag: a well-formed file without pixels.
        let pixelTag = try XCTUnwrap(data.range(of: Data([0xE0, 0x7F, 0x10, 0x00]), options: .backwards))
        assertFails(try write(data.prefix(pixelTag.lowerBound), "nopixels.dcm", in: dir), mentioning: ["PixelData", "(7FE0,0010)", "missing"])
        // A 4 GiB PixelData length field.
        var huge = data
        for i in 0..<4 { huge[pixelTag.lowerBound + 8 + i] = i == 0 ? 0xF0 : 0xFF }
        assertFails(try write(huge, "hugelength.dcm", in: dir))
    }

    /// Random byte changes in headers and compressed streams: any outcome but a crash or a
    /// non-DICOM error (some changes are harmless and load).
    func testRandomByteCorruptionNeverCrashes() throws {
        let dir = try TestData.temporaryDirectory("dicom-flip")
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = SplitMix(seed: 11)
        for relative in ["pydicom/CT_small.dcm", "pydicom/MR_small_jp2klossless.dcm", "pydicom/MR_small_jpeg_ls_lossless.dcm", "pydicom/MR_small_RLE.dcm"] {
            let data = try source(relative)
            for n in 0..<20 {
                var d = data
                for _ in 0..<8 { d[132 + Int(rng.next() % UInt64(d.count - 132))] = UInt8(truncatingIfNeeded: rng.next()) }
                _ = scanAndLoad(try write(d, "flip\(n)_" + (relative as NSString).lastPathComponent, in: dir))
            }
        }
    }
}
