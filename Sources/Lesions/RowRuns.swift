import Imaging

/// Runs of equal non-zero voxels along i, grouped by row (row = j + ny * k), for
/// `ConnectedComponents`: each run is one union-find element, so unions cost per run, not per voxel.
struct RowRuns<Voxel: FixedWidthInteger & Sendable> {
    struct Run {
        var begin: Int32
        /// Exclusive.
        var end: Int32
        var value: Voxel
    }

    let width: Int
    let rowCount: Int
    /// All runs in memory order of their first voxel.
    let runs: [Run]
    /// Runs of row `r` are `runs[rowStart[r] ..< rowStart[r + 1]]`.
    let rowStart: [Int]

    var count: Int { runs.count }

    /// One pass over the map. - Precondition: fewer than 2^31 runs (ids are Int32).
    init(scanning map: Volume<Voxel>) {
        let width = map.size.x, rowCount = map.size.y * map.size.z
        var runs: [Run] = []
        var rowStart = [Int](repeating: 0, count: rowCount + 1)
        runs.reserveCapacity(max(64, map.voxels.count / 256))
        map.voxels.withUnsafeBufferPointer { v in
            guard let base = v.baseAddress else { return }
            for row in 0..<rowCount {
                rowStart[row] = runs.count
                Self.scan(base + row * width, width: width, into: &runs)
            }
        }
        rowStart[rowCount] = runs.count
        precondition(runs.count < Int(Int32.max), "ConnectedComponents: \(runs.count) runs exceed Int32 ids")
        (self.width, self.rowCount, self.runs, self.rowStart) = (width, rowCount, runs, rowStart)
    }

    /// Appends the runs of one row of `width` voxels at `p`.
    @inline(__always)
    private static func scan(_ p: UnsafePointer<Voxel>, width: Int, into runs: inout [Run]) {
        let stride = MemoryLayout<Voxel>.stride
        let perWord = 8 / stride  // voxels per 64-bit word; 0 for wider voxels (no skipping)
        let raw = UnsafeRawPointer(p)
        @inline(__always) func word(_ i: Int) -> UInt64 {
            raw.loadUnaligned(fromByteOffset: i * stride, as: UInt64.self)
        }
        var i = 0
        while i < width {
            if perWord > 0 {
                // Skip background 32 bytes, then 8 bytes at a time (most of a scan is background);
                // the lowest non-zero byte of a word locates its first non-zero voxel.
                while i + 4 * perWord <= width,
                      word(i) | word(i + perWord) | word(i + 2 * perWord) | word(i + 3 * perWord) == 0 {
                    i += 4 * perWord
                }
                while i + perWord <= width {
                    let w = word(i).littleEndian
                    if w != 0 { i += w.trailingZeroBitCount / (8 * stride); break }
                    i += perWord
                }
                if i >= width { return }
            }
            let x = p[i]
            if x == 0 { i += 1; continue }
            let s = i
            i += 1
            while i < width && p[i] == x { i += 1 }
            runs.append(Run(begin: Int32(truncatingIfNeeded: s), end: Int32(truncatingIfNeeded: i), value: x))
        }
    }

    /// Joins every run with the equal-valued runs it touches in the preceding rows `reaches` lists
    /// (row offsets dj, dk and how far along i a neighbour may be).
    func joinNeighbourRows(rowsPerSlice ny: Int, slices nz: Int, reaches: [(dj: Int, dk: Int, reach: Int32)],
                           parent: UnsafeMutableBufferPointer<Int32>) {
        guard let p = parent.baseAddress else { return }
        runs.withUnsafeBufferPointer { runs in
            rowStart.withUnsafeBufferPointer { rowStart in
                for k in 0..<nz {
                    for j in 0..<ny {
                        let row = j + ny * k
                        let aBegin = rowStart[row], aEnd = rowStart[row + 1]
                        if aBegin == aEnd { continue }
                        for nr in reaches {
                            let jj = j + nr.dj, kk = k + nr.dk
                            guard jj >= 0, jj < ny, kk >= 0 else { continue }
                            let other = jj + ny * kk
                            Self.join(runs, aBegin..<aEnd, rowStart[other]..<rowStart[other + 1], reach: nr.reach, p)
                        }
                    }
                }
            }
        }
    }

