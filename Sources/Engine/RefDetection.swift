/// Reference kernels of the detection operators (issue 17): TopK, NonZero, NonMaxSuppression,
/// RoiAlign, ScatterElements. NonZero and NonMaxSuppression produce outputs whose leading size depends on the data
/// (and TopK when K is computed at run time), so these kernels compute their own output shapes;
/// `Reference.run` calls them before its shape inference. The semantics follow the ONNX operator
/// specification and, where it leaves a choice (ties, degenerate boxes, RoiAlign's max mode),
/// onnxruntime's CPU kernels, which the fixtures come from.
enum RefDetection {
    static let operators: Set<String> = ["TopK", "NonZero", "NonMaxSuppression", "RoiAlign", "ScatterElements"]

    /// Runs a detection operator on concrete inputs; nil when `node` is not one.
    /// `threads`: workers for the kernels that split their work (RoiAlign).
    static func run(_ node: Node, _ ins: [Tensor?], opset: Int, threads: Int = 1) throws -> [Tensor]? {
        func req(_ i: Int) throws -> Tensor { guard i < ins.count, let t = ins[i] else { throw node.invalid("missing input \(i)") }; return t }
        func opt(_ i: Int) -> Tensor? { i < ins.count ? ins[i] : nil }
        switch node.opType {
        case "TopK": return try topK(node, try req(0), k: try req(1), opset: opset)
        case "NonZero": return [nonZero(try req(0))]
        case "NonMaxSuppression":
            return [try nonMaxSuppression(node, boxes: try req(0), scores: try req(1), maxPerClass: opt(2), iou: opt(3), scoreThreshold: opt(4))]
        case "RoiAlign": return [try roiAlign(node, x: try req(0), rois: try req(1), batchIndices: try req(2), threads: threads)]
        case "ScatterElements": return [try scatterElements(node, data: try req(0), indices: try req(1), updates: try req(2))]
        default: return nil
        }
    }

