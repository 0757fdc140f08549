@testable import DICOM
import Foundation
import Imaging
import TestSupport
import XCTest

/// The one set of loading rules (docs/DICOM.md): every reader of a series (the loader for `segment` and
/// `convert`, the SEG/SR source for `export-seg` and `export-sr`) refuses or skips the same files, names
/// them, and sees the same stacks and identities. Fixtures are generated here (DICOMBytes, GeneratedSeries).
final class LoadingRulesTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = try TestData.temporaryDirectory("rules")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    /// A generated 8-slice series in `folder/series`.
    func series(slices: Int = 8) throws -> URL {
        let url = folder.appendingPathComponent("series")
        try GeneratedSeries.write(to: url, slices: slices, seriesUID: "2.25.2001")
        return url
    }

    /// Both readers refuse `url` with `DICOMError.badSlice` naming `file`; with --skip-bad-slices both load
    /// `expectedSlices` slices and warn naming the file.
    func assertBadSliceRule(_ url: URL, file: String, expectedSlices: Int, reasonContains: String,
                            line: UInt = #line) throws {
        for attempt in ["loader", "SEG source"] {
            XCTAssertThrowsError(try attempt == "loader"
                                 ? { _ = try DICOMLoader.load(stack: try DICOMScanner.scan(path: url.path).select()) }()
                                 : { _ = try SEGSourceSeries.read(url) }(), attempt, line: line) { error in
                guard case DICOMError.badSlice(let named, let reason, _) = error else { return XCTFail("\(attempt): \(error)", line: line) }
                XCTAssertEqual((named as NSString).lastPathComponent, file, attempt, line: line)
                XCTAssertTrue(reason.contains(reasonContains), "\(attempt): \(reason)", line: line)
                XCTAssertEqual((error as? DICOMError)?.category, .badInput, line: line)
                XCTAssertTrue("\(error)".contains("--skip-bad-slices"), "\(error)", line: line)
            }
        }
        let skip = DICOMLoadOptions(skipBadSlices: true)
        let image = try DICOMLoader.load(stack: try DICOMScanner.scan(path: url.path).select(options: skip), options: skip)
        XCTAssertEqual(image.volume.size.z, expectedSlices, line: line)
        XCTAssertTrue(image.warnings.contains { $0.kind == .badSliceSkipped && $0.message.contains(file) }, "\(image.warnings)", line: line)
        let source = try SEGSourceSeries.read(url, options: skip)
        XCTAssertEqual(source.frames.count, expectedSlices, line: line)
        XCTAssertEqual(source.frames.map(\.sopInstanceUID), image.stack.slices.map(\.sopInstanceUID), "same slices in both readers", line: line)
    }

    // MARK: - Point 1: nesting

    func testSixThousandNestedSequencesAreRefusedBeforeParsing() throws {
        let url = try series()
        let nested = DICOMBytes.deeplyNested(depth: 6000)
        XCTAssertGreaterThan(nested.count, 200_000)
        let file = url.appendingPathComponent("nested.dcm")
        try nested.write(to: file)
        // Alone: an error naming the file, no crash.
        XCTAssertThrowsError(try DICOMScanner.scan(path: file.path)) { error in
            XCTAssertEqual((error as? DICOMError)?.category, .badInput)
            XCTAssertTrue("\(error)".contains("nested.dcm") && "\(error)".contains("nested more than"), "\(error)")
        }
        // In a folder: listed as a bad file (inspect), refused by the loading commands unless skipped.
        let inventory = try DICOMScanner.scan(path: url.path)
        XCTAssertEqual(inventory.skipped.first { $0.path.hasSuffix("nested.dcm") }?.kind, .unreadable)
        try assertBadSliceRule(url, file: "nested.dcm", expectedSlices: 8, reasonContains: "nested")
    }

    func testModerateNestingIsParsed() throws {
        let file = folder.appendingPathComponent("nested40.dcm")
        try DICOMBytes.deeplyNested(depth: 40).write(to: file)
        let inventory = try? DICOMScanner.scan(path: folder.path)
        XCTAssertNil(inventory, "no image in the folder")
        XCTAssertThrowsError(try DICOMScanner.scan(path: folder.path)) { error in
            XCTAssertEqual((error as? DICOMError)?.category, .notFound, "an SR is not an image, not a bad file: \(error)")
        }
    }

    /// Regression: deflated data sets (1.2.840.10008.1.2.1.99) were left to DCMTK unscanned, so the
    /// same 6,000 levels, deflated to about 1 KB, still overflowed its stack.
    func testDeflatedNestingIsScannedBeforeParsing() throws {
        let file = folder.appendingPathComponent("nested-deflated.dcm")
        let deflated = try DICOMBytes.deeplyNested(depth: 6000, deflated: true)
        XCTAssertLessThan(deflated.count, 20_000)
        try deflated.write(to: file)
        XCTAssertThrowsError(try DICOMScanner.scan(path: file.path)) { error in
            XCTAssertEqual((error as? DICOMError)?.category, .badInput)
            XCTAssertTrue("\(error)".contains("nested-deflated.dcm") && "\(error)".contains("nested more than"), "\(error)")
        }
        // Moderate nesting, deflated: inflated by the guard, then parsed by DCMTK (an SR, not an image).
        let moderate = folder.appendingPathComponent("nested40-deflated.dcm")
        try DICOMBytes.deeplyNested(depth: 40, deflated: true).write(to: moderate)
        XCTAssertThrowsError(try DICOMScanner.scan(path: moderate.path)) { error in
            XCTAssertEqual((error as? DICOMError)?.category, .notFound, "DCMTK must read the deflated SR: \(error)")
        }
    }

    /// A deflated data set that inflates beyond what the guard may hold is refused (bounded memory),
    /// and so is one that does not inflate.
    func testDeflateBombAndBrokenDeflateAreRefused() throws {
        let zeros = try DICOMBytes.rawDeflate(Data(count: 4 << 20))
        XCTAssertLessThan(zeros.count, 10_000)
        let refusal = zeros.withUnsafeBytes { NestingGuard.checkDeflated($0.bindMemory(to: UInt8.self), capacity: 1 << 20) }
        XCTAssertTrue(refusal?.contains("more than 1048576 bytes") == true, refusal ?? "accepted")
        let whole = zeros.withUnsafeBytes { NestingGuard.checkDeflated($0.bindMemory(to: UInt8.self), capacity: 8 << 20) }
        XCTAssertNil(whole, "4 MiB of zeros inflate within 8 MiB and nest nothing")
        let broken = Data([0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x11])
        let brokenRefusal = broken.withUnsafeBytes { NestingGuard.checkDeflated($0.bindMemory(to: UInt8.self), capacity: 1 << 20) }
        XCTAssertTrue(brokenRefusal?.contains("does not inflate") == true, brokenRefusal ?? "accepted")
    }

    // MARK: - Point 6: non-image objects

    func testDirectoriesAndNonImageObjectsAreSkippedWithANote() throws {
        let url = try series()
        let names = try GeneratedSeries.files(url).map(\.lastPathComponent)
        try DICOMBytes.directory(referencing: names, philips: false).write(to: url.appendingPathComponent("DICOMDIR"))
        try DICOMBytes.directory(referencing: names, philips: true).write(to: url.appendingPathComponent("DIRFILE"))
        for (i, object) in DICOMBytes.nonImageClasses.enumerated() {
            try DICOMBytes.nonImage(sopClass: object.sopClass, modality: object.modality, instance: "2.25.900\(i)")
                .write(to: url.appendingPathComponent(object.name))
        }
        let inventory = try DICOMScanner.scan(path: url.path)
        XCTAssertEqual(inventory.allStacks.count, 1)
        XCTAssertEqual(inventory.allStacks[0].sliceCount, 8)
        XCTAssertEqual(Set(inventory.skipped.map { ($0.path as NSString).lastPathComponent }),
                       Set(["DICOMDIR", "DIRFILE"] + DICOMBytes.nonImageClasses.map(\.name)))
        XCTAssertTrue(inventory.skipped.allSatisfy { $0.kind == .notImage }, "\(inventory.skipped)")
        XCTAssertTrue(inventory.skipped.contains { $0.path.hasSuffix("DIRFILE") && $0.reason.contains("directory") }, "\(inventory.skipped)")
        // Every reader loads the 8 images without any flag.
        let image = try DICOMLoader.load(stack: try inventory.select())
        XCTAssertEqual(image.volume.size.z, 8)
        XCTAssertEqual(try SEGSourceSeries.read(url).frames.count, 8)
    }

    // MARK: - Point 5: bad slices

    func testTruncatedSliceIsRefusedNamingItOrSkipped() throws {
        let url = try series()
        let last = try GeneratedSeries.files(url).last!
        var bytes = try Data(contentsOf: last)
        bytes.removeLast()
        try bytes.write(to: last)
        try assertBadSliceRule(url, file: last.lastPathComponent, expectedSlices: 7, reasonContains: "truncated")
    }

    func testSliceMovedFarAwayIsRefusedNamingItOrSkipped() throws {
        let url = try series()
        let far = folder.appendingPathComponent("far")
        try GeneratedSeries.write(to: far, slices: 1, origin: Vector3(-8, -6, 1000.7), seriesUID: "2.25.2001")
        try FileManager.default.copyItem(at: try GeneratedSeries.files(far)[0], to: url.appendingPathComponent("moved.dcm"))
        try assertBadSliceRule(url, file: "moved.dcm", expectedSlices: 8, reasonContains: "does not fit")
    }

    func testSliceMovedBeyondAKilometreNamesTheTag() throws {
        let url = try series()
        let far = folder.appendingPathComponent("far")
        try GeneratedSeries.write(to: far, slices: 1, origin: Vector3(-8, -6, 1e12), seriesUID: "2.25.2001")
        try FileManager.default.copyItem(at: try GeneratedSeries.files(far)[0], to: url.appendingPathComponent("moved.dcm"))
        try assertBadSliceRule(url, file: "moved.dcm", expectedSlices: 8, reasonContains: "ImagePositionPatient (0020,0032)")
    }

    // MARK: - Point 10: absurd values name the tag

    func testAbsurdPixelSpacingAndRescaleSlopeNameTheTag() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/dcmodify") else { throw XCTSkip("dcmodify (Debian dcmtk) is not installed") }
        for (tag, value, name) in [("(0028,0030)", "1e308\\1e308", "PixelSpacing (0028,0030)"), ("(0028,1053)", "1e308", "RescaleSlope (0028,1053)"),
                                   ("(0028,1053)", "NaN", "RescaleSlope")] {
            let dir = folder.appendingPathComponent("absurd-\(UUID().uuidString.prefix(6))")
            try GeneratedSeries.write(to: dir, slices: 4)
            let file = try GeneratedSeries.files(dir)[2]
            let modified = try ProcessRunner.run(URL(fileURLWithPath: "/usr/bin/dcmodify"), ["-nb", "-i", "\(tag)=\(value)", file.path])
            XCTAssertEqual(modified.status, 0, modified.stderr)
            XCTAssertThrowsError(try DICOMScanner.scan(path: file.path)) { error in
                XCTAssertEqual((error as? DICOMError)?.category, .badInput, "\(error)")
                XCTAssertTrue("\(error)".contains(name) && "\(error)".contains(file.lastPathComponent), "\(error)")
            }
            XCTAssertThrowsError(try DICOMScanner.scan(path: dir.path).select()) { error in
                guard case DICOMError.badSlice(let named, let reason, _) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(named, file.path)
                XCTAssertTrue(reason.contains(name), reason)
            }
        }
    }

    // MARK: - Point 18: multi-stack series

    func testAmbiguousMultiStackSeriesListsWhatSetsStacksApart() throws {
        let url = try series()
        let other = folder.appendingPathComponent("wide")
        let g = VolumeGeometry(size: SIMD3(20, 12, 5), spacingMM: Vector3(1, 1, 2), originLPS: Vector3(0, 0, 0), direction: .identity)
        var d = DICOMSeriesDescription(patientID: "GEN-1", patientName: "Gen^Patient", studyInstanceUID: "2.25.1001", studyDate: "20240102",
                                       seriesDescription: "generated", frameOfReferenceUID: "2.25.1003")
        d.seriesInstanceUID = "2.25.2001"
        try DICOMSeriesWriter.write(Volume<Float>(geometry: g, repeating: 5), to: other, description: d)
        for f in try GeneratedSeries.files(other) { try FileManager.default.moveItem(at: f, to: url.appendingPathComponent("w-" + f.lastPathComponent)) }
        let inventory = try DICOMScanner.scan(path: url.path)
        let stacks = inventory.allStacks
        XCTAssertEqual(stacks.count, 2)
        XCTAssertTrue(stacks[0].distinguishingAttributes.contains("16x12"), "\(stacks[0].distinguishingAttributes)")
        XCTAssertTrue(stacks[1].distinguishingAttributes.contains("20x12"), "\(stacks[1].distinguishingAttributes)")
        for attempt in [{ _ = try inventory.select() }, { _ = try SEGSourceSeries.read(url) }] {
            XCTAssertThrowsError(try attempt()) { error in
                guard case DICOMError.ambiguousStacks(_, let lines) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(lines.count, 2)
                XCTAssertTrue("\(error)".contains("--stack"), "\(error)")
                XCTAssertTrue(lines[0].contains("16x12") && lines[1].contains("20x12"), "\(lines)")
            }
        }
        XCTAssertEqual(try inventory.select(stackIndex: 1).columns, 20)
        XCTAssertEqual(try SEGSourceSeries.read(url, stackIndex: 1).columns, 20)
    }

    // MARK: - Point 19: messages name CLI flags

    func testUnevenSpacingMessageNamesTheFlag() throws {
        let url = try series(slices: 6)
        try FileManager.default.removeItem(at: try GeneratedSeries.files(url)[3])
        XCTAssertThrowsError(try DICOMLoader.load(stack: try DICOMScanner.scan(path: url.path).select())) { error in
            XCTAssertTrue("\(error)".contains("--uneven-spacing resample"), "\(error)")
            XCTAssertFalse("\(error)".contains("unevenSpacing"), "\(error)")
        }
        let resample = DICOMLoadOptions(unevenSpacing: .resample)
        XCTAssertEqual(try DICOMLoader.load(stack: try DICOMScanner.scan(path: url.path).select(), options: resample).volume.size.z, 6)
    }
}
