import DICOM
import Foundation
import Imaging
import TestSupport
import XCTest

/// Bad RTSTRUCTs (made from ours with DCMTK's dcmodify) give typed errors naming ROI, contour and tag, or
/// the stated repair (docs/RTSTRUCT.md, "What is refused"); never a crash.
final class RTStructMalformedTests: XCTestCase {
    var source: SEGSourceSeries!
    var original: URL!

    override func setUpWithError() throws {
        source = try SEGFixtures.source("dcmqi/segmentations/ct-3slice")
        original = try RTFixtures.temporaryFile("original.dcm")
        try RTStructWriter(options: RTFixtures.options).write(labelMap: SEGFixtures.labelMap(on: source, labels: 2), over: source, to: original)
    }

    /// A copy of the original modified by dcmodify with `arguments`.
    func modified(_ arguments: [String]) throws -> URL {
        guard let dcmodify = ExternalTool("dcmodify") else { throw XCTSkip(ExternalTool.missing("dcmodify", package: "dcmtk")) }
        let url = original.deletingLastPathComponent().appendingPathComponent("\(UUID().uuidString).dcm")
        try FileManager.default.copyItem(at: original, to: url)
        let run = try dcmodify.run(["-nb", "-ie"] + arguments + [url.path])
        XCTAssertEqual(run.status, 0, run.output)
        return url
    }

    func assertBadInput(_ url: URL, mentions: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try RTStructDocument(contentsOf: url).labelMap(on: source), file: file, line: line) { error in
            guard let error = error as? DICOMError, case .badInput = error else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual(error.category, .badInput)
            for m in mentions { XCTAssertTrue(error.description.contains(m), "\(error) should mention \(m)", file: file, line: line) }
        }
    }

    static let firstContour = "(3006,0039)[0].(3006,0040)[0]"

    func testContourReferencingAnImageNotInTheSource() throws {
        let url = try modified(["-m", "\(Self.firstContour).(3006,0016)[0].(0008,1155)=1.2.3.4.5"])
        assertBadInput(url, mentions: ["ROI 'Label 1'", "contour 1", "(0008,1155)", "1.2.3.4.5"])
    }

    func testWrongFrameOfReference() throws {
        let url = try modified(["-m", "(3006,0020)[0].(3006,0024)=1.2.3.4.6"])
        assertBadInput(url, mentions: ["ROI 'Label 1'", "(3006,0024)", "1.2.3.4.6"])
    }

    func testContourOffItsImagePlane() throws {
        let url = try modified(["-m", "\(Self.firstContour).(3006,0050)=0\\0\\900\\10\\0\\900\\0\\10\\900", "-m", "\(Self.firstContour).(3006,0046)=3"])
        assertBadInput(url, mentions: ["contour 1", "(3006,0050)", "referenced image"])
    }

    func testContourOffEveryPlaneWithoutImageReference() throws {
        let url = try modified(["-m", "\(Self.firstContour).(3006,0050)=0\\0\\900\\10\\0\\900\\0\\10\\900", "-m", "\(Self.firstContour).(3006,0046)=3",
                                "-e", "\(Self.firstContour).(3006,0016)"])
        assertBadInput(url, mentions: ["contour 1", "(3006,0050)", "nearest source plane"])
    }

    func testPointCountNotMatchingContourData() throws {
        let url = try modified(["-m", "\(Self.firstContour).(3006,0046)=7"])
        XCTAssertThrowsError(try RTStructDocument(contentsOf: url)) { error in
            XCTAssertTrue("\(error)".contains("(3006,0046)"), "\(error)")
            XCTAssertEqual((error as? DICOMError)?.category, .badInput)
        }
    }

    /// An ROI without contours is read as an empty label (the stated repair), the others unchanged.
    func testEmptyROIGivesAnEmptyLabel() throws {
        let url = try modified(["-e", "(3006,0039)[0].(3006,0040)"])
        let (labels, rois) = try RTStructDocument(contentsOf: url).labelMap(on: source)
        XCTAssertEqual(rois.map(\.contours), [0, rois[1].contours])
        XCTAssertEqual(rois[0].voxels, 0)
        let expected = source.sampled(SEGFixtures.labelMap(on: source, labels: 2), interpolation: .nearest, outside: 0)
        XCTAssertEqual(labels.voxels.filter { $0 == 2 }.count, expected.filter { $0 == 2 }.count)
    }

    /// A self-intersecting contour (a bow tie) is filled by the even-odd rule: both side lobes inside, the
    /// top and bottom lobes outside (the stated repair: the rule itself, no error).
    func testSelfIntersectingContourFollowsEvenOdd() throws {
        let frame = source.frames[0]
        func lps(_ x: Double, _ y: Double) -> [Double] {
            let p = frame.positionLPS + source.rowDirectionLPS * (x * source.pixelSpacingMM.i) + source.columnDirectionLPS * (y * source.pixelSpacingMM.j)
            return [p.x, p.y, p.z]
        }
        let points = [lps(100, 100), lps(140, 140), lps(140, 100), lps(100, 140)].flatMap { $0 }
        let data = points.map { String(format: "%.4f", $0) }.joined(separator: "\\")
        let url = try modified(["-m", "\(Self.firstContour).(3006,0050)=\(data)", "-m", "\(Self.firstContour).(3006,0046)=4",
                                "-m", "\(Self.firstContour).(3006,0016)[0].(0008,1155)=\(frame.sopInstanceUID)"])
        let (labels, _) = try RTStructDocument(contentsOf: url).roiMask(named: "Label 1", on: source)
        let k = 0, g = labels.geometry
        XCTAssertEqual(labels[105, 120, k], 1, "left lobe")
        XCTAssertEqual(labels[135, 120, k], 1, "right lobe")
        XCTAssertEqual(labels[120, 105, k], 0, "top lobe")
        XCTAssertEqual(labels[120, 135, k], 0, "bottom lobe")
        XCTAssertEqual(g.size.z, source.frames.count)
    }

    func testNotAnRTStruct() throws {
        let ct = try XCTUnwrap(TestData.path("dcmqi/segmentations/ct-3slice/01.dcm"))
        XCTAssertFalse(RTStructDocument.isRTStruct(URL(fileURLWithPath: ct)))
        XCTAssertTrue(RTStructDocument.isRTStruct(original))
        XCTAssertThrowsError(try RTStructDocument(contentsOf: URL(fileURLWithPath: ct))) { error in
            XCTAssertTrue("\(error)".contains("(0008,0060)"), "\(error)")
        }
    }

    func testUnknownROIName() throws {
        XCTAssertThrowsError(try RTStructDocument(contentsOf: original).labelMap(on: source, roi: "Liver")) { error in
            XCTAssertEqual((error as? DICOMError)?.category, .invalidArgument)
            XCTAssertTrue("\(error)".contains("'Label 1'"), "\(error)")
        }
    }
}

extension RTStructDocument {
    /// The mask of one ROI (label 1) only.
    func roiMask(named name: String, on source: SEGSourceSeries) throws -> (LabelMap, [RasterisedROI]) {
        let result = try labelMap(on: source, roi: name)
        return (result.labels, result.rois)
    }
}
