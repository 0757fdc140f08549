import Core
/// A network that maps a batch of patches to per-class scores.
/// Input: `[batch, channels, p0, p1, p2]` (3D) or `[batch, channels, p1, p2]` (2D), C order.
/// Output: `[batch, classes, ...same spatial dims]`, logits or probabilities.
public protocol PatchNetwork {
    func predict(_ input: [Float], shape: [Int]) throws -> [Float]
}

/// Options of a sliding-window prediction.
public struct SlidingWindowOptions: Sendable {
    /// Patch size `[p0, p1, p2]`; a 2D model has `p0 == 1` (one slice along d0 per patch).
    public var patch: [Int]
    public var classes: Int
    /// Step as a fraction of the patch (0.5 = half-patch overlap).
    public var stepFraction: Double = 0.5
    /// Axes (0, 1, 2 of d0..d2) to mirror for test-time augmentation; empty = off.
    public var mirrorAxes: [Int] = []
    /// Patches per network call.
    public var batchSize: Int = 1
    /// Value used to pad axes shorter than the patch.
    public var padValue: Float = 0
    /// Whether the model is 2D (input rank 4, d0 is the slice axis).
    public var is2D: Bool { patch[0] == 1 }

    public init(patch: [Int], classes: Int, stepFraction: Double = 0.5, mirrorAxes: [Int] = [], batchSize: Int = 1) {
        self.patch = patch; self.classes = classes; self.stepFraction = stepFraction
        self.mirrorAxes = mirrorAxes; self.batchSize = batchSize
    }
}

/// Gaussian-blended sliding-window prediction with bounded memory.
///
/// Windows are processed in order of their d0 start. Scores are accumulated only for the d0-slices
/// that a pending window can still touch; once every window covering slice `x0` is done, that slice's
/// blended scores are final and are handed to `finalize` (argmax to `UInt8` by default) and freed.
/// Peak memory is therefore about `(classes + 1) * p0 * d1 * d2` floats on top of the input,
/// instead of `classes * d0 * d1 * d2`.
public struct SlidingWindowPredictor {
    public let options: SlidingWindowOptions
    public let network: PatchNetwork

    public init(network: PatchNetwork, options: SlidingWindowOptions) {
        self.network = network
        self.options = options
    }

    /// Predicts a label map of `input.shape`: argmax over classes, or the given decision.
    public func predictLabels(_ input: ChannelArray, decision: LabelDecision = .argmax, progress: ((Int, Int) -> Void)? = nil) throws -> [UInt8] {
        var labels = [UInt8](repeating: 0, count: input.voxelsPerChannel)
        let plane = input.shape[1] * input.shape[2]
        try run(input, progress: progress) { x0, scores in
            decision.apply(scores, classes: options.classes, plane: plane, into: &labels, base: x0 * plane)
        }
        return labels
    }

    /// Predicts blended scores for every class: `[classes, d0, d1, d2]`. Holds all classes in memory;
    /// for tests and fractional outputs.
    public func predictScores(_ input: ChannelArray) throws -> ChannelArray {
        var out = ChannelArray(channels: options.classes, shape: input.shape)
        let plane = input.shape[1] * input.shape[2]
        try run(input, progress: nil) { x0, scores in
            for c in 0..<options.classes {
                let dst = (c * input.shape[0] + x0) * plane
                for v in 0..<plane { out.values[dst + v] = scores[c * plane + v] }
            }
        }
        return out
    }

    /// Refuses, before any work, a prediction whose buffers do not fit the process memory budget:
    /// the padded input, the per-slice accumulators, the batch of patches in and out, the weights.
    func requireWithinBudget(_ input: ChannelArray) throws {
        let patch = options.patch, k = options.classes, c = input.channels
        let padded = (0..<3).map { max(input.shape[$0], patch[$0]) }
        let parts: [Int?] = [
            MemoryBudget.product([c] + padded),
            MemoryBudget.product([k + 1, patch[0], padded[1], padded[2]]),
            MemoryBudget.product([options.batchSize, c + k] + patch),
            MemoryBudget.product(patch),
        ]
        let floats = MemoryBudget.sum(parts)
        try MemoryBudget.require(bytes: floats.flatMap { MemoryBudget.product([$0, 4]) },
                                 for: "sliding-window inference (patch \(patch.map(String.init).joined(separator: "x")), batch \(options.batchSize), \(k) classes)",
                                 input: "input of \(c) channel(s) \(input.shape.map(String.init).joined(separator: "x")) after preprocessing (manifest patchSizeIJK, slidingWindow.batchSize)")
    }

