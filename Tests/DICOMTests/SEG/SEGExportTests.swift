import DICOM
import Foundation
import Imaging
import TestSupport
import XCTest

/// Writes SEGs over the acceptance sources and checks them with `dciodvfy` (dicom3tools) when installed.
/// With `SEGSTATION_SEG_EXPORT=<folder>` the SEGs, their masks on the source frames (`<name>.mask.u8`, one
/// segment after another, frames in slice order) and `<name>.json` stay there for
/// `Scripts/reference/seg_acceptance.py` (highdicom, dcmqi). That folder may hold `ts_labels.u8` +
/// `ts_labels.json` (TotalSegmentator's 117-class mask as raw bytes + LPS affine, made by the script).
final class SEGExportTests: XCTestCase {
    struct Case { var name: String; var source: String; var labels: Int }
    static let cases = [
        Case(name: "ct3slice", source: "dcmqi/segmentations/ct-3slice", labels: 3),
        Case(name: "ge_tilted", source: "dcm_qa_ct/GE", labels: 5),
        Case(name: "enhanced_ct", source: "pydicom-data/eCT_Supplemental.dcm", labels: 2),
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
            if c.name == "totalseg_j2k", let external = try Self.externalLabels(folder) { mask = external }
            let url = folder.appendingPathComponent("\(c.name).dcm")
            let result = try SEGWriter(options: SEGFixtures.options).write(labelMap: mask, over: source, to: url)
            written += 1
            try Self.saveExpected(mask: mask, source: source, result: result, to: folder.appendingPathComponent(c.name))
            if let validator { try Self.assertValid(url, validator: validator) }
        }
        if written == 0 { throw XCTSkip(TestData.missing("dcmqi/segmentations/ct-3slice")) }
    }

    /// Runs dciodvfy; fails on any line starting with "Error".
    static func assertValid(_ url: URL, validator: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: validator)
        process.arguments = [url.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
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
            "frames": source.frames.map { ["sop_instance_uid": $0.sopInstanceUID, "frame_number": $0.frameNumber ?? 0,
                                           "position": [$0.positionLPS.x, $0.positionLPS.y, $0.positionLPS.z]] as [String: Any] },
        ]
        try JSONSerialization.data(withJSONObject: info, options: [.prettyPrinted, .sortedKeys]).write(to: base.appendingPathExtension("json"))
    }

    /// TotalSegmentator's label map exported by the reference script (raw bytes, i fastest + LPS affine).
    static func externalLabels(_ folder: URL) throws -> LabelMap? {
        let raw = folder.appendingPathComponent("ts_labels.u8"), meta = folder.appendingPathComponent("ts_labels.json")
        guard FileManager.default.fileExists(atPath: raw.path), let data = FileManager.default.contents(atPath: meta.path),
              let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let size = json["size"] as? [Int], let affine = json["affine_lps"] as? [[Double]] else { return nil }
        let geometry = try VolumeGeometry(size: SIMD3(size[0], size[1], size[2]), affineLPS: affine)
        return Volume(geometry: geometry, voxels: [UInt8](try Data(contentsOf: raw)))
    }
}
