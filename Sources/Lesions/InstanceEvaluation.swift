import Imaging

/// One matched pair of a predicted and a reference instance.
public struct InstanceMatch: Sendable, Codable, Equatable {
    public var prediction: Int32
    public var reference: Int32
    public var iou: Double
}

/// Instance-level agreement (docs/INSTANCES.md): lesion-wise detection and panoptic quality.
public struct InstanceMetrics: Sendable, Codable, Equatable {
    /// The matching rule, for the reader of the JSON.
    public var matching = "IoU > 0.5"
    public var predictedInstances: Int
    public var referenceInstances: Int
    public var truePositives: Int
    public var falsePositives: Int
    public var falseNegatives: Int
    /// Lesion-wise F1 = TP / (TP + FP/2 + FN/2), the recognition quality (RQ) of PQ; nil when
    /// both maps are empty.
    public var f1: Double?
    /// Mean IoU of the matched pairs (SQ); nil without a match.
    public var segmentationQuality: Double?
    /// PQ = SQ x RQ = sum of matched IoUs / (TP + FP/2 + FN/2); nil when both maps are empty.
    public var panopticQuality: Double?
    public var matches: [InstanceMatch]
}

/// Panoptic quality and lesion-wise F1 of Kirillov et al. (2019), as panoptica computes them for
/// BraTS: a predicted and a reference instance match when their IoU exceeds 0.5, which makes
/// every match unique (two instances cannot both overlap one by more than half its union).
public enum InstanceEvaluation {
    /// - Parameters: instance maps on the same grid (0 = background; every other value one instance).
    /// - Throws: `LesionsError.mismatchedGrids` when the grids differ.
    public static func compare(prediction: Volume<Int32>, reference: Volume<Int32>) throws -> InstanceMetrics {
        try requireSameGrid(prediction.geometry, reference.geometry, "prediction vs reference")
        var predictedVoxels: [Int32: Int] = [:], referenceVoxels: [Int32: Int] = [:]
        var shared: [Pair: Int] = [:]
        prediction.voxels.withUnsafeBufferPointer { p in
            reference.voxels.withUnsafeBufferPointer { r in
                var v = 0
                while v < p.count {
                    let a = p[v], b = r[v]
                    var run = 1
                    while v + run < p.count, p[v + run] == a, r[v + run] == b { run += 1 }
                    if a != 0 { predictedVoxels[a, default: 0] += run }
                    if b != 0 { referenceVoxels[b, default: 0] += run }
                    if a != 0, b != 0 { shared[Pair(prediction: a, reference: b), default: 0] += run }
                    v += run
                }
            }
        }
        var matches: [InstanceMatch] = []
        for (pair, intersection) in shared {
            let union = predictedVoxels[pair.prediction]! + referenceVoxels[pair.reference]! - intersection
            let iou = Double(intersection) / Double(union)
            if iou > 0.5 { matches.append(InstanceMatch(prediction: pair.prediction, reference: pair.reference, iou: iou)) }
        }
        matches.sort { $0.reference < $1.reference }
        let tp = matches.count, fp = predictedVoxels.count - tp, fn = referenceVoxels.count - tp
        let denominator = Double(tp) + Double(fp) / 2 + Double(fn) / 2
        let iouSum = matches.reduce(0) { $0 + $1.iou }
        return InstanceMetrics(predictedInstances: predictedVoxels.count, referenceInstances: referenceVoxels.count,
                               truePositives: tp, falsePositives: fp, falseNegatives: fn,
                               f1: denominator == 0 ? nil : Double(tp) / denominator,
                               segmentationQuality: tp == 0 ? nil : iouSum / Double(tp),
                               panopticQuality: denominator == 0 ? nil : iouSum / denominator,
                               matches: matches)
    }

    private struct Pair: Hashable { var prediction: Int32; var reference: Int32 }
}
