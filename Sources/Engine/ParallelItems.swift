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
