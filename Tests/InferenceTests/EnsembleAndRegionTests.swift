import XCTest
@testable import Inference

/// Fold ensembles (one shared sliding-window pass, probabilities averaged) and region-based label
/// decisions (per-region thresholds, later regions take precedence).
final class EnsembleAndRegionTests: XCTestCase {
    func input(_ shape: [Int], seed: UInt64) -> ChannelArray {
        var state = seed
        func next() -> Float { state = state &* 6364136223846793005 &+ 1442695040888963407; return Float(state >> 40) / Float(1 << 24) * 4 - 2 }
        return ChannelArray(channels: 1, shape: shape, values: (0..<shape.reduce(1, *)).map { _ in next() })
    }

    func testEnsembleEqualsAverageOfFoldsRunAlone() throws {
        let folds = [PointwiseNetwork(weight: [-1, 0.5, 2], bias: [0.3, 0.1, -0.7]), PointwiseNetwork(weight: [0.7, -1.2, 1.1], bias: [0, 0.4, 0.2]),
                     PointwiseNetwork(weight: [2, 1, -2], bias: [-0.5, 0.5, 0])]
        let x = input([13, 21, 17], seed: 16)
        let options = SlidingWindowOptions(patch: [8, 8, 8], classes: 3, stepFraction: 0.5)
        let ensemble = FoldEnsemble(folds: folds, kind: .logits, decision: .argmax, classes: 3)
        let together = try SlidingWindowPredictor(network: ensemble, options: options).predictScores(x)
        var average = [Double](repeating: 0, count: together.values.count)
        for f in folds {
            let alone = try SlidingWindowPredictor(network: FoldEnsemble(folds: [f], kind: .logits, decision: .argmax, classes: 3), options: options).predictScores(x)
            for i in average.indices { average[i] += Double(alone.values[i]) / Double(folds.count) }
        }
        let maxError = zip(together.values, average).map { abs(Double($0) - $1) }.max()!
        XCTAssertLessThanOrEqual(maxError, 1e-6)
        // Probabilities: every voxel's classes sum to 1.
        let plane = 13 * 21 * 17
        for v in stride(from: 0, to: plane, by: 97) { XCTAssertEqual((0..<3).map { together.values[$0 * plane + v] }.reduce(0, +), 1, accuracy: 1e-5) }
        // One shared pass: every fold saw exactly the windows a single network sees, once each.
        let single = PointwiseNetwork()
        _ = try SlidingWindowPredictor(network: single, options: options).predictScores(x)
        for f in folds { XCTAssertEqual(f.calls.shapes.count, 2 * single.calls.shapes.count, "scores twice (together + alone) per fold") }
    }

    func testSoftmaxAndSigmoidOfOneFold() throws {
        let logits: [Float] = [0, 1, 2, -1, 3, 0]   // batch 1, 2 classes, 3 voxels
        let soft = try FoldEnsemble.probabilities(logits, batch: 1, classes: 2, kind: .logits, decision: .argmax)
        XCTAssertEqual(soft[0], 1 / (1 + expf(-1)), accuracy: 1e-6)   // exp(0) / (exp(0) + exp(-1))
        XCTAssertEqual(soft[0] + soft[3], 1, accuracy: 1e-6)
        let sig = try FoldEnsemble.probabilities(logits, batch: 1, classes: 2, kind: .logits, decision: .regions)
        XCTAssertEqual(sig[4], 1 / (1 + expf(-3)), accuracy: 1e-6)
        XCTAssertEqual(try FoldEnsemble.probabilities(logits, batch: 1, classes: 2, kind: .probabilities, decision: .argmax), logits)
        XCTAssertThrowsError(try FoldEnsemble.probabilities([1, 2, 3], batch: 1, classes: 2, kind: .logits, decision: .argmax))
    }

