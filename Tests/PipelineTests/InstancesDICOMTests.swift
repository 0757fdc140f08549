import DICOM
import Foundation
import Imaging
import TestSupport
import XCTest
@testable import Pipeline

/// An instances run on DICOM input: the SEG holds one segment per class (the class map), the SR one
/// measurement group per instance (docs/INSTANCES.md, "SEG: one segment per class; the instances are
/// numbered in the SR"), read back with DCMTK's dsrdump and checked by dciodvfy.
final class InstancesDICOMTests: XCTestCase {
    func testSEGPerClassAndSRGroupPerInstance() throws {
        let folder = try TestData.temporaryDirectory("instances-dicom")
        defer { try? FileManager.default.removeItem(at: folder) }
        // Two touching spheres painted 1 and 2 (the oracle detects each value as one instance).
        var volume = Volume<Float>(geometry: VolumeGeometry(size: SIMD3(20, 20, 16)), repeating: 0)
        for k in 0..<16 { for j in 0..<20 { for i in 0..<20 {
            let a = (i - 6) * (i - 6) + (j - 10) * (j - 10) + (k - 8) * (k - 8)
            let b = (i - 13) * (i - 13) + (j - 10) * (j - 10) + (k - 8) * (k - 8)
            volume[i, j, k] = a <= 12 ? 1 : b <= 12 ? 2 : 0
        } } }
        let series = folder.appendingPathComponent("series")
        try DICOMSeriesWriter.write(volume, to: series, description: DICOMSeriesDescription(
            patientID: "I17", patientName: "Instances^Test", studyInstanceUID: DICOMUID.make(), studyDate: "20261206",
            seriesDescription: "FLAIR", frameOfReferenceUID: DICOMUID.make()))
        let output = folder.appendingPathComponent("run")
        let request = SegmentRequest(inputs: [series.path], model: OracleDetectorTests.package.path, outputFolder: output.path,
                                     databasePath: folder.appendingPathComponent("studies.sqlite").path, writeDICOM: true,
                                     reportFormats: [])
        let summary = try SegmentJob.run(request)
        XCTAssertEqual(summary.lesions.count, 2)
        XCTAssertEqual(summary.lesions.compactMap(\.detectionScore?.max).map { Float($0) }.sorted(), [0.1, 0.2])

        let seg = try SEGDocument(contentsOf: output.appendingPathComponent("seg.dcm"))
        XCTAssertEqual(seg.segments.map(\.labelValue), [1], "one segment per class")
        let sr = output.appendingPathComponent("sr.dcm")
        XCTAssertTrue(FileManager.default.fileExists(atPath: sr.path))
        if let dsrdump = ExternalTool("dsrdump") {
            let text = try dsrdump.run([sr.path]).output
            let identifiers = text.split(separator: "\n").filter { $0.contains("\"Tracking Identifier\")=") }
            XCTAssertEqual(identifiers.count, 2, "one measurement group per instance:\n\(text)")
            XCTAssertTrue(identifiers.contains { $0.contains("\"Lesion 1\"") } && identifiers.contains { $0.contains("\"Lesion 2\"") })
        } else {
            print(ExternalTool.missing("dsrdump", package: "dcmtk"))
        }
        if let dciodvfy = ExternalTool("dciodvfy") {
            for file in [sr, output.appendingPathComponent("seg.dcm")] {
                let errors = try dciodvfy.run([file.path]).output.split(separator: "\n").filter { $0.hasPrefix("Error") }
                XCTAssertTrue(errors.isEmpty, "dciodvfy \(file.lastPathComponent): \(errors.joined(separator: "\n"))")
            }
        } else {
            print(ExternalTool.missing("dciodvfy", package: "dicom3tools"))
        }
    }
}
