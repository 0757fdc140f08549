import DICOM
import Foundation
import Imaging
import TestSupport
import XCTest

/// RTSTRUCTs written by other tools load, with Dice >= 0.98 per ROI against the masks they were made
/// from: rt-utils (OpenCV contours through boundary pixel centres, and its pin-hole variant), plastimatch,
/// and a planning-system-style keyhole contour (a zero-width cut joining a hole to the outside).
/// Fixtures and masks: Tests/DICOMTests/RT/Fixtures, made by Scripts/reference/rtstruct_fixtures.py over
/// dcmqi's ct-3slice CT.
final class RTStructForeignTests: XCTestCase {
    struct Fixtures: Decodable {
        var source: String
        var rows: Int
        var columns: Int
        var frames: [String]
        var files: [String: [String]]
        var runs: [String: [[Int]]]
    }

    static let folder = TestData.repositoryRoot.appendingPathComponent("Tests/DICOMTests/RT/Fixtures")

    static func fixtures() throws -> Fixtures {
        let data = try Data(contentsOf: folder.appendingPathComponent("fixtures.json"))
        return try JSONDecoder().decode(Fixtures.self, from: data)
    }

    /// The expected mask of `roi` on `source`'s frames (fixture frames matched by SOP Instance UID).
    static func expected(_ roi: String, _ f: Fixtures, on source: SEGSourceSeries) throws -> [Bool] {
        let planeSize = f.rows * f.columns
        var fixtureMask = [Bool](repeating: false, count: f.frames.count * planeSize)
        for run in try XCTUnwrap(f.runs[roi]) { for p in run[0]..<(run[0] + run[1]) { fixtureMask[p] = true } }
        var mask = [Bool](repeating: false, count: source.frames.count * planeSize)
        for (k, uid) in f.frames.enumerated() {
            let target = try XCTUnwrap(source.sliceIndex(sopInstanceUID: uid, frameNumber: nil))
            for p in 0..<planeSize { mask[target * planeSize + p] = fixtureMask[k * planeSize + p] }
        }
        return mask
    }

    func testRTUtilsFile() throws { try check("rtutils.dcm") }
    func testPlastimatchFile() throws { try check("plastimatch.dcm") }
    func testKeyholeContours() throws { try check("keyhole.dcm") }

    /// Every ROI of `file`, rasterised on the source, against its mask (one ROI at a time: `--roi`).
    /// plastimatch.dcm's "Blocks" touches the image border, where plastimatch 1.9.4 traces only the inner
    /// sides and closes the polygon by a chord: its expected mask is plastimatch's own rasterisation of
    /// the file (fixtures.json "plastimatch.dcm:Blocks"; Dice 0.95 against the source mask).
    func check(_ file: String) throws {
        let f = try Self.fixtures()
        let source = try SEGFixtures.source(f.source)
        let document = try RTStructDocument(contentsOf: Self.folder.appendingPathComponent(file))
        let names = try XCTUnwrap(f.files[file])
        XCTAssertEqual(document.rois.map(\.name), names)
        // One label per ROI in file order; overlapping ROIs (Ring, RingPinHole) are compared one at a time.
        let rois = try document.labelMap(on: source).rois
        XCTAssertEqual(rois.map(\.label), names.indices.map { UInt8($0 + 1) })
        for name in names {
            // "file:ROI" when the file's own tool rasterises it differently from the mask it came from.
            let key = f.runs["\(file):\(name)"] != nil ? "\(file):\(name)" : name
            let expected = try Self.expected(key, f, on: source)
            let single = try document.labelMap(on: source, roi: name)
            XCTAssertEqual(single.rois.map(\.name), [name])
            let mask = single.labels.voxels
            let dice = diceCoefficient(count: expected.count, { expected[$0] }, { mask[$0] == 1 })
            let differing = zip(expected, mask).filter { $0 != ($1 == 1) }.count
            print("RT foreign \(file) ROI \(name): Dice \(String(format: "%.4f", dice)), \(differing) voxels differ of \(expected.filter { $0 }.count)")
            XCTAssertGreaterThanOrEqual(dice, 0.98, "\(file) ROI \(name)")
        }
    }
}
