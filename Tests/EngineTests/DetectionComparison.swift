import XCTest
@testable import Engine

/// A detector's outputs for one image, as torchvision's Mask R-CNN exports them: boxes [N, 4]
/// (x1, y1, x2, y2), labels [N], scores [N], masks [N, 1, H, W] (probabilities).
struct Detections {
    var boxes: [Float], labels: [Int64], scores: [Float], masks: Tensor
    var count: Int { scores.count }

    init(_ out: [String: Tensor]) throws {
        boxes = try XCTUnwrap(out["boxes"]).floatValues
        labels = try XCTUnwrap(out["labels"]).intValues
        scores = try XCTUnwrap(out["scores"]).floatValues
        masks = try XCTUnwrap(out["masks"])
    }

    func box(_ i: Int) -> ArraySlice<Float> { boxes[(i * 4)..<(i * 4 + 4)] }

    static func iou(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
        let a = Array(a), b = Array(b)
        let w = max(0, min(a[2], b[2]) - max(a[0], b[0])), h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
        let inter = w * h, union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
        return union > 0 ? inter / union : 0
    }
}

/// Issue 17's equality of an engine's detections with onnxruntime's:
/// - detections matched one to one (same label, IoU > 0.5, the closest box first);
/// - matched scores within `tolerance`; box coordinates within `tolerance` x max(|coordinate|, box
///   extent on that axis, 1): a decoded coordinate is centre + delta x size, so its rounding error
///   scales with the box's size (a 500-pixel-wide box starting at x = 10 may differ by 1e-3 pixel
///   between two correct float32 implementations; measured on maskrcnn_resnet50_fpn_v2: 3e-6 of the
///   width);
/// - the same number of detections, except unmatched ones that are borderline: a score within
///   `tolerance` of the cut-off (the score threshold, or the lowest kept score when the list is
///   full) or an IoU within `tolerance` of the NMS threshold with a same-label detection of the other
///   list (these are counted in `borderline`, not failures);
/// - masks equal at 0.5 except pixels within `tolerance` of 0.5 (counted in `nearHalfPixels`).
struct DetectionComparison {
    var problems: [String] = []
    var matched = 0
    var borderline = 0
    var maxScoreDifference: Float = 0
    var maxBoxDifference: Float = 0
    var nearHalfPixels = 0

    init(_ got: Detections, _ ort: Detections, scoreThreshold: Float, nmsThreshold: Float, maxDetections: Int, tolerance: Float = 1e-4) {
        func cutoff(_ d: Detections) -> Float { d.count >= maxDetections ? (d.scores.min() ?? scoreThreshold) : scoreThreshold }
        func isBorderline(_ score: Float, _ box: ArraySlice<Float>, _ label: Int64, other: Detections, cut: Float) -> Bool {
            if abs(score - cut) <= tolerance { return true }
            return (0..<other.count).contains { other.labels[$0] == label && abs(Detections.iou(box, other.box($0)) - nmsThreshold) <= tolerance }
        }
        var used = Set<Int>()
        let plane = ort.count > 0 ? ort.masks.count / ort.count : 0
        let gm = got.masks.floatValues, om = ort.masks.floatValues
        if got.count > 0, ort.count > 0, got.masks.count / got.count != plane {
            problems.append("mask planes differ: \(got.masks.shape) vs \(ort.masks.shape)")
            return
        }
        for i in 0..<ort.count {
            let candidates = (0..<got.count).filter { !used.contains($0) && got.labels[$0] == ort.labels[i] && Detections.iou(got.box($0), ort.box(i)) > 0.5 }
            func distance(_ j: Int) -> Float { zip(got.box(j), ort.box(i)).map { abs($0 - $1) }.max()! + abs(got.scores[j] - ort.scores[i]) }
            guard let j = candidates.min(by: { distance($0) < distance($1) }) else {
                if isBorderline(ort.scores[i], ort.box(i), ort.labels[i], other: got, cut: cutoff(ort)) { borderline += 1 }
                else { problems.append("onnxruntime detection \(i) (label \(ort.labels[i]), score \(ort.scores[i])) has no match") }
                continue
            }
            used.insert(j)
            matched += 1
            let ds = abs(got.scores[j] - ort.scores[i])
            maxScoreDifference = max(maxScoreDifference, ds)
            if ds > tolerance { problems.append("detection \(i): score \(got.scores[j]) vs \(ort.scores[i])") }
            let ob = Array(ort.box(i)), extent = [ob[2] - ob[0], ob[3] - ob[1]]
            for (k, (g, o)) in zip(got.box(j), ob).enumerated() {
                maxBoxDifference = max(maxBoxDifference, abs(g - o))
                if abs(g - o) > tolerance * max(abs(o), abs(extent[k % 2]), 1) { problems.append("detection \(i): box coordinate \(g) vs \(o)") }
            }
            var differing = 0
            for p in 0..<plane {
                let o = om[i * plane + p], g = gm[j * plane + p]
                guard (o > 0.5) != (g > 0.5) else { continue }
                if abs(o - 0.5) <= tolerance { nearHalfPixels += 1 } else { differing += 1 }
            }
            if differing > 0 { problems.append("detection \(i): \(differing) mask pixels differ at 0.5") }
        }
        for j in 0..<got.count where !used.contains(j) {
            if isBorderline(got.scores[j], got.box(j), got.labels[j], other: ort, cut: cutoff(got)) { borderline += 1 }
            else { problems.append("engine detection \(j) (label \(got.labels[j]), score \(got.scores[j])) has no match") }
        }
    }

    var summary: String {
        "\(matched) matched, \(borderline) borderline, max |score diff| \(maxScoreDifference), max |box diff| \(maxBoxDifference) px, "
            + "\(nearHalfPixels) mask pixels within tolerance of 0.5"
    }
}