    /// Unions each run of `a` with the equal-valued runs of `b` whose i-ranges, widened by `reach`
    /// on both sides, overlap it. Both ranges are sorted along i and disjoint within themselves.
    @inline(__always)
    private static func join(_ runs: UnsafeBufferPointer<Run>, _ a: Range<Int>, _ b: Range<Int>, reach: Int32,
                             _ p: UnsafeMutablePointer<Int32>) {
        var first = b.lowerBound
        for x in a {
            let run = runs[x]
            // Runs of `b` entirely left of the widened run cannot touch later runs of `a` either.
            while first < b.upperBound && runs[first].end + reach <= run.begin { first += 1 }
            var y = first
            while y < b.upperBound && runs[y].begin < run.end + reach {
                if runs[y].value == run.value { union(Int32(truncatingIfNeeded: x), Int32(truncatingIfNeeded: y), p) }
                y += 1
            }
        }
    }

    @inline(__always)
    private static func find(_ x: Int32, _ p: UnsafeMutablePointer<Int32>) -> Int32 {
        var x = x
        while p[Int(x)] != x {
            let g = p[Int(p[Int(x)])]  // path halving keeps parent[r] <= r
            p[Int(x)] = g
            x = g
        }
        return x
    }

    @inline(__always)
    private static func union(_ a: Int32, _ b: Int32, _ p: UnsafeMutablePointer<Int32>) {
        let ra = find(a, p), rb = find(b, p)
        if ra < rb { p[Int(rb)] = ra } else if rb < ra { p[Int(ra)] = rb }
    }

    /// Replaces each run's parent by its component id (1...n in run order, i.e. memory order of
    /// first voxels) and returns the components. Needs parent[r] <= r: in one ascending pass a
    /// root gets the next id and any other run copies the id already written at its parent.
    func numberSets(parentThenID p: UnsafeMutableBufferPointer<Int32>) -> [Component] {
        var components: [Component] = []
        runs.withUnsafeBufferPointer { runs in
            for r in 0..<runs.count {
                let q = Int(p[r])
                let length = Int(runs[r].end - runs[r].begin)
                if q == r {
                    components.append(Component(id: Int32(components.count + 1), label: Int(runs[r].value), voxelCount: length))
                    p[r] = Int32(components.count)
                } else {
                    p[r] = p[q]
                    components[Int(p[r]) - 1].voxelCount += length
                }
            }
        }
        return components
    }

    /// The instance map: `ids[r]` on the voxels of run r, 0 elsewhere. Every voxel is written once
    /// (no separate zero fill); the buffer is advised for huge pages first (see `HugePages`).
    func paint(geometry: VolumeGeometry, ids: [Int32]) -> Volume<Int32> {
        let total = width * rowCount
        let out = [Int32](unsafeUninitializedCapacity: total) { o, initialized in
            guard let base = o.baseAddress else { initialized = 0; return }
            HugePages.advise(UnsafeMutableRawPointer(base), byteCount: total * MemoryLayout<Int32>.stride)
            runs.withUnsafeBufferPointer { runs in
                rowStart.withUnsafeBufferPointer { rowStart in
                    ids.withUnsafeBufferPointer { ids in
                        for row in 0..<rowCount {
                            let dst = base + row * width
                            var next = 0
                            for r in rowStart[row]..<rowStart[row + 1] {
                                let s = Int(runs[r].begin), e = Int(runs[r].end)
                                (dst + next).initialize(repeating: 0, count: s - next)
                                (dst + s).initialize(repeating: ids[r], count: e - s)
                                next = e
                            }
                            (dst + next).initialize(repeating: 0, count: width - next)
                        }
                    }
                }
            }
            initialized = total
        }
        return Volume(geometry: geometry, voxels: out)
    }
}
