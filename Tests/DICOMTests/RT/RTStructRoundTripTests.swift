import DICOM
import Foundation
import Imaging
import TestSupport
import XCTest

/// Write -> dciodvfy -> read back, over real source series (plain, gantry-tilted and uneven, enhanced, J2K).
final class RTStructRoundTripTests: XCTestCase {
    static let sources = [
        "dcmqi/segmentations/ct-3slice",
        "dcm_qa_ct/GE",
        "pydicom/dicomdirtests/77654033/CT2",
        "totalsegmentator/example_ct_dicom",
        "pydicom-data/eCT_Supplemental.dcm",
    ]

    /// Without reduction the pixel-centre rasterisation of the traced polygons is the mask, voxel for voxel:
    /// holes, islands in holes, corner contacts and single pixels included.
    func testUnreducedContoursGiveTheMaskBackExactly() throws {
        var tested = 0
        for relative in Self.sources {
            guard TestData.path(relative) != nil else { print("skipping \(relative): \(TestData.missing(relative))"); continue }
            let source = try SEGFixtures.source(relative)
            let map = RTFixtures.labelMap(on: source)
            let url = try RTFixtures.temporaryFile("exact.dcm")
            var options = RTFixtures.options
            options.toleranceMM = 0
            let result = try RTStructWriter(options: options).write(labelMap: map, over: source, to: url)
            XCTAssertEqual(result.roiNumbers, [1: 1, 2: 2, 3: 3, 4: 4, 5: 5], relative)
            let document = try RTStructDocument(contentsOf: url)
            XCTAssertEqual(document.rois.map(\.name), ["Label 1", "Label 2", "Label 3", "Label 4", "Label 5"])
            XCTAssertEqual(document.rois.reduce(0) { $0 + $1.contours.count }, result.contourCount)
            let (back, rois) = try document.labelMap(on: source)
            let expected = source.sampled(map, interpolation: .nearest, outside: 0)
            XCTAssertEqual(zip(back.voxels, expected).filter { $0 != $1 }.count, 0, "round trip over \(relative)")
            XCTAssertEqual(rois.map(\.voxels), (1...5).map { l in expected.filter { $0 == l }.count }, relative)
            tested += 1
        }
        if tested == 0 { throw XCTSkip(TestData.missing("dcm_qa_ct/GE")) }
    }

    /// The default 0.2 mm reduction keeps Dice >= 0.98 per ROI (in practice >= 0.99) with far fewer points.
    func testReducedContoursKeepDice() throws {
        for relative in Self.sources {
            guard TestData.path(relative) != nil else { continue }
            let source = try SEGFixtures.source(relative)
            let map = RTFixtures.labelMap(on: source)
            let url = try RTFixtures.temporaryFile("reduced.dcm")
            let result = try RTStructWriter(options: RTFixtures.options).write(labelMap: map, over: source, to: url)
            XCTAssertLessThan(result.pointCount, result.tracedVertexCount / 2, relative)
            let back = try RTStructDocument(contentsOf: url).labelMap(on: source).labels
            let expected = source.sampled(map, interpolation: .nearest, outside: 0)
            let dice = RTFixtures.dice(back.voxels, expected, labels: [1, 2, 3, 4, 5])
            print("RT reduced 0.2 mm \(relative): points \(result.pointCount) of \(result.tracedVertexCount); Dice \(dice.sorted { $0.key < $1.key }.map { String(format: "%.4f", $0.value) })")
            for (label, d) in dice { XCTAssertGreaterThanOrEqual(d, 0.98, "\(relative) label \(label)") }
        }
    }

    /// dciodvfy (dicom3tools) finds no error in what we write; every contour names its frame's instance.
    func testWrittenStructureSetsValidate() throws {
        for relative in Self.sources {
            guard TestData.path(relative) != nil else { continue }
            let source = try SEGFixtures.source(relative)
            let url = try RTFixtures.temporaryFile("valid.dcm")
            try RTStructWriter(options: RTFixtures.options).write(labelMap: RTFixtures.labelMap(on: source), over: source, to: url)
            try RTFixtures.assertValid(url)
            let document = try RTStructDocument(contentsOf: url)
            XCTAssertEqual(document.frameOfReferenceUID, source.frameOfReferenceUID)
            let uids = Set(source.frames.map(\.sopInstanceUID))
            for roi in document.rois {
                XCTAssertEqual(roi.frameOfReferenceUID, source.frameOfReferenceUID)
                for c in roi.contours {
                    XCTAssertEqual(c.geometricType, "CLOSED_PLANAR")
                    XCTAssertTrue(uids.contains(c.referencedSOPInstanceUID ?? ""), "\(relative) ROI \(roi.name) contour \(c.number)")
                }
            }
            let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
            XCTAssertNotNil(attributes[.size])
        }
    }

    /// Names, colours and interpreted types come from the labels file.
    func testROIDescriptionsFromLabelsFile() throws {
        let source = try SEGFixtures.source("pydicom/dicomdirtests/77654033/CT2")
        let folder = try TestData.temporaryDirectory("rt-labels")
        let labels = folder.appendingPathComponent("labels.json")
        try Data("""
        [{"value": 1, "name": "Liver", "colorRGB": [221, 130, 101], "rtROIInterpretedType": "ORGAN"},
         {"value": 2, "name": "Tumour", "colorRGB": [255, 0, 0],
          "category": {"code": "49755003", "scheme": "SCT", "meaning": "Morphologically Abnormal Structure"}},
         {"value": 3, "name": "Kidney", "category": {"code": "123037004", "scheme": "SCT", "meaning": "Anatomical Structure"}}]
        """.utf8).write(to: labels)
        let rois = try RTROIDescription.list(fromLabelsFile: labels)
        let url = folder.appendingPathComponent("rt.dcm")
        try RTStructWriter(options: RTFixtures.options).write(labelMap: SEGFixtures.labelMap(on: source, labels: 3), rois: rois, over: source, to: url)
        let document = try RTStructDocument(contentsOf: url)
        XCTAssertEqual(document.rois.map(\.name), ["Liver", "Tumour", "Kidney"])
        XCTAssertEqual(document.rois.map(\.interpretedType), ["ORGAN", "", "ORGAN"])
        XCTAssertEqual(document.rois[0].color, RGBColor(red: 221, green: 130, blue: 101))
        XCTAssertEqual(document.rois[1].color, RGBColor(red: 255, green: 0, blue: 0))

        try Data(#"[{"value": 1, "name": "Liver", "rtROIInterpretedType": "LIVER"}]"#.utf8).write(to: labels)
        XCTAssertThrowsError(try RTROIDescription.list(fromLabelsFile: labels)) { error in
            XCTAssertTrue("\(error)".contains("(3006,00A4)"), "\(error)")
        }
    }
}
