import Dispatch

/// Runs `body` for 0..<count on at most `threads` workers (item i on worker i mod workers).
/// `body(i)` must write only what item i owns and only read the rest; `concurrentPerform` returns
/// before anything `body` captures goes out of scope. The engine's own kernels share this rule.
func parallelItems(_ count: Int, threads: Int, _ body: (Int) -> Void) {
    let workers = max(1, min(threads, count))
    if workers == 1 { for i in 0..<count { body(i) }; return }
    nonisolated(unsafe) let body = body
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        var i = w
        while i < count { body(i); i += workers }
    }
}

/// Runs `body` on contiguous ranges of 0..<rows, one range per worker: at most `threads` workers,
/// and no more than one per `minimumElements` of work (`elementsPerRow` each), so small tensors run
/// inline without a dispatch. `body` must write only its rows' output. The row loops of the
/// fast backend's own kernels (`StridedCopy`, `BroadcastBinary`) share this split.
func parallelRows(_ rows: Int, elementsPerRow: Int, threads: Int, minimumElements: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
    let byWork = max(1, rows * max(elementsPerRow, 1) / minimumElements)
    let workers = max(1, min(threads, rows, byWork))
    if workers == 1 { body(0..<rows); return }
    nonisolated(unsafe) let body = body
    DispatchQueue.concurrentPerform(iterations: workers) { w in body((w * rows / workers)..<((w + 1) * rows / workers)) }
}

/// The offset of row `row` (a row-major index over `extents`) under `strides`.
func rowOffset(_ row: Int, extents: [Int], strides: [Int]) -> Int {
    var rest = row, offset = 0
    for d in stride(from: extents.count - 1, through: 0, by: -1) {
        offset += (rest % extents[d]) * strides[d]
        rest /= extents[d]
    }
    return offset
}
