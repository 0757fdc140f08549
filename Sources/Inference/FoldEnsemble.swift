import Foundation

/// Several networks (cross-validation folds) used as one `PatchNetwork`: every fold sees the same
/// patch batch (so the volume is read, preprocessed and windowed once), each fold's output becomes
/// probabilities (softmax over classes for argmax models, sigmoid per channel for region models,
/// unchanged when already probabilities) and the folds' probabilities are averaged, as nnU-Net's
/// ensembling averages probabilities before the argmax or threshold.
public struct FoldEnsemble: PatchNetwork {
    public let folds: [PatchNetwork]
    public let kind: ModelManifest.ScoreKind
    public let decision: ModelManifest.Decision
    public let classes: Int

    public init(folds: [PatchNetwork], kind: ModelManifest.ScoreKind, decision: ModelManifest.Decision, classes: Int) {
        precondition(!folds.isEmpty && classes >= 1)
        self.folds = folds; self.kind = kind; self.decision = decision; self.classes = classes
    }

    public func predict(_ input: [Float], shape: [Int]) throws -> [Float] {
        var sum: [Double] = []
        for fold in folds {
            let p = try FoldEnsemble.probabilities(try fold.predict(input, shape: shape), batch: shape[0], classes: classes, kind: kind, decision: decision)
            if sum.isEmpty { sum = [Double](repeating: 0, count: p.count) }
            guard p.count == sum.count else { throw InferenceError.networkOutput("ensemble folds produced outputs of different sizes (\(p.count) and \(sum.count) values)") }
            for i in 0..<p.count { sum[i] += Double(p[i]) }
        }
        let n = Double(folds.count)
        return sum.map { Float($0 / n) }
    }

    /// One network's output `[batch, classes, voxels...]` as probabilities.
    public static func probabilities(_ scores: [Float], batch: Int, classes: Int, kind: ModelManifest.ScoreKind, decision: ModelManifest.Decision) throws -> [Float] {
        guard kind == .logits else { return scores }
        guard batch >= 1, scores.count % (batch * classes) == 0 else {
            throw InferenceError.networkOutput("network output of \(scores.count) values does not split into \(batch) x \(classes) channels")
        }
        if decision == .regions { return scores.map { 1 / (1 + expf(-$0)) } }
        let voxels = scores.count / (batch * classes)
        var out = scores
        for b in 0..<batch {
            for v in 0..<voxels {
                let at = { (c: Int) in (b * classes + c) * voxels + v }
                var m = -Float.infinity
                for c in 0..<classes { m = max(m, scores[at(c)]) }
                var s: Float = 0
                for c in 0..<classes { let e = expf(scores[at(c)] - m); out[at(c)] = e; s += e }
                for c in 0..<classes { out[at(c)] /= s }
            }
        }
        return out
    }
}

/// How blended scores become a label map.
public enum LabelDecision: Sendable, Equatable {
    /// Highest score wins; ties go to the lower class.
    case argmax
    /// Regions in order of application: where channel c's score exceeds `cutoffs[c]`, `labels[c]` is
    /// written, later regions overwriting earlier ones (so nested regions such as BraTS whole tumour
    /// ⊇ tumour core ⊇ enhancing end up labelled by the innermost one); 0 where none holds.
    case regions(labels: [UInt8], cutoffs: [Float])

    /// The manifest's decision for scores that are logits or probabilities (ensembles output
    /// probabilities): a probability threshold t is compared in logit space as log(t / (1 - t)).
    public init(manifest: ModelManifest, scores: ModelManifest.ScoreKind) {
        guard manifest.decision == .regions, let regions = manifest.output.regions else { self = .argmax; return }
        self = .regions(labels: regions.map { UInt8(clamping: $0.label) }, cutoffs: regions.map { r in
            let t = r.threshold ?? 0.5
            return scores == .logits ? Float(log(t / (1 - t))) : Float(t)
        })
    }

    /// Labels of `plane` voxels from `scores[c * plane + v]`, written at `labels[base + v]`.
    func apply(_ scores: [Float], classes k: Int, plane: Int, into labels: inout [UInt8], base: Int) {
        switch self {
        case .argmax:
            for v in 0..<plane {
                var best = 0
                var bestScore = scores[v]
                for c in 1..<max(k, 1) where scores[c * plane + v] > bestScore {
                    best = c; bestScore = scores[c * plane + v]
                }
                labels[base + v] = UInt8(truncatingIfNeeded: best)
            }
        case .regions(let values, let cutoffs):
            for v in 0..<plane {
                var label: UInt8 = 0
                for c in 0..<min(k, values.count) where scores[c * plane + v] > cutoffs[c] { label = values[c] }
                labels[base + v] = label
            }
        }
    }
}
