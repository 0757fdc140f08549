import Foundation
import Imaging
import TestSupport
import VolumeIO
import XCTest

/// `evaluate --instances` end to end: instance maps read as NIfTI int32, the JSON and text output,
/// and the usage errors.
extension CLITests {
    func testEvaluateInstances() throws {
        let folder = try TestData.temporaryDirectory("cli-instances")
        defer { try? FileManager.default.removeItem(at: folder) }
        let g = VolumeGeometry(size: SIMD3(8, 2, 2))
        var reference = Volume<Int32>(geometry: g, repeating: 0)
        var prediction = Volume<Int32>(geometry: g, repeating: 0)
        for k in 0..<2 { for j in 0..<2 { for i in 0..<2 { reference[i, j, k] = 300 } } }  // ids above 255
        for k in 0..<2 { for j in 0..<2 { reference[5, j, k] = 9 } }
        for k in 0..<2 { for j in 0..<2 { for i in 0..<2 where !(i == 1 && k == 1) { prediction[i, j, k] = 3 } } }
        prediction[7, 0, 0] = 4; prediction[7, 1, 0] = 4
        let p = folder.appendingPathComponent("prediction.nii.gz").path, r = folder.appendingPathComponent("reference.nii.gz").path
        try VolumeFile.write(prediction, to: p)
        try VolumeFile.write(reference, to: r)

        let result = try run(["evaluate", "--prediction", p, "--reference", r, "--instances", "values", "--json"])
        XCTAssertEqual(result.status, 0, result.err)
        let metrics = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        let instances = try XCTUnwrap(metrics["instances"] as? [String: Any])
        XCTAssertEqual(instances["truePositives"] as? Int, 1)
        XCTAssertEqual(instances["falsePositives"] as? Int, 1)
        XCTAssertEqual(instances["falseNegatives"] as? Int, 1)
        XCTAssertEqual(instances["panopticQuality"] as? Double, 0.375)
        XCTAssertEqual(instances["matching"] as? String, "IoU > 0.5")

        let text = try run(["evaluate", "--prediction", p, "--reference", r, "--instances", "values"])
        XCTAssertEqual(text.status, 0, text.err)
        XCTAssertTrue(text.out.contains("PQ 0.3750"), text.out)

        let plain = try run(["evaluate", "--prediction", p, "--reference", p, "--json"])
        XCTAssertEqual(plain.status, 0, plain.err)
        XCTAssertNil((try JSONSerialization.jsonObject(with: Data(plain.out.utf8)) as? [String: Any])?["instances"])
        // Without --instances values an id above 255 is not a label: refused, naming the values.
        let labels = try run(["evaluate", "--prediction", p, "--reference", r])
        XCTAssertEqual(labels.status, 65)
        XCTAssertTrue(labels.err.contains("voxel values"), labels.err)

        let usage = try run(["evaluate", "--prediction", p, "--reference", r, "--instances", "values", "--label", "1"])
        XCTAssertEqual(usage.status, 64)
        XCTAssertTrue(usage.err.contains("--instances values"), usage.err)
        let badDistance = try run(["evaluate", "--prediction", p, "--reference", r, "--instances", "watershed", "--min-distance-mm", "0"])
        XCTAssertEqual(badDistance.status, 64)
        XCTAssertTrue(badDistance.err.contains("--min-distance-mm"), badDistance.err)
    }
}
