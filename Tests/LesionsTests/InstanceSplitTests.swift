import XCTest
import Imaging
@testable import Lesions
import TestSupport

/// Synthetic objects painted voxel-centre-inside (|p - c|^2 <= r^2, 1 mm voxels), as
/// Scripts/reference/watershed_split.py paints them.
private enum Objects {
    static let size = SIMD3(48, 32, 32)

    static func grid(_ size: SIMD3<Int> = Objects.size) -> VolumeGeometry { VolumeGeometry(size: size) }

    static func spheres(_ list: [(centre: SIMD3<Int>, radius: Int)], size: SIMD3<Int> = Objects.size) -> LabelMap {
        var map = LabelMap(geometry: grid(size), repeating: 0)
        for k in 0..<size.z { for j in 0..<size.y { for i in 0..<size.x {
            for s in list {
                let d = SIMD3(i, j, k) &- s.centre
                if d.x * d.x + d.y * d.y + d.z * d.z <= s.radius * s.radius { map[i, j, k] = 1 }
            }
        } } }
        return map
    }

    /// A tube of radius `r` bent into a U that opens towards +k: two vertical arms at
    /// i = 14 and i = 34 from k = 16 up to k = 30, joined below by a half circle of radius 10
    /// around (24, 16, 16). Axial slices above k = 16 cut it in two pieces; one object in 3D.
    static func uTube(radius r: Double = 3.5) -> LabelMap {
        let size = SIMD3(48, 32, 40)
        var map = LabelMap(geometry: grid(size), repeating: 0)
        for k in 0..<size.z { for j in 0..<size.y { for i in 0..<size.x {
            let x = Double(i) - 24, y = Double(j) - 16, z = Double(k) - 16
            let d: Double
            if z >= 0 {
                d = z <= 14 ? (pow(abs(x) - 10, 2) + y * y).squareRoot() : .infinity
            } else {
                let rho = (x * x + z * z).squareRoot()
                d = ((rho - 10) * (rho - 10) + y * y).squareRoot()
            }
            if d <= r { map[i, j, k] = 1 }
        } } }
        return map
    }

    /// A perfect per-slice instance detector: on every k-slice, each object's voxels are one
    /// detection (per piece, when the object's slice falls apart), scored `score(object, k)`.
    /// `owner` gives the object a voxel belongs to (0: none).
    static func detect(size: SIMD3<Int>, owner: (Int, Int, Int) -> Int, objects: Int,
                       score: (Int, Int) -> Double = { _, _ in 0.9 }) -> (Volume<Int32>, [SliceDetection]) {
        let g = grid(size)
        var map = Volume<Int32>(geometry: g, repeating: 0)
        var detections: [SliceDetection] = []
        for k in 0..<size.z {
            for object in 1...objects {
                var slice = LabelMap(geometry: g, repeating: 0)
                for j in 0..<size.y { for i in 0..<size.x where owner(i, j, k) == object { slice[i, j, k] = 1 } }
                let pieces = ConnectedComponents.label(slice, connectivity: .twentySix, withinSlices: true)
                for piece in pieces.components {
                    let id = Int32(detections.count + 1)
                    detections.append(SliceDetection(id: id, slice: k, label: 1, score: score(object, k)))
                    for (index, p) in pieces.instances.voxels.enumerated() where p == piece.id { map.voxels[index] = id }
                }
            }
        }
        return (map, detections)
    }
}

private struct SkimageFile: Decodable {
    struct Sphere: Decodable { var centre: [Int]; var radius: Int }
    struct Case: Decodable {
        var spheres: [Sphere]
        var maskVoxels: Int
        var components: Int
        var instances: Int
        var instanceVoxelsBySphere: [Int]
    }
    var minDistanceVoxels: Double
    var cases: [String: Case]
}

