import Dispatch
import Foundation

/// Runs `body` for 0..<count on at most `threads` workers (item i on worker i mod workers).
/// `body(i)` must write only what item i owns and only read the rest; `concurrentPerform` returns
/// before anything `body` captures goes out of scope. The engine's own kernels share this rule.
func parallelItems(_ count: Int, threads: Int, _ body: (Int) -> Void) {
    let workers = max(1, min(threads, count))
    if workers == 1 { for i in 0..<count { body(i) }; return }
    runWorkers(workers) { w in
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
    runWorkers(workers) { w in body((w * rows / workers)..<((w + 1) * rows / workers)) }
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

/// Runs `body(w)` once for every w in 0..<workers, concurrently, and returns when all are done.
/// On the OpenMP threads oneDNN runs on (libgomp's `GOMP_parallel`, resolved from the loaded
/// library as `DNNL.setThreads` resolves `omp_set_num_threads`): right after a oneDNN primitive
/// those threads are still spinning, so a kernel of ours starts at once instead of sharing a core
/// with their spin-wait from Dispatch's threads (RoiAlign on two threads took as long as on one).
/// Without libgomp, Dispatch's `concurrentPerform`.
func runWorkers(_ workers: Int, _ body: (Int) -> Void) {
    guard let omp = OpenMPTeam.functions else {
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: workers) { body($0) }
        return
    }
    withoutActuallyEscaping(body) { body in
        var job = OpenMPTeam.Job(body: body, workers: workers)
        withUnsafeMutablePointer(to: &job) { omp.parallel(OpenMPTeam.trampoline, UnsafeMutableRawPointer($0), UInt32(workers), 0) }
    }
}

/// libgomp's entry points, looked up once.
enum OpenMPTeam {
    typealias Parallel = @convention(c) (@convention(c) (UnsafeMutableRawPointer?) -> Void, UnsafeMutableRawPointer?, UInt32, UInt32) -> Void
    typealias Query = @convention(c) () -> Int32
    struct Job { let body: (Int) -> Void; let workers: Int }

    /// C function pointers, set once by a lazy static initialiser and never changed.
    static let functions: (parallel: Parallel, threadNum: Query, numThreads: Query)? = {
        guard let handle = dlopen(nil, RTLD_NOW), let p = dlsym(handle, "GOMP_parallel"),
              let t = dlsym(handle, "omp_get_thread_num"), let n = dlsym(handle, "omp_get_num_threads") else { return nil }
        return (unsafeBitCast(p, to: Parallel.self), unsafeBitCast(t, to: Query.self), unsafeBitCast(n, to: Query.self))
    }()

    /// Each team member runs the workers w = its number, + team size, ...: every worker once even
    /// when OpenMP gives a smaller team than asked.
    static let trampoline: @convention(c) (UnsafeMutableRawPointer?) -> Void = { raw in
        guard let raw, let omp = OpenMPTeam.functions else { return }
        let job = raw.assumingMemoryBound(to: Job.self)
        let team = max(1, Int(omp.numThreads()))
        var w = Int(omp.threadNum())
        while w < job.pointee.workers { job.pointee.body(w); w += team }
    }
}
