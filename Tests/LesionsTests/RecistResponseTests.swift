import Lesions
import XCTest

/// RECIST 1.1 categories from hand-made sums (Eisenhauer et al. 2009, section 4.3.1).
final class RecistResponseTests: XCTestCase {
    typealias L = RecistResponse.Lesion
    func tp(_ date: String, _ lesions: [L]) -> RecistResponse.Timepoint { .init(date: date, lesions: lesions) }
    func l(_ id: Int, _ long: Double, label: String = "liver", node: Bool = false, short: Double = 5, ml: Double = 1) -> L {
        L(identity: id, label: label, isNode: node, longAxisMM: long, shortAxisMM: short, volumeML: ml)
    }

    func testTargetsAreAtMostFiveMeasurableAndTwoPerLabel() {
        let baseline = tp("2026-01-01", [l(1, 50), l(2, 40), l(3, 30), l(4, 25, label: "lung"), l(5, 9, label: "lung"),
                                         l(6, 20, label: "node", node: true, short: 14), l(7, 22, label: "node", node: true, short: 16),
                                         l(8, 12, label: "bone"), l(9, 11, label: "brain")])
        // liver: 1, 2 (3 exceeds 2 per label); lung: 4 (5 is under 10 mm); node 7 (short 16 >= 15; node 6 is not);
        // bone 8; five reached before brain 9.
        XCTAssertEqual(RecistResponse.targets(at: baseline).map(\.identity), [1, 2, 4, 7, 8])
    }

    func testCategories() throws {
        let base = tp("2026-01-01", [l(1, 40), l(2, 20, label: "lung")])  // sum 60
        func category(_ later: [RecistResponse.Timepoint]) throws -> RecistResponse.Category {
            try XCTUnwrap(RecistResponse.assess([base] + later)).category
        }
        XCTAssertEqual(try category([tp("b", [l(1, 30), l(2, 12, label: "lung")])]), .partialResponse)   // 42 = -30 %
        XCTAssertEqual(try category([tp("b", [l(1, 31), l(2, 12, label: "lung")])]), .stableDisease)     // 43 = -28 %
        XCTAssertEqual(try category([tp("b", [])]), .completeResponse)
        XCTAssertEqual(try category([tp("b", [l(1, 48), l(2, 24, label: "lung")])]), .progressiveDisease) // 72 = +20 %, +12 mm
        XCTAssertEqual(try category([tp("b", [l(1, 40), l(2, 20, label: "lung"), l(3, 4, ml: 0.2)])]), .progressiveDisease) // new
        XCTAssertEqual(try category([tp("b", [l(1, 40), l(2, 20, label: "lung"), l(3, 2, ml: 0.05)])]), .stableDisease) // below 0.1 mL
        // Nadir: 60 -> 20 -> 25 is +25 % and +5 mm from the nadir: PD (although -58 % from baseline);
        // 60 -> 20 -> 24 is +20 % but only +4 mm: PD needs both, so PR (-60 % from baseline).
        XCTAssertEqual(try category([tp("b", [l(1, 10), l(2, 10, label: "lung")]), tp("c", [l(1, 15), l(2, 10, label: "lung")])]), .progressiveDisease)
        XCTAssertEqual(try category([tp("b", [l(1, 10), l(2, 10, label: "lung")]), tp("c", [l(1, 14), l(2, 10, label: "lung")])]), .partialResponse)
        let a = try XCTUnwrap(RecistResponse.assess([base, tp("b", [l(1, 10), l(2, 10, label: "lung")]), tp("c", [l(1, 14), l(2, 10, label: "lung")])]))
        XCTAssertEqual(a.nadirSumMM, 20); XCTAssertEqual(a.baselineSumMM, 60); XCTAssertEqual(a.currentSumMM, 24)
        XCTAssertEqual(try XCTUnwrap(a.changeFromNadirPercent), 20, accuracy: 1e-9)
        // Nodes: CR when every target node's short axis is under 10 mm.
        let nodes = tp("a", [l(1, 30, label: "node", node: true, short: 18)])
        XCTAssertEqual(RecistResponse.assess([nodes, tp("b", [l(1, 12, label: "node", node: true, short: 9)])])?.category, .completeResponse)
        XCTAssertEqual(RecistResponse.assess([tp("a", [l(1, 8)]), tp("b", [l(1, 8)])])?.category, .notEvaluable)
        XCTAssertNil(RecistResponse.assess([base]))
    }
}
