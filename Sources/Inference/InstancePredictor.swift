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
/// slice axis) and keeps, per slice (docs/INSTANCES.md, "In `segment`"):
///
/// 1. detections whose score is strictly above `scoreThreshold`, of a class the model declares;
/// 2. their masks: pixels whose probability is strictly above `maskThreshold`, inside the slice
///    (padding excluded); a detection with an empty mask is dropped;
/// 3. class-agnostic mask suppression by decreasing score (`SliceDetectionSelection`): a detection
///    whose mask has an IoU strictly above `nmsIoU` with an accepted one is dropped;
/// 4. painting in increasing score order, so where accepted masks still overlap the higher score
///    owns the pixel (what `SliceInstanceLinking` expects).
///
/// A slice shorter than `patch` along an axis is padded with `padValue` as the sliding window pads
/// (the slice sits at floor(deficit / 2)). A slice longer than the patch is tiled: overlapping windows
/// of the patch size placed by `SliceTiling` (`tileStepFraction`, the manifest's
/// `slidingWindow.stepFraction`), each run through the detector, their detections shifted to the
/// slice and selected together by `SliceDetectionSelection` (a detection cut by an inner window
/// border gives way to the same object seen whole, or is merged with the other windows' pieces).
public struct InstancePredictor {
    public let detector: SliceDetector
    public let settings: InstanceSettings
    /// `[1, p1, p2]`: the slice size the detector takes.
    public let patch: [Int]
    public let padValue: Float
    /// The class values the model declares (`labels[].value`).
    public let labelValues: Set<Int>
    /// Window step of a tiled slice as a fraction of the patch, in (0, 1] (`SlidingWindowPlan`).
    public let tileStepFraction: Double

    public init(detector: SliceDetector, settings: InstanceSettings, patch: [Int], padValue: Float, labelValues: Set<Int>,
                tileStepFraction: Double) {
        precondition(patch.count == 3 && patch[0] == 1)
        precondition(tileStepFraction > 0 && tileStepFraction <= 1)
        self.detector = detector; self.settings = settings; self.patch = patch; self.padValue = padValue; self.labelValues = labelValues
        self.tileStepFraction = tileStepFraction
    }

    /// - Parameter progress: called with (slices done, slices total) after each slice.
    /// - Throws: `InferenceError.networkOutput` for outputs that do not fit each other or an undeclared class.
    public func predict(_ input: ChannelArray, progress: ((Int, Int) -> Void)? = nil) throws -> SliceDetectionMap {
        let (d0, d1, d2) = (input.shape[0], input.shape[1], input.shape[2])
        let plane = d1 * d2
        var result = SliceDetectionMap(ids: [Int32](repeating: 0, count: d0 * plane), shape: input.shape, detections: [])
        for s in 0..<d0 {
            var slice = ChannelArray(channels: input.channels, shape: [1, d1, d2])
            for c in 0..<input.channels {
                let src = (c * d0 + s) * plane
                slice.values.replaceSubrange((c * plane)..<((c + 1) * plane), with: input.values[src..<(src + plane)])
            }
            let (padded, offset) = slice.padded(toAtLeast: patch, value: padValue)
            let (h, w) = (patch[1], patch[2])
            var candidates: [WindowDetection] = []
            for tile in SliceTiling.tiles(height: padded.shape[1], width: padded.shape[2], patch: (h, w), stepFraction: tileStepFraction) {
                let window = SliceTiling.window(of: padded, row: tile.row, column: tile.column, rows: h, columns: w)
                let output = try detector.detect(window, shape: [input.channels, h, w])
                try output.validate(height: h, width: w, names: settings.outputs)
                candidates += try detections(output, slice: s, tile: tile, offset: (offset[1], offset[2]), rows: d1, columns: d2)
            }
            for kept in SliceDetectionSelection.select(candidates, nmsIoU: settings.nmsIoU, width: d2, plane: plane) {
                result.detections.append(SliceDetectionMap.Detection(slice: s, label: kept.label, score: Double(kept.score)))
                let id = Int32(result.detections.count)
                for p in kept.pixels { result.ids[s * plane + p] = id }
            }
            progress?(s + 1, d0)
        }
        return result
    }

    /// One window's detections above the score threshold with a non-empty mask, in network order,
    /// their masks in slice coordinates (`offset`: where the slice sits in the padded slice).
    func detections(_ output: SliceDetectorOutput, slice: Int, tile: SliceTile, offset: (Int, Int),
                    rows: Int, columns: Int) throws -> [WindowDetection] {
        let (h, w) = (output.height, output.width)
        // The window's rows and columns that lie in the slice (not in its padding), in slice coordinates.
        let window = SliceWindow(rows: max(0, tile.row - offset.0)..<min(rows, tile.row + h - offset.0),
                                 columns: max(0, tile.column - offset.1)..<min(columns, tile.column + w - offset.1))
        var found: [WindowDetection] = []
        for n in 0..<output.count where Double(output.scores[n]) > settings.scoreThreshold {
            guard labelValues.contains(Int(output.labels[n])) else {
                throw InferenceError.networkOutput("detection \(n) on slice \(slice) has class \(output.labels[n]), which is not among the manifest's labels \(labelValues.sorted())")
            }
            var pixels: [Int] = []
            var cut = false
            for r in window.rows {
                let tr = r + offset.0 - tile.row   // row in the window
                let row = n * h * w + tr * w + offset.1 - tile.column
                for c in window.columns where Double(output.masks[row + c]) > settings.maskThreshold {
                    pixels.append(r * columns + c)
                    let tc = c + offset.1 - tile.column
                    if (tr == 0 && tile.innerTop) || (tr == h - 1 && tile.innerBottom) || (tc == 0 && tile.innerLeft) || (tc == w - 1 && tile.innerRight) {
                        cut = true
                    }
                }
            }
            if !pixels.isEmpty {
                found.append(WindowDetection(pixels: pixels, score: output.scores[n], label: Int(output.labels[n]), window: window, cut: cut))
            }
        }
        return found
    }
}