/// Issue 17: touching objects split into instances, by a watershed on the distance transform
/// (semantic models) and by linking per-slice detections (instance models).
final class WatershedSplitTests: XCTestCase {
    /// scikit-image's watershed recipe on the same masks (Scripts/reference/watershed_split.py):
    /// the same instance count, and per sphere the same voxels except those on the plane of
    /// voxels equidistant from the two peaks, which either tool may give to either side.
    func testSplitsTouchingSpheresLikeScikitImage() throws {
        let file = try Synthetic.expected(SkimageFile.self, file: "watershed_skimage.json")
        XCTAssertEqual(file.cases.count, 3)
        for (name, c) in file.cases.sorted(by: { $0.key < $1.key }) {
            let spheres = c.spheres.map { (centre: SIMD3($0.centre[0], $0.centre[1], $0.centre[2]), radius: $0.radius) }
            let map = Objects.spheres(spheres)
            XCTAssertEqual(map.voxels.filter { $0 != 0 }.count, c.maskVoxels, name)
            XCTAssertEqual(ConnectedComponents.label(map, connectivity: .twentySix).components.count, c.components, name)
            let split = try WatershedSplit.split(map, minDistanceMM: file.minDistanceVoxels, minNeckDepthMM: 1)
            XCTAssertEqual(split.components.count, c.instances, name)
            let tiePlane = Objects.spheres(spheres).voxels.indices.filter { index in
                guard map.voxels[index] != 0 else { return false }
                let i = index % Objects.size.x
                return i == (spheres[0].centre.x + spheres[1].centre.x) / 2  // the mid plane between the centres
            }.count
            for (s, expected) in zip(spheres, c.instanceVoxelsBySphere) {
                let id = split.instances[s.centre.x, s.centre.y, s.centre.z]
                let ours = split.components[Int(id) - 1].voxelCount
                XCTAssertLessThanOrEqual(abs(ours - expected), tiePlane, "\(name): sphere at \(s.centre): \(ours) vs skimage \(expected)")
            }
            XCTAssertEqual(split.components.map(\.voxelCount).reduce(0, +), c.maskVoxels, "\(name): no voxel lost")
            XCTAssertTrue(split.components.allSatisfy { $0.label == 1 })
        }
    }

    func testOneSphereStaysWhole() throws {
        let map = Objects.spheres([(SIMD3(20, 16, 16), 9)])
        XCTAssertEqual(try WatershedSplit.split(map, minDistanceMM: 3).components.count, 1)
    }

    /// The two spheres are split only when their peaks are at least the minimum distance apart.
    func testMinimumDistanceKeepsCloseSpheresTogether() throws {
        let map = Objects.spheres([(SIMD3(16, 16, 16), 8), (SIMD3(30, 16, 16), 8)])
        XCTAssertEqual(try WatershedSplit.split(map, minDistanceMM: 13).components.count, 2)
        XCTAssertEqual(try WatershedSplit.split(map, minDistanceMM: 15).components.count, 1)
    }

    /// A lesion that falls apart on axial slices (a U-shaped tube) is one lesion: its centre-line
    /// peaks wobble by less than the neck depth. With no neck rule the wobble would split it.
    func testUShapedLesionStaysOne() throws {
        let map = Objects.uTube()
        XCTAssertEqual(ConnectedComponents.label(map, connectivity: .twentySix).components.count, 1)
        XCTAssertEqual(ConnectedComponents.label(map, connectivity: .twentySix, withinSlices: true).components.count > 30, true)
        XCTAssertEqual(try WatershedSplit.split(map, minDistanceMM: 3, minNeckDepthMM: 1).components.count, 1)
        XCTAssertGreaterThan(try WatershedSplit.split(map, minDistanceMM: 3, minNeckDepthMM: 0).components.count, 1)
    }

    /// Two lesions grown into each other (a wide neck) still come out as two, and each label of
    /// a multi-label map is split on its own.
    func testMergedSpheresAndLabels() throws {
        var map = Objects.spheres([(SIMD3(16, 16, 16), 8), (SIMD3(28, 16, 16), 8)])
        XCTAssertEqual(try WatershedSplit.split(map, minDistanceMM: 5).components.count, 2)
        let paint = Objects.spheres([(SIMD3(41, 16, 16), 5)])  // touches the second sphere at i = 36
        for index in paint.voxels.indices where paint.voxels[index] != 0 { map.voxels[index] = 2 }
        let split = try WatershedSplit.split(map, minDistanceMM: 5)
        XCTAssertEqual(split.components.map(\.label).sorted(), [1, 1, 2])
    }

    func testRefusesBadSettings() {
        let map = Objects.spheres([(SIMD3(20, 16, 16), 5)])
        for bad in [0.0, -1, .nan, .infinity] {
            XCTAssertThrowsError(try WatershedSplit.split(map, minDistanceMM: bad))
        }
        XCTAssertThrowsError(try WatershedSplit.split(map, minDistanceMM: 3, minNeckDepthMM: -1))
    }

    func testEmptyMapGivesNoInstances() throws {
        XCTAssertTrue(try WatershedSplit.split(LabelMap(geometry: Objects.grid(), repeating: 0), minDistanceMM: 3).components.isEmpty)
    }
}

