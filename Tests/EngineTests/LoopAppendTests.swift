import XCTest
@testable import Engine

/// `ControlFlow.appendInPlace`: a Loop body's Concat onto a loop-carried tensor (torchvision's mask
/// pasting) appends in place and, when the storage must grow, reserves room for the iterations left.
final class LoopAppendTests: XCTestCase {
    let concat = Node(name: "paste", opType: "Concat", inputs: ["acc", "mask"], outputs: ["acc2"], attributes: ["axis": .int(0)])

    func testAppendsAndReservesForTheIterationsLeft() throws {
        var local: [String: Tensor] = ["acc": Tensor(shape: [1, 2, 3], floats: [Float](repeating: 1, count: 6)),
                                       "mask": Tensor(shape: [1, 2, 3], floats: (0..<6).map(Float.init))]
        let out = try XCTUnwrap(try ControlFlow.appendInPlace(concat, &local, appendable: ["acc"], iterationsLeft: 100))
        XCTAssertEqual(out.shape, [2, 2, 3])
        XCTAssertEqual(out.floats, [Float](repeating: 1, count: 6) + (0..<6).map(Float.init))
        // 6 elements now, room for 99 more appends of 6 without another allocation.
        XCTAssertGreaterThanOrEqual(out.floats.capacity, 6 + 6 * 100)
        XCTAssertNil(local["acc"], "the carried tensor is moved, not copied")
    }

    /// A hostile trip count does not make the append reserve beyond the memory budget.
    func testAbsurdTripCountReservesOnlyWhatIsNeeded() throws {
        var local: [String: Tensor] = ["acc": Tensor(shape: [1, 4], ints: [1, 2, 3, 4]), "mask": Tensor(shape: [1, 4], ints: [5, 6, 7, 8])]
        let out = try XCTUnwrap(try ControlFlow.appendInPlace(concat, &local, appendable: ["acc"], iterationsLeft: Int.max / 2))
        XCTAssertEqual(out.ints, [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertLessThan(out.ints.capacity, 1 << 20)
    }
}
