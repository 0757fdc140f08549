/// One detection of one window of a slice, in the slice's coordinates, before the slice's selection.
struct WindowDetection {
    /// Mask pixels: row-major indices in the (unpadded) slice, increasing.
    var pixels: [Int]
    var score: Float
    var label: Int
    /// The part of the slice the detector saw when it made this detection (its window, clipped to the slice).
    var window: SliceWindow
    /// Whether the mask reaches an inner border of its window: the object may go on beyond it.
    var cut: Bool
}

/// The slice's accepted detections, with their pixels, in painting order (increasing score).
struct SelectedDetection: Equatable {
    var pixels: [Int]
    var label: Int
    var score: Float
}

/// Which of a slice's detections (from one window or several overlapping ones) are kept
/// (docs/INSTANCES.md, "In `segment`" step 2 and "Tiling"). One rule, for a slice in one window as for
/// a tiled slice:
///
/// - **Order.** Whole detections first, then cut ones (their mask reaches an inner window border);
///   each group by decreasing score, ties in window then network order.
/// - **Match.** A candidate matches an accepted detection when, over the pixels both detectors saw
///   (the candidate's window and the accepted one's windows), their masks' IoU is strictly above
///   `nmsIoU`. In one window this is the plain mask IoU of class-agnostic suppression.
/// - **Whole** candidates matching an accepted one are dropped (suppression; across windows: the
///   same object seen whole twice).
/// - **Cut** candidates matching an accepted whole one are dropped (a piece of an object another
///   window saw whole); matching accepted cut ones, they are merged with them into one detection
///   (union of the masks, the highest score, its class): an object larger than the windows' overlap
///   comes out once, whole. Otherwise a cut candidate is accepted.
enum SliceDetectionSelection {
    struct Accepted {
        var pixels: [Int]
        var bitmap: [Bool]
        var windows: [SliceWindow]
        var label: Int
        var score: Float
        var cut: Bool
    }

    /// - Parameters:
    ///   - candidates: in window order, each window's in network order.
    ///   - width, plane: the slice's columns and pixel count.
    static func select(_ candidates: [WindowDetection], nmsIoU: Double, width: Int, plane: Int) -> [SelectedDetection] {
        let ordered = candidates.enumerated().sorted { a, b in
            if a.element.cut != b.element.cut { return !a.element.cut }
            if a.element.score != b.element.score { return a.element.score > b.element.score }
            return a.offset < b.offset
        }.map(\.element)
        var accepted: [Accepted] = []
        for candidate in ordered {
            let matches = accepted.indices.filter { matchesIoU(candidate, accepted[$0], above: nmsIoU, width: width) }
            if matches.contains(where: { !accepted[$0].cut }) { continue }
            if let first = matches.first {
                guard candidate.cut else { continue }
                merge(candidate, into: first, with: Array(matches.dropFirst()), &accepted, plane: plane)
                continue
            }
            var bitmap = [Bool](repeating: false, count: plane)
            for p in candidate.pixels { bitmap[p] = true }
            accepted.append(Accepted(pixels: candidate.pixels, bitmap: bitmap, windows: [candidate.window],
                                     label: candidate.label, score: candidate.score, cut: candidate.cut))
        }
        // Increasing score; among equal scores the later accepted is painted first, so the earlier
        // (window and network order) owns the pixels they share.
        let painting = accepted.reversed().enumerated().sorted { a, b in
            a.element.score != b.element.score ? a.element.score < b.element.score : a.offset < b.offset
        }.map(\.element)
        return painting.map { SelectedDetection(pixels: $0.pixels, label: $0.label, score: $0.score) }
    }

    /// IoU of the two masks over the pixels both detectors saw, strictly above `threshold`.
    static func matchesIoU(_ candidate: WindowDetection, _ a: Accepted, above threshold: Double, width: Int) -> Bool {
        var shared = 0, candidateSeen = 0, acceptedSeen = 0
        for p in candidate.pixels {
            if a.bitmap[p] { shared += 1; candidateSeen += 1 } else if a.windows.contains(where: { $0.contains(p, width: width) }) { candidateSeen += 1 }
        }
        guard shared > 0 else { return false }
        for p in a.pixels where candidate.window.contains(p, width: width) { acceptedSeen += 1 }
        let union = candidateSeen + acceptedSeen - shared
        return Double(shared) > threshold * Double(union)
    }

    /// Merges `candidate` and the accepted detections at `others` into `accepted[target]`.
    static func merge(_ candidate: WindowDetection, into target: Int, with others: [Int], _ accepted: inout [Accepted], plane: Int) {
        var merged = accepted[target]
        for p in candidate.pixels { merged.bitmap[p] = true }
        merged.windows.append(candidate.window)
        merged.score = max(merged.score, candidate.score)
        for i in others {
            for p in accepted[i].pixels { merged.bitmap[p] = true }
            merged.windows += accepted[i].windows
            merged.score = max(merged.score, accepted[i].score)
        }
        merged.pixels = (0..<plane).filter { merged.bitmap[$0] }
        accepted[target] = merged
        for i in others.sorted(by: >) { accepted.remove(at: i) }
    }
}