final class SliceInstanceLinkingTests: XCTestCase {
    /// Two touching spheres, detected as two objects on every slice: two instances, where
    /// connected components of the union give one.
    func testTouchingSpheresStayTwo() throws {
        let a = SIMD3(16, 16, 16), b = SIMD3(32, 16, 16)
        let union = Objects.spheres([(a, 8), (b, 8)])
        XCTAssertEqual(ConnectedComponents.label(union, connectivity: .twentySix).components.count, 1)
        let (map, detections) = Objects.detect(size: Objects.size, owner: { i, j, k in
            guard union[i, j, k] != 0 else { return 0 }
            return i < 24 ? 1 : 2
        }, objects: 2, score: { object, k in object == 1 ? 0.5 + Double(k) / 100 : 0.8 })
        let (instances, linked) = try SliceInstanceLinking.link(detectionMap: map, detections: detections)
        XCTAssertEqual(linked.count, 2)
        XCTAssertEqual(linked.map(\.voxelCount).reduce(0, +), union.voxels.filter { $0 != 0 }.count)
        let first = linked[Int(instances[a.x, a.y, a.z]) - 1]
        XCTAssertEqual(first.firstSlice, 8)
        XCTAssertEqual(first.lastSlice, 24)
        XCTAssertEqual(first.scoreMax, 0.74, accuracy: 1e-12)
        XCTAssertEqual(first.scoreMean, 0.66, accuracy: 1e-12)  // mean of 0.5 + k/100 over k = 8...24
        XCTAssertEqual(linked[Int(instances[b.x, b.y, b.z]) - 1].scoreMean, 0.8, accuracy: 1e-12)
    }

    /// Two lesions grown into each other, each still detected on its own on every slice: two
    /// instances, although their masks on neighbouring slices overlap along the contact.
    func testTwoThatMergeStayTwo() throws {
        let a = SIMD3(16, 16, 16), b = SIMD3(27, 16, 16)
        let union = Objects.spheres([(a, 8), (b, 8)])
        let owner: (Int, Int, Int) -> Int = { i, j, k in
            guard union[i, j, k] != 0 else { return 0 }
            let p = SIMD3(i, j, k), da = p &- a, db = p &- b
            return (da &* da).wrappedSum() <= (db &* db).wrappedSum() ? 1 : 2
        }
        let (map, detections) = Objects.detect(size: Objects.size, owner: owner, objects: 2)
        XCTAssertEqual(try SliceInstanceLinking.link(detectionMap: map, detections: detections).linked.count, 2)
    }

    /// A lesion that falls apart into two pieces on some slices is one instance, whichever way
    /// the slices run.
    func testLesionThatSplitsAcrossSlicesIsOne() throws {
        let tube = Objects.uTube()
        let size = tube.size
        let (map, detections) = Objects.detect(size: size, owner: { i, j, k in tube[i, j, k] != 0 ? 1 : 0 }, objects: 1)
        XCTAssertGreaterThan(detections.count, size.z, "some slices hold two pieces")
        XCTAssertEqual(try SliceInstanceLinking.link(detectionMap: map, detections: detections).linked.count, 1)

        // The same volume upside down.
        var flipped = map
        var flippedDetections = detections
        for k in 0..<size.z { for j in 0..<size.y { for i in 0..<size.x { flipped[i, j, size.z - 1 - k] = map[i, j, k] } } }
        for d in flippedDetections.indices { flippedDetections[d].slice = size.z - 1 - detections[d].slice }
        XCTAssertEqual(try SliceInstanceLinking.link(detectionMap: flipped, detections: flippedDetections).linked.count, 1)
    }

    /// A gap of a slice ends an instance; labels never link to each other.
    func testGapsAndLabelsSeparate() throws {
        let g = VolumeGeometry(size: SIMD3(4, 4, 5))
        var map = Volume<Int32>(geometry: g, repeating: 0)
        var detections: [SliceDetection] = []
        for (k, label) in [(0, 1), (1, 1), (3, 1), (4, 2)] {
            detections.append(SliceDetection(id: Int32(detections.count + 1), slice: k, label: label, score: 0.9))
            for j in 0..<2 { for i in 0..<2 { map[i, j, k] = Int32(detections.count) } }
        }
        let linked = try SliceInstanceLinking.link(detectionMap: map, detections: detections).linked
        XCTAssertEqual(linked.map(\.detections), [[1, 2], [3], [4]])
        XCTAssertEqual(linked.map(\.label), [1, 1, 2])
    }

    func testRefusesInconsistentDetections() {
        let g = VolumeGeometry(size: SIMD3(2, 2, 2))
        var map = Volume<Int32>(geometry: g, repeating: 0)
        map[0, 0, 1] = 1
        let onSliceZero = [SliceDetection(id: 1, slice: 0, label: 1, score: 1)]
        XCTAssertThrowsError(try SliceInstanceLinking.link(detectionMap: map, detections: onSliceZero))
        XCTAssertThrowsError(try SliceInstanceLinking.link(detectionMap: map, detections: []))
        XCTAssertThrowsError(try SliceInstanceLinking.link(detectionMap: map, detections: [SliceDetection(id: 1, slice: 1, label: 1, score: 1)], minOverlap: 0))
    }
}
