import Core
import Foundation

/// `output.instances` of an instance model (`output.decision` "instances"; docs/MODEL_PACKAGE.md):
/// what is kept of a 2D detector's output on each slice and how slices are linked. Read strictly:
/// every value is type- and range-checked and an unknown key is refused, each error naming the
/// dotted key (`ConfigKeyError`, e.g. `output.instances.nmsIoU`).
public struct InstanceSettings: Codable, Sendable, Equatable {
    /// A detection is kept when its score is strictly above this (torchvision's `box_score_thresh` rule).
    public var scoreThreshold: Double = 0.5
    /// A pixel belongs to a detection's mask when its mask probability is strictly above this.
    public var maskThreshold: Double = 0.5
    /// Class-agnostic mask suppression among the kept detections of one slice: taken by decreasing
    /// score, a detection whose thresholded mask has an IoU strictly above this with an already
    /// accepted one is dropped. 1 keeps every detection.
    public var nmsIoU: Double = 0.5
    /// `SliceInstanceLinking`'s `minOverlap`: the fraction of the smaller mask two detections on
    /// neighbouring slices must share to be linked.
    public var minSliceOverlap: Double = 0.1
    /// The network's output names (torchvision's by default).
    public var outputs = OutputNames()

    /// The four outputs of torchvision's exported Mask R-CNN.
    public struct OutputNames: Codable, Sendable, Equatable {
        /// `[N, 4]` float: x1, y1, x2, y2 in input pixels.
        public var boxes = "boxes"
        /// `[N]` int64: the class, a `labels[].value`.
        public var labels = "labels"
        /// `[N]` float.
        public var scores = "scores"
        /// `[N, 1, H, W]` float mask probabilities on the input slice.
        public var masks = "masks"
        public init() {}
    }

    public init() {}

    enum CodingKeys: String, CodingKey { case scoreThreshold, maskThreshold, nmsIoU, minSliceOverlap, outputs }

    public init(from decoder: any Decoder) throws {
        var r = try ConfigReader(try JSONValue(from: decoder), path: "output.instances")
        scoreThreshold = try r.double("scoreThreshold", in: 0...1, default: 0.5)
        maskThreshold = try r.double("maskThreshold", in: 0...1, default: 0.5)
        nmsIoU = try r.double("nmsIoU", in: 0...1, default: 0.5)
        minSliceOverlap = try r.double("minSliceOverlap", in: 0...1, default: 0.1)
        guard nmsIoU > 0 else { throw ConfigKeyError(key: r.key("nmsIoU"), problem: "must be above 0 (1 keeps every detection)") }
        guard minSliceOverlap > 0 else { throw ConfigKeyError(key: r.key("minSliceOverlap"), problem: "must be above 0 (a fraction in (0, 1])") }
        if var names = try r.object("outputs", required: false) {
            outputs.boxes = try names.string("boxes", default: "boxes")
            outputs.labels = try names.string("labels", default: "labels")
            outputs.scores = try names.string("scores", default: "scores")
            outputs.masks = try names.string("masks", default: "masks")
            try names.finish()
        }
        try r.finish()
    }
}
