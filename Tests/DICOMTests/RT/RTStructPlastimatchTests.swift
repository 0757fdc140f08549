import DICOM
import Foundation
import Imaging
import TestSupport
import VolumeIO
import XCTest

/// Debian's plastimatch turns our RTSTRUCTs back into masks (`plastimatch convert --input rt.dcm
/// --referenced-ct DIR --output-prefix OUT --xor-contours`): Dice >= 0.98 per ROI against the mask we
/// traced, on the source frames. `--xor-contours` is plastimatch's even-odd rule; without it plastimatch
/// ORs the contours of a plane and fills holes (docs/RTSTRUCT.md).
final class RTStructPlastimatchTests: XCTestCase {
    /// GE head CT, gantry tilt 18.5 degrees and uneven spacing. plastimatch 1.9.4 cannot rasterise contours on
    /// tilted planes: it puts each contour into the axial slice of its (regular, unsheared) grid nearest its
    /// first point and fills it from the points' x and y only, so a contour on a plane tilted by 18.5 degrees
    /// (spanning some 80 mm in z) becomes its axial projection. It reads the file (one mask per ROI, none
    /// empty); the Dice it reaches (0.89 worst on its own grid) is printed, not asserted. Our contours on this
    /// series are checked by the exact round trip (RTStructRoundTripTests) and, independently, by pydicom in
    /// Scripts/reference/rtstruct_check.py (every point on its image's plane).
    func testTiltedGESeriesLoadsInPlastimatch() throws {
        try check("dcm_qa_ct/GE", name: "ge_tilted", fixedGrid: false, minimumDice: 0.5) { RTFixtures.labelMap(on: $0) }
    }

    /// TotalSegmentator's own 117-class output for its example CT (31 classes present), resampled onto the
    /// J2K source frames.
    func testTotalSegmentatorExample() throws {
        guard let nifti = TestData.path("totalsegmentator/example_seg_dicom.nii.gz") else {
            throw XCTSkip(TestData.missing("totalsegmentator/example_seg_dicom.nii.gz"))
        }
        try check("totalsegmentator/example_ct_dicom", name: "totalseg") { _ in try VolumeFile.readLabels(nifti) }
    }

    func testPydicomCT2() throws {
        try check("pydicom/dicomdirtests/77654033/CT2", name: "ct2") { RTFixtures.labelMap(on: $0) }
    }

    /// Writes the RTSTRUCT, has plastimatch rasterise it on the source and compares per ROI.
    func check(_ relative: String, name: String, fixedGrid: Bool = true, minimumDice: Double = 0.98,
               mask: (SEGSourceSeries) throws -> LabelMap) throws {
        guard let plastimatch = ExternalTool("plastimatch") else { throw XCTSkip(ExternalTool.missing("plastimatch", package: "plastimatch")) }
        guard let sourcePath = TestData.path(relative) else { throw XCTSkip(TestData.missing(relative)) }
        let source = try SEGFixtures.source(relative)
        let map = try mask(source)
        let folder = try TestData.temporaryDirectory("rt-plastimatch-\(name)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("rt.dcm")
        let result = try RTStructWriter(options: RTFixtures.options).write(labelMap: map, over: source, to: url)
        let out = folder.appendingPathComponent("out")
        // The source grid as plastimatch's output grid (--fixed): its DCMTK cannot decode JPEG 2000, and
        // without the CT's pixels it rasterises on a grid fitted to the contours instead.
        var arguments = ["convert", "--input", url.path, "--referenced-ct", sourcePath, "--output-prefix", out.path,
                         "--prefix-format", "nrrd", "--xor-contours"]
        if fixedGrid {
            let fixed = folder.appendingPathComponent("fixed.nrrd")
            try VolumeFile.write(LabelMap(geometry: source.geometry, repeating: 0), to: fixed.path)
            arguments += ["--fixed", fixed.path]
        }
        let run = try plastimatch.run(arguments)
        XCTAssertEqual(run.status, 0, run.output)
        let expected = source.sampled(map, interpolation: .nearest, outside: 0)
        var worst = 1.0
        var lines: [String] = []
        for (label, number) in result.roiNumbers.sorted(by: { $0.value < $1.value }) {
            let file = out.appendingPathComponent("Label \(label).nrrd").path
            guard FileManager.default.fileExists(atPath: file) else { XCTFail("plastimatch wrote no \(file)"); continue }
            let theirs = source.sampled(try VolumeFile.readLabels(file), interpolation: .nearest, outside: 0)
            let dice = diceCoefficient(count: expected.count, { expected[$0] == label }, { theirs[$0] != 0 })
            worst = min(worst, dice)
            lines.append("ROI \(number) (label \(label)): Dice \(String(format: "%.4f", dice))")
            XCTAssertGreaterThanOrEqual(dice, minimumDice, "\(name) ROI \(number) label \(label)")
        }
        print("plastimatch \(name): \(result.roiNumbers.count) ROIs, \(result.contourCount) contours, worst Dice \(String(format: "%.4f", worst))\n  " + lines.joined(separator: "\n  "))
    }
}
