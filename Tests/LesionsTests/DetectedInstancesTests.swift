import Imaging
import XCTest
@testable import Lesions

/// Instances given with a label map (an instances model's, or a run's recorded instance map):
/// renumbering, removal, the class map, scores on the measured lesions, and the refusals.
final class DetectedInstancesTests: XCTestCase {
    let g = VolumeGeometry(size: SIMD3(6, 1, 1))

    func testRenumbersInMemoryOrderAndDropsAbsentIds() throws {
        // Ids 3 (first voxel), 1 and an id 2 that has no voxel left (resampled away).
        let map = Volume<Int32>(geometry: g, voxels: [3, 3, 0, 1, 1, 1])
        let d = try DetectedInstances(instanceMap: map, labels: [2, 1, 2],
                                      scores: [InstanceScore(mean: 0.5, max: 0.75), InstanceScore(mean: 0.1, max: 0.1), InstanceScore(mean: 0.9, max: 1)])
        XCTAssertEqual(d.labeling.instances.voxels, [1, 1, 0, 2, 2, 2])
        XCTAssertEqual(d.labeling.components, [Component(id: 1, label: 2, voxelCount: 2), Component(id: 2, label: 2, voxelCount: 3)])
        XCTAssertEqual(d.scores, [InstanceScore(mean: 0.9, max: 1), InstanceScore(mean: 0.5, max: 0.75)])
        XCTAssertEqual(d.classMap.voxels, [2, 2, 0, 2, 2, 2])
        let kept = try d.keeping { $0.voxelCount >= 3 }
        XCTAssertEqual(kept.labeling.instances.voxels, [0, 0, 0, 1, 1, 1])
        XCTAssertEqual(kept.scores, [InstanceScore(mean: 0.5, max: 0.75)])
        XCTAssertThrowsError(try DetectedInstances(instanceMap: map, labels: [1, 1], scores: [InstanceScore(mean: 0, max: 0), InstanceScore(mean: 0, max: 0)]))
    }

    /// Touching instances of one label stay two lesions, each with its score; totals carry none.
    func testMeasuredLesionsCarryTheirScores() throws {
        let map = Volume<Int32>(geometry: g, voxels: [1, 1, 2, 2, 2, 0])
        let d = try DetectedInstances(instanceMap: map, labels: [1, 1], scores: [InstanceScore(mean: 0.25, max: 0.5), InstanceScore(mean: 0.75, max: 1)])
        let m = try LesionAnalyzer.measure(labels: d.classMap, splitting: .detected(d))
        XCTAssertEqual(m.count, 1)
        XCTAssertEqual(m[0].lesions.map(\.voxelCount), [2, 3])
        XCTAssertEqual(m[0].lesions.map(\.detectionScore), [InstanceScore(mean: 0.25, max: 0.5), InstanceScore(mean: 0.75, max: 1)])
        XCTAssertNil(m[0].total.detectionScore)
        XCTAssertEqual(try LesionAnalyzer.measure(labels: d.classMap).first?.lesionCount, 1, "connected components: one")
        // A map the instances do not cover exactly is refused.
        var other = d.classMap
        other.voxels[5] = 1
        XCTAssertThrowsError(try LesionAnalyzer.measure(labels: other, splitting: .detected(d)))
        XCTAssertThrowsError(try LesionAnalyzer.measure(labels: other, splitting: .given(d.labeling)))
    }

    func testLabelingFromARecordedInstanceMap() throws {
        let labels = LabelMap(geometry: g, voxels: [1, 1, 2, 2, 1, 0])
        let read = try ComponentLabeling(instanceMap: Volume(geometry: g, voxels: [1, 1, 2, 2, 3, 0]), labels: labels)
        XCTAssertEqual(read.components.map(\.label), [1, 2, 1])
        XCTAssertEqual(read.components.map(\.voxelCount), [2, 2, 1])
        for bad: [Int32] in [[2, 2, 1, 1, 3, 0],   // not in memory order
                             [1, 1, 1, 1, 2, 0],   // instance 1 over two labels
                             [1, 1, 2, 2, 0, 0],   // a labelled voxel without instance
                             [1, 1, 2, 2, 3, 3]] { // an instance over background
            XCTAssertThrowsError(try ComponentLabeling(instanceMap: Volume(geometry: g, voxels: bad), labels: labels), "\(bad)")
        }
    }
}
