import DICOM
import Foundation
import Imaging
import TestSupport
import XCTest

/// TID 1500 reports over written SEGs: valid for dciodvfy (when installed), typed errors for bad input.
final class SRMeasurementReportTests: XCTestCase {
    static let options = MeasurementReportOptions(modelName: "test-model", softwareVersion: "0.1.0")

    static func measurements(_ count: Int) -> [LesionReportItem] {
        (1...count).map { (n: Int) -> LesionReportItem in
            let x = Double(n)
            return LesionReportItem(lesionIndex: n, segmentNumber: n, volumeML: 1.5 * x, maximum3DDiameterMM: 12 + x,
                                    recistLongAxisMM: 10 + x, recistShortAxisMM: 6 + x, meanIntensity: 40 + x)
        }
    }

    func testReportOverEachSourceValidates() throws {
        let validator = ["/usr/bin/dciodvfy", "/usr/local/bin/dciodvfy"].first { FileManager.default.isExecutableFile(atPath: $0) }
        if validator == nil { print("dciodvfy not installed: SRs are written but not validated") }
        for c in SEGExportTests.cases {
            guard TestData.path(c.source) != nil else { print("skipping \(c.name): \(TestData.missing(c.source))"); continue }
            let source = try SEGFixtures.source(c.source)
            let folder = try TestData.temporaryDirectory("sr")
            let seg = folder.appendingPathComponent("seg.dcm"), sr = folder.appendingPathComponent("sr.dcm")
            try SEGWriter(options: SEGFixtures.options).write(labelMap: SEGFixtures.labelMap(on: source, labels: c.labels), over: source, to: seg)
            let uid = try MeasurementReportWriter.write(Self.measurements(c.labels), seg: seg, source: source, options: Self.options, to: sr)
            XCTAssertFalse(uid.isEmpty)
            if let validator { try SEGExportTests.assertValid(sr, validator: validator) }
        }
    }

    func testUnknownSegmentIsRejected() throws {
        let source = try SEGFixtures.source("dcmqi/segmentations/ct-3slice")
        let folder = try TestData.temporaryDirectory("sr")
        let seg = folder.appendingPathComponent("seg.dcm"), sr = folder.appendingPathComponent("sr.dcm")
        try SEGWriter(options: SEGFixtures.options).write(labelMap: SEGFixtures.labelMap(on: source, labels: 2), over: source, to: seg)
        XCTAssertThrowsError(try MeasurementReportWriter.write(Self.measurements(3), seg: seg, source: source, options: Self.options, to: sr)) { error in
            XCTAssertEqual((error as? DICOMError)?.category, .invalidArgument)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: sr.path), "no partial SR")
    }
}