    /// Core loop: calls `finalize(x0, scores[classes * d1 * d2])` once per d0-slice of the input, in order.
    public func run(_ input: ChannelArray, progress: ((Int, Int) -> Void)?,
                    finalize: (Int, [Float]) throws -> Void) throws {
        let patch = options.patch
        precondition(patch.count == 3 && options.classes >= 1)
        try requireWithinBudget(input)
        let (padded, offset) = input.padded(toAtLeast: patch, value: options.padValue)
        let shape = padded.shape
        let starts = SlidingWindowPlan.starts(shape: shape, patch: patch, stepFraction: options.stepFraction)
        let weights = GaussianImportance.weights(patch: patch)
        let k = options.classes
        let plane = shape[1] * shape[2]
        var accumulators = [Int: SliceAccumulator]()
        var nextToFinalize = 0     // in padded coordinates
        let totalWindows = starts[0].count * starts[1].count * starts[2].count
        var doneWindows = 0

        func emit(upTo limit: Int) throws {
            while nextToFinalize < limit {
                let x0 = nextToFinalize
                let acc = accumulators.removeValue(forKey: x0) ?? SliceAccumulator(classes: k, plane: plane)
                nextToFinalize += 1
                let original = x0 - offset[0]
                guard original >= 0, original < input.shape[0] else { continue }
                try finalize(original, acc.blended(cropping: shape, offset: offset, inputShape: input.shape))
            }
        }

        var batch = PatchBatch(options: options, channels: input.channels)
        for (groupIndex, s0) in starts[0].enumerated() {
            for s1 in starts[1] {
                for s2 in starts[2] {
                    batch.append(origin: [s0, s1, s2], from: padded)
                    if batch.count == options.batchSize {
                        try batch.flush(network: network, weights: weights, shape: shape, into: &accumulators)
                    }
                    doneWindows += 1
                    progress?(doneWindows, totalWindows)
                }
            }
            // Slices before the next group's start are final once no pending patch covers them:
            // patches still waiting in a partial batch (2D models batch across slices) hold them back.
            let nextStart = groupIndex + 1 < starts[0].count ? starts[0][groupIndex + 1] : shape[0]
            try emit(upTo: min(nextStart, batch.origins.first?[0] ?? nextStart))
        }
        try batch.flush(network: network, weights: weights, shape: shape, into: &accumulators)
        try emit(upTo: shape[0])
    }
}

/// Weighted score sums and weight sums of one d0-slice.
struct SliceAccumulator {
    var scores: [Float]
    var weight: [Float]
    init(classes: Int, plane: Int) {
        scores = [Float](repeating: 0, count: classes * plane)
        weight = [Float](repeating: 0, count: plane)
    }

    /// Scores divided by weights, cropped from the padded plane to the input's d1 x d2.
    func blended(cropping padded: [Int], offset: [Int], inputShape: [Int]) -> [Float] {
        let classes = scores.count / weight.count
        let (n1, n2) = (inputShape[1], inputShape[2])
        var out = [Float](repeating: 0, count: classes * n1 * n2)
        for c in 0..<classes {
            for x1 in 0..<n1 {
                let srcRow = (x1 + offset[1]) * padded[2] + offset[2]
                for x2 in 0..<n2 {
                    let w = weight[srcRow + x2]
                    out[(c * n1 + x1) * n2 + x2] = w > 0 ? scores[c * weight.count + srcRow + x2] / w : 0
                }
            }
        }
        return out
    }
}
