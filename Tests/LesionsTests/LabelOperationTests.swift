import XCTest
import Imaging
@testable import Lesions

final class LabelOperationTests: XCTestCase {
    /// Three blobs of 1, 8 and 27 voxels on a 2 x 1 x 0.5 mm grid (1 mm^3 voxels).
    func blobs() -> LabelMap {
        var m = LabelMap(geometry: Synthetic.geometry([12, 6, 6], [2, 1, 0.5]), repeating: 0)
        m[0, 0, 0] = 1
        for k in 0..<2 { for j in 0..<2 { for i in 3..<5 { m[i, j, k] = 1 } } }
        for k in 3..<6 { for j in 3..<6 { for i in 8..<11 { m[i, j, k] = 2 } } }
        return m
    }

    func testRemoveSmallKeepsThresholdAndInput() throws {
        let m = blobs()
        let before = m
        let out = try LabelOperations.removingComponents(m, smallerThanMM3: 8, connectivity: .six)
        XCTAssertEqual(m, before, "input must not change")
        XCTAssertEqual(out.voxels.filter { $0 != 0 }.count, 35)
        XCTAssertEqual(out[0, 0, 0], 0)
        XCTAssertEqual(try LabelOperations.removingComponents(m, smallerThanMM3: 0, connectivity: .six), m)
        XCTAssertThrowsError(try LabelOperations.removingComponents(m, smallerThanMM3: -1, connectivity: .six))
    }

    func testKeepLargest() throws {
        let m = blobs()
        let perLabel = try LabelOperations.keepingLargest(m, count: 1, connectivity: .six)
        XCTAssertEqual(perLabel.voxels.filter { $0 == 1 }.count, 8)
        XCTAssertEqual(perLabel.voxels.filter { $0 == 2 }.count, 27)
        let overall = try LabelOperations.keepingLargest(m, count: 2, perLabel: false, connectivity: .six)
        XCTAssertEqual(overall.voxels.filter { $0 != 0 }.count, 35)
        XCTAssertEqual(try LabelOperations.keepingLargest(m, count: 0, connectivity: .six).voxels.filter { $0 != 0 }.count, 0)
        let empty = LabelMap(geometry: m.geometry, repeating: 0)
        XCTAssertEqual(try LabelOperations.keepingLargest(empty, connectivity: .six), empty)
    }

    func testInstancesSplitPerLabel() {
        var m = blobs()
        m[5, 0, 0] = 2  // touches the label-1 cube but carries another label
        let inst = LabelOperations.instances(m, connectivity: .twentySix)
        XCTAssertEqual(inst.components.map(\.label), [1, 1, 2, 2])
        XCTAssertEqual(inst.components.map(\.voxelCount), [1, 8, 1, 27])
    }

    func testFillHoles3DAndPerSlice() {
        // A hollow 5x5x5 shell with a 3x3x3 cavity, touching the grid border on one side.
        var m = LabelMap(geometry: Synthetic.geometry([5, 6, 6], [0.7, 0.7, 2.5]), repeating: 0)
        for k in 0..<5 { for j in 0..<5 { for i in 0..<5 { m[i, j, k] = 1 } } }
        for k in 1..<4 { for j in 1..<4 { for i in 1..<4 { m[i, j, k] = 0 } } }
        m[2, 2, 2] = 3  // another label inside the cavity is kept
        let filled = LabelOperations.fillingHoles(m, label: 1)
        XCTAssertEqual(filled.voxels.filter { $0 == 1 }.count, 124)
        XCTAssertEqual(filled[2, 2, 2], 3)
        // Per slice: slices 1...3 have a 2D hole each; slices 0 and 4 are solid.
        let sliceFilled = LabelOperations.fillingHoles(m, label: 1, perSlice: true)
        XCTAssertEqual(sliceFilled, filled)
        // Opening the cavity to the outside through the top: no 3D hole, but per slice still holes.
        var open = m
        for k in 1..<5 { open[2, 2, k] = 0 }
        open[2, 2, 2] = 0
        XCTAssertEqual(LabelOperations.fillingHoles(open, label: 1), open)
        XCTAssertEqual(LabelOperations.fillingHoles(open, label: 1, perSlice: true).voxels.filter { $0 == 1 }.count, 125)
    }
}
