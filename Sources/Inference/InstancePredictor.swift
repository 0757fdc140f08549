/// Every slice's kept detections painted into one map, in tensor order: what slice linking takes.
public struct SliceDetectionMap: Sendable, Equatable {
    /// One kept detection; its id in `ids` is its index in `detections` + 1.
    public struct Detection: Sendable, Equatable {
        /// Index along d0 (the slice axis).
        public var slice: Int
        public var label: Int
        public var score: Double
    }
    /// Detection id per voxel, `[d0, d1, d2]` in C order (d2 fastest); 0 = none.
    public var ids: [Int32]
    public var shape: [Int]
    public var detections: [Detection]
}

/// Runs a 2D instance detector slice by slice over a prepared input (`[C, d0, d1, d2]`, d0 = the
/// slice axis) and keeps, per slice (docs/INSTANCES.md, "The instances model kind"):
///
/// 1. detections whose score is strictly above `scoreThreshold`, of a class the model declares;
/// 2. their masks: pixels whose probability is strictly above `maskThreshold`, inside the slice
///    (padding excluded); a detection with an empty mask is dropped;
/// 3. mask suppression, class-agnostic: by decreasing score (ties: the network's order), a
///    detection whose mask has an IoU strictly above `nmsIoU` with an accepted one is dropped;
/// 4. painting in increasing score order, so where accepted masks still overlap the higher score
///    owns the pixel (what `SliceInstanceLinking` expects).
///
/// A slice shorter than `patch` is padded with `padValue` as the sliding window pads (the slice sits
/// at floor(deficit / 2)); a slice longer than the patch along either axis is refused.
public struct InstancePredictor {
    public let detector: SliceDetector
    public let settings: InstanceSettings
    /// `[1, p1, p2]`: the slice size the detector takes.
    public let patch: [Int]
    public let padValue: Float
    /// The class values the model declares (`labels[].value`).
    public let labelValues: Set<Int>

    public init(detector: SliceDetector, settings: InstanceSettings, patch: [Int], padValue: Float, labelValues: Set<Int>) {
        precondition(patch.count == 3 && patch[0] == 1)
        self.detector = detector; self.settings = settings; self.patch = patch; self.padValue = padValue; self.labelValues = labelValues
    }

    /// - Parameter progress: called with (slices done, slices total) after each slice.
    /// - Throws: `InferenceError.unsupported` for a slice larger than the patch (naming
    ///   `patchSizeIJK`), `.networkOutput` for outputs that do not fit each other or an undeclared class.
    public func predict(_ input: ChannelArray, progress: ((Int, Int) -> Void)? = nil) throws -> SliceDetectionMap {
        let (d0, d1, d2) = (input.shape[0], input.shape[1], input.shape[2])
        guard d1 <= patch[1], d2 <= patch[2] else {
            throw InferenceError.unsupported("the slices are \(d1) x \(d2) voxels (after preprocessing) but the instance model takes at most "
                                             + "\(patch[1]) x \(patch[2]) (manifest patchSizeIJK); larger slices are not tiled")
        }
        let plane = d1 * d2
        var result = SliceDetectionMap(ids: [Int32](repeating: 0, count: d0 * plane), shape: input.shape, detections: [])
        for s in 0..<d0 {
            var slice = ChannelArray(channels: input.channels, shape: [1, d1, d2])
            for c in 0..<input.channels {
                let src = (c * d0 + s) * plane
                slice.values.replaceSubrange((c * plane)..<((c + 1) * plane), with: input.values[src..<(src + plane)])
            }
            let (padded, offset) = slice.padded(toAtLeast: patch, value: padValue)
            let (h, w) = (padded.shape[1], padded.shape[2])
            let output = try detector.detect(padded.values, shape: [input.channels, h, w])
            try output.validate(height: h, width: w, names: settings.outputs)
            for (mask, detection) in try kept(output, slice: s, rows: d1, columns: d2, offset: (offset[1], offset[2])) {
                result.detections.append(detection)
                let id = Int32(result.detections.count)
                for p in mask { result.ids[s * plane + p] = id }
            }
            progress?(s + 1, d0)
        }
        return result
    }

    /// The slice's accepted detections with their mask pixels (indices in the unpadded slice), in
    /// painting order (increasing score).
    func kept(_ output: SliceDetectorOutput, slice: Int, rows: Int, columns: Int,
              offset: (Int, Int)) throws -> [([Int], SliceDetectionMap.Detection)] {
        let (h, w) = (output.height, output.width)
        var candidates: [(index: Int, pixels: [Int])] = []
        for n in 0..<output.count where Double(output.scores[n]) > settings.scoreThreshold {
            guard labelValues.contains(Int(output.labels[n])) else {
                throw InferenceError.networkOutput("detection \(n) on slice \(slice) has class \(output.labels[n]), which is not among the manifest's labels \(labelValues.sorted())")
            }
            var pixels: [Int] = []
            for r in 0..<rows {
                let row = n * h * w + (r + offset.0) * w + offset.1
                for c in 0..<columns where Double(output.masks[row + c]) > settings.maskThreshold { pixels.append(r * columns + c) }
            }
            if !pixels.isEmpty { candidates.append((n, pixels)) }
        }
        // Decreasing score; a stable sort keeps the network's order among equal scores.
        let ordered = candidates.enumerated().sorted { a, b in
            let (sa, sb) = (output.scores[a.element.index], output.scores[b.element.index])
            return sa != sb ? sa > sb : a.offset < b.offset
        }.map(\.element)
        var accepted: [(index: Int, pixels: [Int])] = []
        var acceptedMasks: [[Bool]] = []  // per accepted detection, a bitmap of the slice
        for candidate in ordered {
            let suppressed = zip(accepted, acceptedMasks).contains { a, bitmap in
                let shared = candidate.pixels.reduce(0) { $0 + (bitmap[$1] ? 1 : 0) }
                let union = candidate.pixels.count + a.pixels.count - shared
                return Double(shared) > settings.nmsIoU * Double(union)
            }
            guard !suppressed else { continue }
            var bitmap = [Bool](repeating: false, count: rows * columns)
            for p in candidate.pixels { bitmap[p] = true }
            accepted.append(candidate)
            acceptedMasks.append(bitmap)
        }
        return accepted.reversed().map { a in
            (a.pixels, SliceDetectionMap.Detection(slice: slice, label: Int(output.labels[a.index]), score: Double(output.scores[a.index])))
        }
    }
}
