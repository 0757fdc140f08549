import DICOM
import Foundation
import Imaging
import TestSupport
import XCTest

/// Malformed SEGs give typed errors naming what is wrong. The files are made from a valid SEG with
/// DCMTK's `dcmodify` (skipped when it is not installed).
final class SEGMalformedTests: XCTestCase {
    private func makeSEG() throws -> (URL, SEGSourceSeries) {
        let source = try SEGFixtures.source("dcmqi/segmentations/ct-3slice")
        let url = try SEGFixtures.temporaryFile("valid.dcm")
        try SEGWriter(options: SEGFixtures.options).write(labelMap: SEGFixtures.labelMap(on: source, labels: 2), over: source, to: url)
        return (url, source)
    }

    private func modify(_ url: URL, _ arguments: [String]) throws {
        guard let tool = ["/usr/bin/dcmodify", "/usr/local/bin/dcmodify"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("dcmodify (dcmtk) is not installed")
        }
        let outcome = try ProcessRunner.run(URL(fileURLWithPath: tool), ["-nb", "-ie"] + arguments + [url.path])
        XCTAssertEqual(outcome.status, 0, "dcmodify \(arguments): \(outcome.stderr)")
    }

    func testMissingPerFrameFunctionalGroups() throws {
        let (url, _) = try makeSEG()
        try modify(url, ["-e", "(5200,9230)"])
        XCTAssertThrowsError(try SEGDocument(contentsOf: url)) { error in
            guard case DICOMError.badInput(_, let detail) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("5200,9230"), detail)
        }
    }

    func testWrongFrameCount() throws {
        let (url, _) = try makeSEG()
        try modify(url, ["-m", "(0028,0008)=99"])
        XCTAssertThrowsError(try SEGDocument(contentsOf: url)) { error in
            guard case DICOMError.badInput(_, let detail) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("99"), detail)
        }
    }

    func testUnknownReferencedInstance() throws {
        let (url, source) = try makeSEG()
        try modify(url, ["-m", "(5200,9230)[0].(0008,9124)[0].(0008,2112)[0].(0008,1155)=1.2.3.4.5"])
        let document = try SEGDocument(contentsOf: url)
        XCTAssertThrowsError(try document.labelMap(on: source)) { error in
            XCTAssertEqual(error as? DICOMError, .unknownReferencedInstance(file: url.path, frame: 1, sopInstanceUID: "1.2.3.4.5"))
        }
    }

    func testNotASegmentation() throws {
        guard let path = TestData.path("dcmqi/segmentations/ct-3slice/01.dcm") else { throw XCTSkip(TestData.missing("dcmqi/segmentations/ct-3slice")) }
        XCTAssertThrowsError(try SEGDocument(contentsOf: URL(fileURLWithPath: path))) { error in
            XCTAssertEqual((error as? DICOMError)?.category, .badInput)
        }
    }

    /// Several single-frame files without positions cannot be ordered (one multi-frame instance can: see
    /// SEGNoGeometryTests); a frame of pydicom's CT_small copied without its Image Position (Patient).
    func testFramesWithoutPositionInSeveralFilesAreRejected() throws {
        guard let path = TestData.path("pydicom/CT_small.dcm") else { throw XCTSkip(TestData.missing("pydicom/CT_small.dcm")) }
        let folder = try TestData.temporaryDirectory("seg-nopos")
        for name in ["a.dcm", "b.dcm"] {
            let copy = folder.appendingPathComponent(name)
            try? FileManager.default.removeItem(at: copy)
            try FileManager.default.copyItem(atPath: path, toPath: copy.path)
        }
        try modify(folder.appendingPathComponent("b.dcm"), ["-ea", "(0020,0032)", "-ma", "(0008,0018)=1.2.3.4.5.6.7"])
        try modify(folder.appendingPathComponent("a.dcm"), ["-ea", "(0020,0032)"])
        // The one DICOM reader's rule: files without a position are bad files, named.
        XCTAssertThrowsError(try SEGSourceSeries.read(folder)) { error in
            guard case DICOMError.badSlice(let file, let detail, let others) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(file.hasSuffix(".dcm") && others == 1, "\(error)")
            XCTAssertTrue(detail.contains("ImagePositionPatient (0020,0032)"), detail)
        }
    }
}

/// A SEG read against a series it does not belong to.
final class SEGWrongSourceTests: XCTestCase {
    func testSEGOfAnotherSeries() throws {
        guard let path = TestData.path("dcmqi/segmentations/liver.dcm") else { throw XCTSkip(TestData.missing("dcmqi/segmentations/liver.dcm")) }
        let other = try SEGFixtures.source("pydicom/dicomdirtests/77654033/CT2")
        XCTAssertThrowsError(try SEGDocument(contentsOf: URL(fileURLWithPath: path)).labelMap(on: other)) { error in
            guard case DICOMError.badInput(_, let detail) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains(other.seriesInstanceUID), detail)
        }
    }
}
