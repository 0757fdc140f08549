/// One run of a 2D instance detector (torchvision's Mask R-CNN output format) on one slice.
public struct SliceDetectorOutput: Sendable, Equatable {
    /// `count * 4` values: x1, y1, x2, y2 per detection, in input pixels.
    public var boxes: [Float]
    /// `count` classes (`labels[].value`).
    public var labels: [Int64]
    /// `count` scores.
    public var scores: [Float]
    /// `count * height * width` mask probabilities on the input slice (the `[N, 1, H, W]` tensor).
    public var masks: [Float]
    public var height: Int
    public var width: Int

    public init(boxes: [Float], labels: [Int64], scores: [Float], masks: [Float], height: Int, width: Int) {
        self.boxes = boxes; self.labels = labels; self.scores = scores; self.masks = masks
        self.height = height; self.width = width
    }

    public var count: Int { scores.count }

    /// Checks the four outputs against each other and the input slice size.
    /// - Throws: `InferenceError.networkOutput` naming the output that does not fit.
    public func validate(height h: Int, width w: Int, names: InstanceSettings.OutputNames) throws {
        let n = count
        guard labels.count == n else { throw InferenceError.networkOutput("'\(names.labels)' holds \(labels.count) values for \(n) scores") }
        guard boxes.count == 4 * n else { throw InferenceError.networkOutput("'\(names.boxes)' holds \(boxes.count) values for \(n) detections; expected [N, 4]") }
        guard height == h, width == w, masks.count == n * h * w else {
            throw InferenceError.networkOutput("'\(names.masks)' is \(masks.count) values of \(height) x \(width) for \(n) detections on a \(h) x \(w) slice; expected [N, 1, \(h), \(w)]")
        }
        guard scores.allSatisfy(\.isFinite) else { throw InferenceError.networkOutput("'\(names.scores)' holds a value that is not finite") }
    }
}

/// A 2D instance detector: one slice `[C, H, W]` in, detections out. It is a `PatchNetwork` only so
/// that the callers that hold "the model's network" (`segment`, `batch`, the service's workers) hold
/// it the same way; it has no per-voxel scores to blend.
public protocol SliceDetector: PatchNetwork {
    /// - Parameter shape: `[C, H, W]`.
    func detect(_ slice: [Float], shape: [Int]) throws -> SliceDetectorOutput
}

extension SliceDetector {
    public func predict(_ input: [Float], shape: [Int]) throws -> [Float] {
        throw InferenceError.unsupported("an instance detector outputs detections, not per-voxel scores for a sliding window")
    }
}
