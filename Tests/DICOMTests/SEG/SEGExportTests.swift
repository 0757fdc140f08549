import DICOM
import Foundation
import Imaging
import TestSupport
import VolumeIO
import XCTest

/// Writes SEGs over the acceptance sources and checks them with `dciodvfy` (dicom3tools) when installed.
/// With `SEGSTATION_SEG_EXPORT=<folder>` the SEGs, their masks on the source frames (`<name>.mask.u8`, one
/// segment after another, frames in slice order) and `<name>.json` stay there for
/// `Scripts/reference/seg_acceptance.py` (highdicom, dcmqi). The TotalSegmentator case writes its real
/// label NIfTI, resampled by SegStation onto the J2K source frames.
final class SEGExportTests: XCTestCase {
    struct Case { var name: String; var source: String; var labels: Int }
    static let cases = [
        Case(name: "ct3slice", source: "dcmqi/segmentations/ct-3slice", labels: 3),
        // Gantry tilt 18.5 degrees. dcmqi 1.5.7 cannot convert SEGs over it ("Frame 1 origin ... is outside
        // image geometry"): it fails the same way on highdicom's SEG of the same masks, and every frame's
        // Plane Position equals its source slice's Image Position (Patient) exactly
        // (Scripts/reference/seg_tilted_dcmqi.py); highdicom's per-frame arrays equal ours.
        Case(name: "ge_tilted", source: "dcm_qa_ct/GE", labels: 5),
        Case(name: "enhanced_ct", source: "pydicom-data/eCT_Supplemental.dcm", labels: 2),
        // Enhanced MR without any functional group or patient geometry: frames by source frame only.
        Case(name: "enhanced_mr_nogeometry", source: "pydicom-data/emri_small.dcm", labels: 2),
        Case(name: "ct2", source: "pydicom/dicomdirtests/77654033/CT2", labels: 2),
        Case(name: "totalseg_j2k", source: "totalsegmentator/example_ct_dicom", labels: 6),
    ]

    func testWrittenSEGsValidate() throws {
        let export = ProcessInfo.processInfo.environment["SEGSTATION_SEG_EXPORT"].map { URL(fileURLWithPath: $0) }
        let folder = try export ?? TestData.temporaryDirectory("segexport")
        let validator = ["/usr/bin/dciodvfy", "/usr/local/bin/dciodvfy"].first { FileManager.default.isExecutableFile(atPath: $0) }
        if validator == nil { print("dciodvfy not installed: SEGs are written but not validated") }
        var written = 0
        for c in Self.cases {
            guard TestData.path(c.source) != nil else { print("skipping \(c.name): \(TestData.missing(c.source))"); continue }
            let source = try SEGFixtures.source(c.source)
            var mask = SEGFixtures.labelMap(on: source, labels: c.labels)
            if c.name == "totalseg_j2k", let nifti = TestData.path("totalsegmentator/example_seg_dicom.nii.gz") {
                mask = try VolumeFile.readLabels(nifti)   // TotalSegmentator's output on its own 1.5 mm grid
            }
            let url = folder.appendingPathComponent("\(c.name).dcm")
            let result = try SEGWriter(options: SEGFixtures.options).write(labelMap: mask, over: source, to: url)
            written += 1
            try Self.saveExpected(mask: mask, source: source, result: result, to: folder.appendingPathComponent(c.name))
            if let validator { try Self.assertValid(url, validator: validator) }
            let sr = folder.appendingPathComponent("\(c.name).sr")
            try MeasurementReportWriter.write(SRMeasurementReportTests.measurements(min(3, result.segmentNumbers.count)), seg: url, source: source,
                                              options: SRMeasurementReportTests.options, to: sr)
        }
        if written == 0 { throw XCTSkip(TestData.missing("dcmqi/segmentations/ct-3slice")) }
    }

    /// Runs dciodvfy; fails on any line starting with "Error".
    static func assertValid(_ url: URL, validator: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let outcome = try ProcessRunner.run(URL(fileURLWithPath: validator), [url.path])
        let output = outcome.stdout + outcome.stderr
        let errors = output.split(separator: "\n").filter { $0.hasPrefix("Error") }
        XCTAssertTrue(errors.isEmpty, "dciodvfy \(url.lastPathComponent):\n\(errors.joined(separator: "\n"))", file: file, line: line)
    }

    /// The mask on the source frames, per segment (0/1 bytes), plus the frame identities.
    static func saveExpected(mask: LabelMap, source: SEGSourceSeries, result: SEGWriteResult, to base: URL) throws {
        let values = source.sampled(mask, interpolation: .nearest, outside: 0)
        var bytes = [UInt8]()
        let labels = result.segmentNumbers.sorted { $0.value < $1.value }
        for (label, _) in labels { bytes.append(contentsOf: values.map { $0 == label ? 1 : 0 }) }
        try Data(bytes).write(to: base.appendingPathExtension("mask.u8"))
        let info: [String: Any] = [
            "rows": source.rows, "columns": source.columns, "segments": labels.map { Int($0.value) },
            "label_values": labels.map { Int($0.key) },
            "frames": source.frames.map { ["sop_instance_uid": $0.sopInstanceUID, "frame_number": $0.frameNumber ?? 0,
                                           "position": [$0.positionLPS.x, $0.positionLPS.y, $0.positionLPS.z]] as [String: Any] },
        ]
        try JSONSerialization.data(withJSONObject: info, options: [.prettyPrinted, .sortedKeys]).write(to: base.appendingPathExtension("json"))
    }
}