    /// TopK (opset 10+: K as input): values and int64 indices of the K largest (or smallest)
    /// elements along `axis`, sorted; ties keep the lower index first, as onnxruntime does.
    /// `sorted = 0` leaves the order unspecified in ONNX; this kernel sorts anyway.
    static func topK(_ node: Node, _ x: Tensor, k kTensor: Tensor, opset: Int) throws -> [Tensor] {
        guard opset >= 10 else { throw EngineError.unsupported("TopK before opset 10 (K as attribute, node '\(node.name)')") }
        let axis = try OpParams.axis(try node.int("axis", -1), rank: x.rank, node)
        guard kTensor.count == 1, let k64 = kTensor.intValues.first, k64 >= 0, k64 <= Int64(x.shape[axis]) else {
            throw node.invalid("K \(kTensor.intValues) must be one value in 0...\(x.shape[axis])")
        }
        let k = Int(k64), n = x.shape[axis], largest = try node.int("largest", 1) != 0
        let inner = Tensor.elementCount(Array(x.shape[(axis + 1)...])), outer = Tensor.elementCount(Array(x.shape[..<axis]))
        var outShape = x.shape; outShape[axis] = k
        let v = x.floatValues
        var values = [Float](repeating: 0, count: outer * k * inner), indices = [Int64](repeating: 0, count: outer * k * inner)
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * n * inner + i
                let order = v.withUnsafeBufferPointer { topIndices($0.baseAddress! + base, stride: inner, n: n, k: k, largest: largest) }
                for j in 0..<k {
                    let dst = (o * k + j) * inner + i
                    values[dst] = v[base + order[j] * inner]; indices[dst] = Int64(order[j])
                }
            }
        }
        let valuesTensor = x.elementType == .int64 ? Tensor(shape: outShape, ints: values.map { Int64($0) }) : Tensor(shape: outShape, floats: values)
        return [valuesTensor, Tensor(shape: outShape, ints: indices)]
    }

    /// The indices of the `k` best of `n` values (`p[j * stride]`), best first: larger (or smaller)
    /// values first, the lower index first among equal values. When k is small against n (a region
    /// proposal network keeps 1000 of 50,000 scores) a heap of the k best kept so far rejects most
    /// values with one comparison; otherwise all indices are sorted.
    static func topIndices(_ p: UnsafePointer<Float>, stride: Int, n: Int, k: Int, largest: Bool) -> [Int] {
        @inline(__always) func better(_ a: Int, _ b: Int) -> Bool {
            let va = p[a * stride], vb = p[b * stride]
            if va != vb { return largest ? va > vb : va < vb }
            return a < b
        }
        if k == 0 { return [] }
        if k * 4 > n {
            var order = Array(0..<n)
            order.sort(by: better)
            return Array(order.prefix(k))
        }
        // heap[0] is the worst of the kept: every parent is worse than its children.
        var heap = Array(0..<k)
        heap.withUnsafeMutableBufferPointer { heap in
            func siftDown(_ start: Int) {
                var i = start
                while true {
                    let l = 2 * i + 1, r = l + 1
                    var worst = i
                    if l < k && better(heap[worst], heap[l]) { worst = l }
                    if r < k && better(heap[worst], heap[r]) { worst = r }
                    if worst == i { return }
                    heap.swapAt(i, worst); i = worst
                }
            }
            for i in Swift.stride(from: k / 2 - 1, through: 0, by: -1) { siftDown(i) }
            for j in k..<n where better(j, heap[0]) { heap[0] = j; siftDown(0) }
            heap.sort(by: better)
        }
        return heap
    }

    /// NonZero: int64 [rank, count] coordinates of the non-zero elements in row-major order.
    static func nonZero(_ x: Tensor) -> Tensor {
        let strides = Tensor.strides(x.shape)
        var hits: [Int] = []
        if x.elementType == .int64 { for (i, v) in x.ints.enumerated() where v != 0 { hits.append(i) } }
        else { for (i, v) in x.floats.enumerated() where v != 0 { hits.append(i) } }
        var out = [Int64](repeating: 0, count: x.rank * hits.count)
        for (j, flat) in hits.enumerated() {
            var rest = flat
            for d in 0..<x.rank { out[d * hits.count + j] = Int64(rest / strides[d]); rest %= strides[d] }
        }
        return Tensor(shape: [x.rank, hits.count], ints: out)
    }

    /// NonMaxSuppression: per batch and class, boxes with score > score_threshold in decreasing
    /// score order (ties: lower box index first), each kept unless its IoU with a kept box of the
    /// same class exceeds iou_threshold, at most max_output_boxes_per_class (absent or 0: none).
    /// Output int64 [selected, 3] rows (batch, class, box), ordered by batch, class, selection.
    static func nonMaxSuppression(_ node: Node, boxes: Tensor, scores: Tensor, maxPerClass: Tensor?, iou: Tensor?, scoreThreshold: Tensor?) throws -> Tensor {
        guard boxes.rank == 3, boxes.shape[2] == 4, scores.rank == 3, scores.shape[0] == boxes.shape[0], scores.shape[2] == boxes.shape[1] else {
            throw node.invalid("boxes \(boxes.shape) must be [batches, boxes, 4] and scores \(scores.shape) [batches, classes, boxes]")
        }
        let centerPoint = try node.int("center_point_box", 0)
        guard centerPoint == 0 || centerPoint == 1 else { throw node.invalid("center_point_box \(centerPoint) must be 0 or 1") }
        let maxOut = max(0, maxPerClass?.intValues.first ?? 0)
        let iouThreshold = iou?.floatValues.first ?? 0
        guard iouThreshold >= 0, iouThreshold <= 1 else { throw node.invalid("iou_threshold \(iouThreshold) must lie in [0, 1]") }
        let threshold = scoreThreshold?.floatValues.first
        let (batches, count, classes) = (boxes.shape[0], boxes.shape[1], scores.shape[1])
        let b = boxes.floatValues, s = scores.floatValues
        /// Box i of batch n as (xmin, ymin, xmax, ymax).
        func corners(_ n: Int, _ i: Int) -> (Float, Float, Float, Float) {
            let p = (n * count + i) * 4
            if centerPoint == 1 {
                let hw = b[p + 2] / 2, hh = b[p + 3] / 2
                return (b[p] - hw, b[p + 1] - hh, b[p] + hw, b[p + 1] + hh)
            }
            return (min(b[p + 1], b[p + 3]), min(b[p], b[p + 2]), max(b[p + 1], b[p + 3]), max(b[p], b[p + 2]))
        }
        var rows: [Int64] = []
        guard maxOut > 0 else { return Tensor(shape: [0, 3], ints: []) }
        var kept = KeptBoxes()
        for n in 0..<batches {
            for c in 0..<classes {
                let base = (n * classes + c) * count
                // Sorted as (score, index) pairs: the comparisons read neighbours, not the scores array.
                var candidates: [(score: Float, index: Int)] = []
                candidates.reserveCapacity(count)
                for i in 0..<count where threshold == nil || s[base + i] > threshold! { candidates.append((s[base + i], i)) }
                candidates.sort { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
                kept.removeAll()
                for (_, i) in candidates {
                    guard Int64(kept.count) < maxOut else { break }
                    let box = corners(n, i), area = (box.2 - box.0) * (box.3 - box.1)
                    if kept.suppress(box, area: area, iouThreshold: iouThreshold) { continue }
                    kept.append(box, area: area)
                    rows.append(Int64(n)); rows.append(Int64(c)); rows.append(Int64(i))
                }
            }
        }
        return Tensor(shape: [rows.count / 3, 3], ints: rows)
    }
}

