import XCTest
@testable import Engine

/// `ControlFlow.append`: a Loop body's Concat onto a loop-carried tensor (torchvision's mask
/// pasting) appends in place and, when the storage must grow, reserves room for the iterations left.
final class LoopAppendTests: XCTestCase {
    let concat = Node(name: "paste", opType: "Concat", inputs: ["acc", "mask"], outputs: ["acc2"], attributes: ["axis": .int(0)])

    func testAppendsAndReservesForTheIterationsLeft() throws {
        var acc: Tensor? = Tensor(shape: [1, 2, 3], floats: [Float](repeating: 1, count: 6))
        let out = try XCTUnwrap(try ControlFlow.append(concat, carried: &acc, Tensor(shape: [1, 2, 3], floats: (0..<6).map(Float.init)), iterationsLeft: 100))
        XCTAssertEqual(out.shape, [2, 2, 3])
        XCTAssertEqual(out.floats, [Float](repeating: 1, count: 6) + (0..<6).map(Float.init))
        // 6 elements now, room for 99 more appends of 6 without another allocation.
        XCTAssertGreaterThanOrEqual(out.floats.capacity, 6 + 6 * 100)
        XCTAssertNil(acc, "the carried tensor is moved, not copied")
    }

    /// A hostile trip count does not make the append reserve beyond the memory budget.
    func testAbsurdTripCountReservesOnlyWhatIsNeeded() throws {
        var acc: Tensor? = Tensor(shape: [1, 4], ints: [1, 2, 3, 4])
        let out = try XCTUnwrap(try ControlFlow.append(concat, carried: &acc, Tensor(shape: [1, 4], ints: [5, 6, 7, 8]), iterationsLeft: Int.max / 2))
        XCTAssertEqual(out.ints, [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertLessThan(out.ints.capacity, 1 << 20)
    }

    /// A Loop body: `acc += [(i + 1) * scale]` (scale: the enclosing graph's), a scan output of i + 1,
    /// and `condition` making the body's condition output.
    func body(condition: Node, initializers: [String: Tensor] = [:]) throws -> Graph {
        try Graph(name: "body", nodes: [
            Node(name: "one", opType: "Constant", inputs: [], outputs: ["one"], attributes: ["value": .tensor(Tensor(shape: [], ints: [1]))]),
            Node(name: "next", opType: "Add", inputs: ["i", "one"], outputs: ["i1"]),
            Node(name: "row", opType: "Mul", inputs: ["i1", "scale"], outputs: ["r"]),
            Node(name: "row2", opType: "Unsqueeze", inputs: ["r", "axes"], outputs: ["r2"]),
            Node(name: "paste", opType: "Concat", inputs: ["acc", "r2"], outputs: ["acc2"], attributes: ["axis": .int(0)]),
            condition,
        ], initializers: initializers.merging(["axes": Tensor(shape: [1], ints: [0])]) { a, _ in a },
           inputs: [ValueInfo(name: "i", dataType: 7, dims: []), ValueInfo(name: "c", dataType: 9, dims: []), ValueInfo(name: "acc", dataType: 7, dims: nil)],
           outputs: [ValueInfo(name: "c2", dataType: 9, dims: []), ValueInfo(name: "acc2", dataType: 7, dims: nil), ValueInfo(name: "i1", dataType: 7, dims: [])],
           subgraph: true)
    }

    /// A Loop run through its compiled body (`SubgraphProgram`): carried values, a scan output, an
    /// enclosing value read by the body, a Constant, and the carried Concat appended in place.
    func testLoopBodyRunsFromSlotsAndAppendsInPlace() throws {
        // Stops after 10 of the 50 iterations: the condition depends on the iteration.
        let g = try body(condition: Node(name: "more", opType: "Less", inputs: ["i1", "ten"], outputs: ["c2"]), initializers: ["ten": Tensor(shape: [], ints: [10])])
        XCTAssertFalse(try SubgraphProgram(g, opset: 13).iterationsIndependent)
        let loop = Node(name: "loop", opType: "Loop", inputs: ["n", "", "start"], outputs: ["all", "counts"], attributes: ["body": .graph(g)])
        let env = ["n": Tensor(shape: [], ints: [50]), "start": Tensor(shape: [0], ints: []), "scale": Tensor(shape: [], ints: [3])]
        for threads in [1, 2] {
            let outs = try ControlFlow.run(loop, env: env, opset: 13, threads: threads)
            XCTAssertEqual(outs[0].shape, [10])
            XCTAssertEqual(outs[0].ints, (1...10).map { Int64($0 * 3) })
            XCTAssertEqual(outs[1].shape, [10])
            XCTAssertEqual(outs[1].ints, (1...10).map(Int64.init))
            // The first append reserved room for the trip count's 50 rows: the carried tensor had one
            // owner (its slot) and grew in place, not copied per iteration.
            XCTAssertGreaterThanOrEqual(outs[0].ints.capacity, 50)
        }
        // Without the enclosing value the body says which value is missing, and where.
        XCTAssertThrowsError(try ControlFlow.run(loop, env: ["n": env["n"]!, "start": env["start"]!], opset: 13)) { error in
            XCTAssertTrue("\(error)".contains("'scale'") && "\(error)".contains("'loop'"), "\(error)")
        }
    }

    /// A body whose iterations are independent (the condition passes through, the carried value is
    /// only appended to) runs its iterations on two workers (`ControlFlow.mapIterations`): the same
    /// values, in the same order, as one after another, after a non-empty initial carried value.
    func testIndependentIterationsSplitAmongWorkersGiveTheSameResult() throws {
        let g = try body(condition: Node(name: "keep", opType: "Identity", inputs: ["c"], outputs: ["c2"]))
        XCTAssertTrue(try SubgraphProgram(g, opset: 13).iterationsIndependent)
        let loop = Node(name: "loop", opType: "Loop", inputs: ["n", "", "start"], outputs: ["all", "counts"], attributes: ["body": .graph(g)])
        for n in [0, 1, 2, 3, 7, 50] {
            let env = ["n": Tensor(shape: [], ints: [Int64(n)]), "start": Tensor(shape: [2], ints: [-1, -2]), "scale": Tensor(shape: [], ints: [3])]
            let serial = try ControlFlow.run(loop, env: env, opset: 13, threads: 1)
            XCTAssertEqual(serial[0].ints, [-1, -2] + (0..<n).map { Int64(($0 + 1) * 3) }, "n = \(n)")
            XCTAssertEqual(serial[1].ints, (0..<n).map { Int64($0 + 1) }, "n = \(n)")
            let split = try ControlFlow.run(loop, env: env, opset: 13, threads: 2)
            XCTAssertEqual(split, serial, "n = \(n)")
        }
        // A body that reads its carried value elsewhere is not split.
        var reads = g
        reads.nodes.append(Node(name: "peek", opType: "Shape", inputs: ["acc"], outputs: ["s"]))
        XCTAssertFalse(try SubgraphProgram(reads, opset: 13).iterationsIndependent)
    }
}