    /// BraTS-style nested regions on a synthetic case: whole tumour ⊇ tumour core ⊇ enhancing.
    /// Labels 1 (oedema = WT only), 2 (core, not enhancing), 3 (enhancing); a voxel inside a later
    /// region is labelled by it even where an earlier region does not hold.
    func testRegionLabelsFollowPrecedence() throws {
        let decision = LabelDecision.regions(labels: [1, 2, 3], cutoffs: [0.5, 0.5, 0.4])
        // 6 voxels; rows: WT, TC, ET probabilities.
        let wt: [Float] = [0.1, 0.9, 0.9, 0.9, 0.2, 0.5]
        let tc: [Float] = [0.1, 0.2, 0.8, 0.8, 0.1, 0.9]
        let et: [Float] = [0.1, 0.1, 0.3, 0.45, 0.9, 0.4]
        var labels = [UInt8](repeating: 9, count: 6)
        decision.apply(wt + tc + et, classes: 3, plane: 6, into: &labels, base: 0)
        XCTAssertEqual(labels, [0, 1, 2, 3, 3, 2], "none; WT; WT+TC; all three (ET threshold 0.4); ET alone wins; 0.5 is not above 0.5 and ET 0.4 not above 0.4")
    }

    func testRegionDecisionFromManifestComparesLogitsInLogitSpace() throws {
        var m = try manifest(decision: "regions")
        XCTAssertEqual(LabelDecision(manifest: m, scores: .probabilities), .regions(labels: [1, 2, 3], cutoffs: [0.5, 0.5, 0.3]))
        guard case .regions(_, let cutoffs) = LabelDecision(manifest: m, scores: .logits) else { return XCTFail() }
        XCTAssertEqual(cutoffs[0], 0, accuracy: 1e-7)
        XCTAssertEqual(cutoffs[2], Float(log(0.3 / 0.7)), accuracy: 1e-6)
        m.output.decision = nil; m.output.regions = nil
        XCTAssertEqual(LabelDecision(manifest: m, scores: .logits), .argmax)
    }

    func testManifestValidatesRegionsAndEnums() throws {
        XCTAssertNoThrow(try manifest(decision: "regions"))
        XCTAssertThrowsError(try manifest(decision: "regions", regionLabel: 7)) { XCTAssertTrue("\($0)".contains("label 7"), "\($0)") }
        XCTAssertThrowsError(try manifest(decision: "argmax"))   // regions present without the regions decision
        XCTAssertThrowsError(try manifest(decision: "regions", dimensionality: "4d")) { XCTAssertTrue("\($0)".contains("4d"), "\($0)") }
        XCTAssertThrowsError(try manifest(decision: "regions", orientation: "LAS")) { XCTAssertTrue("\($0)".contains("LAS"), "\($0)") }
        XCTAssertThrowsError(try manifest(decision: "majority")) { XCTAssertTrue("\($0)".contains("majority"), "\($0)") }
        let m = try manifest(decision: "regions", ensemble: true)
        XCTAssertEqual(m.networks.map(\.file), ["fold0.onnx", "fold1.onnx"])
    }

    func manifest(decision: String, regionLabel: Int = 3, dimensionality: String = "3d", orientation: String = "LPS", ensemble: Bool = false) throws -> ModelManifest {
        let code = #"{"code": "108369006", "scheme": "SCT", "meaning": "Neoplasm"}"#
        let label = { (v: Int, n: String) in #"{"value": \#(v), "name": "\#(n)", "colorRGB": [1, 2, 3], "category": \#(code), "type": \#(code)}"# }
        let net = { (f: String) in #"{"file": "\#(f)", "sha256": "00", "tensorAxes": ["N", "C", "k", "j", "i"]}"# }
        let json = """
        {"schemaVersion": 1, "name": "regions-test", "version": "1", "description": "", "licence": "", "network": \(net("fold0.onnx")),
         \(ensemble ? #""ensemble": [\#(net("fold1.onnx"))],"# : "")
         "inputs": [{"name": "FLAIR", "modality": "MR", "normalization": {"kind": "zscore-nonzero"}}],
         "orientation": "\(orientation)", "targetSpacingMM": [1, 1, 1], "dimensionality": "\(dimensionality)", "patchSizeIJK": [8, 8, 8],
         "slidingWindow": {"stepFraction": 0.5}, "mirrorAxes": [],
         "output": {"kind": "logits", "classes": 3, "decision": "\(decision)",
                    "regions": [{"name": "whole tumour", "label": 1}, {"name": "tumour core", "label": 2, "threshold": 0.5},
                                {"name": "enhancing tumour", "label": \(regionLabel), "threshold": 0.3}]},
         "labels": [\(label(1, "oedema")), \(label(2, "core")), \(label(3, "enhancing"))]}
        """
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("i16-manifest-\(UUID().uuidString).json")
        try Data(json.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try ModelManifest.load(from: url)
    }
}