/// The boxes NonMaxSuppression has kept for one class, as columns (a candidate's test reads four
/// contiguous arrays, not an array of tuples). A kept box suppresses a candidate when they overlap
/// on both axes and intersection / union > the IoU threshold, with the intersection, both areas and
/// the union positive.
struct KeptBoxes {
    private var x0: [Float] = [], y0: [Float] = [], x1: [Float] = [], y1: [Float] = [], area: [Float] = []
    var count: Int { area.count }

    mutating func removeAll() {
        x0.removeAll(keepingCapacity: true); y0.removeAll(keepingCapacity: true)
        x1.removeAll(keepingCapacity: true); y1.removeAll(keepingCapacity: true); area.removeAll(keepingCapacity: true)
    }

    /// Adds a box (xmin, ymin, xmax, ymax) of area `a`.
    mutating func append(_ b: (Float, Float, Float, Float), area a: Float) {
        x0.append(b.0); y0.append(b.1); x1.append(b.2); y1.append(b.3); area.append(a)
    }

    /// Whether a kept box suppresses candidate `c` of area `areaC`.
    func suppress(_ c: (Float, Float, Float, Float), area areaC: Float, iouThreshold: Float) -> Bool {
        guard areaC > 0 else { return false }
        return x0.withUnsafeBufferPointer { x0 in y0.withUnsafeBufferPointer { y0 in
            x1.withUnsafeBufferPointer { x1 in y1.withUnsafeBufferPointer { y1 in area.withUnsafeBufferPointer { area in
                for k in 0..<area.count {
                    let ix0 = max(x0[k], c.0), ix1 = min(x1[k], c.2)
                    guard ix1 > ix0 else { continue }
                    let iy0 = max(y0[k], c.1), iy1 = min(y1[k], c.3)
                    guard iy1 > iy0 else { continue }
                    let inter = (ix1 - ix0) * (iy1 - iy0)
                    let union = area[k] + areaC - inter
                    if inter > 0, area[k] > 0, union > 0, inter / union > iouThreshold { return true }
                }
                return false
            } } }
        } }
    }
}
