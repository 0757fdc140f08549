/// A rectangle of a slice: rows and columns, half-open.
public struct SliceWindow: Sendable, Equatable {
    public var rows: Range<Int>
    public var columns: Range<Int>

    public init(rows: Range<Int>, columns: Range<Int>) { self.rows = rows; self.columns = columns }

    /// Whether pixel `p` (row-major index in a slice `width` columns wide) lies inside.
    @inline(__always)
    func contains(_ p: Int, width: Int) -> Bool {
        rows.contains(p / width) && columns.contains(p % width)
    }
}

/// One detector window of a slice larger than the detector's patch (docs/INSTANCES.md, "Tiling").
public struct SliceTile: Sendable, Equatable {
    /// First row and column of the window in the (padded) slice.
    public var row: Int
    public var column: Int
    /// Per edge (top, bottom, left, right): whether it is an inner border, i.e. another window of the
    /// slice continues beyond it. An edge on the slice's own edge is not inner.
    public var innerTop: Bool
    public var innerBottom: Bool
    public var innerLeft: Bool
    public var innerRight: Bool
}

/// Where an instance detector's windows lie on a slice: the sliding window's placement
/// (`SlidingWindowPlan.starts`, the manifest's `slidingWindow.stepFraction`) on each in-plane axis, so
/// that neighbouring windows overlap by at least `(1 - stepFraction) x patch` pixels (nothing when
/// `stepFraction` is 1 and the slice is a multiple of the patch) and the last window ends at the edge.
public enum SliceTiling {
    /// The windows, row-major (rows of windows top to bottom, each left to right).
    /// - Precondition: `height >= patch.rows`, `width >= patch.columns` (pad smaller slices first).
    public static func tiles(height: Int, width: Int, patch: (rows: Int, columns: Int), stepFraction: Double) -> [SliceTile] {
        let rowStarts = SlidingWindowPlan.starts(length: height, patch: patch.rows, stepFraction: stepFraction)
        let columnStarts = SlidingWindowPlan.starts(length: width, patch: patch.columns, stepFraction: stepFraction)
        return rowStarts.flatMap { r in
            columnStarts.map { c in
                SliceTile(row: r, column: c, innerTop: r > 0, innerBottom: r + patch.rows < height,
                          innerLeft: c > 0, innerRight: c + patch.columns < width)
            }
        }
    }

    /// The `[C, rows, columns]` window at (`row`, `column`) of a `[C, 1, H, W]` slice (C order).
    static func window(of slice: ChannelArray, row: Int, column: Int, rows: Int, columns: Int) -> [Float] {
        let (h, w) = (slice.shape[1], slice.shape[2])
        if row == 0, column == 0, rows == h, columns == w { return slice.values }
        var out = [Float](repeating: 0, count: slice.channels * rows * columns)
        for c in 0..<slice.channels {
            for r in 0..<rows {
                let src = (c * h + row + r) * w + column
                out.replaceSubrange(((c * rows + r) * columns)..<((c * rows + r + 1) * columns), with: slice.values[src..<(src + columns)])
            }
        }
        return out
    }
}
