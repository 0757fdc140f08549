import Core
import Foundation
import Pipeline

/// Batch progress on stderr (issue 15): on a terminal, a one-line bar with percentage, cases done and
/// ETA, redrawn in place (carriage return) at least every second; otherwise log lines: one per ended
/// case and a heartbeat whenever nothing was printed for half of `maxSilence`, so a log never stays
/// silent for `maxSilence` (10 s) even while one long case runs.
final class BatchProgress: @unchecked Sendable {
    // @unchecked Sendable: every mutable property is read and written under `lock` (the timer's
    // handler runs on a global queue, `handle` on the batch's worker threads).

    /// The longest a log may stay without a progress line, seconds: 10, or less when the environment
    /// variable `SEGSTATION_PROGRESS_INTERVAL` (for tests) asks for it.
    static let defaultMaxSilence: Double = 10

    /// `SEGSTATION_PROGRESS_INTERVAL` when it is a number in (0, `defaultMaxSilence`], else the default.
    static func maxSilence(environment: [String: String] = ProcessInfo.processInfo.environment) -> Double {
        guard let text = environment["SEGSTATION_PROGRESS_INTERVAL"], let value = Double(text),
              value > 0, value <= defaultMaxSilence else { return defaultMaxSilence }
        return value
    }

    private let lock = NSLock()
    private let interactive: Bool
    private let write: @Sendable (String) -> Void
    private let columns: @Sendable () -> Int
    private let now: @Sendable () -> Date
    /// The timer's period: half of the allowed silence for a log, at most 1 s for the bar.
    let period: Double
    private let start: Date
    private var counts = BatchProgressText.Counts()
    private var phase: String? = "reading the cohort"
    private var lastLine: Date
    private var timer: DispatchSourceTimer?
    private var finished = false

    /// - Parameters:
    ///   - interactive: draw the bar (stderr is a terminal) rather than log lines.
    ///   - maxSilence: the longest gap between log lines (ignored for the bar, redrawn every
    ///     `min(1, maxSilence)` seconds).
    ///   - write: where the text goes (stderr).
    ///   - columns: the terminal's width, for the bar.
    ///   - clock: the time (tests drive `tick()` with their own clock and `timer: false`).
    ///   - timer: start the timer that calls `tick()` every `period` seconds.
    init(interactive: Bool = Output.isInteractive, maxSilence: Double = BatchProgress.maxSilence(),
         write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) },
         columns: @escaping @Sendable () -> Int = { Terminal.columns() },
         clock: @escaping @Sendable () -> Date = { Date() }, timer: Bool = true) {
        self.interactive = interactive
        self.write = write
        self.columns = columns
        now = clock
        start = clock()
        lastLine = start
        // Ticks at half the allowed silence; a tick logs when the last line is at least 0.9 period
        // old, so the longest gap is under 1.9 periods (0.95 x maxSilence) plus the timer's lateness.
        period = interactive ? min(1, maxSilence) : maxSilence / 2
        guard timer else { return }
        let source = DispatchSource.makeTimerSource(queue: .global())
        source.schedule(deadline: .now() + period, repeating: period, leeway: .milliseconds(Int(period * 50)))
        source.setEventHandler { [weak self] in self?.tick() }
        source.resume()
        self.timer = source
    }

    func handle(_ event: BatchEvent) {
        lock.lock(); defer { lock.unlock() }
        guard !finished else { return }
        switch event {
        case .warning(let text):
            if interactive { clearBar() }
            Output.warning(text)
        case .planned(let cohortSize, let selected, let jobs, let threads, let notes):
            counts.selected = selected
            phase = "loading the model"
            if interactive { clearBar() }
            for note in notes { Output.warning(note) }
            log("batch: \(selected) of \(cohortSize) case(s), \(jobs) worker(s) x \(threads) thread(s)")
        case .networkLoaded:
            phase = nil
        case .prefetchStarted:
            break
        case .caseEnded(let result, let done, _):
            counts.done = done
            if result.status == .failed { counts.failed += 1 }
            if result.status == .skipped { counts.skipped += 1 }
            if interactive {
                if result.status == .failed { clearBar(); Output.warning("case \(result.caseID) failed: \(result.reason ?? "")") }
                drawBar()
            } else {
                let what = result.status == .failed ? "failed: \(result.reason ?? "")" : result.status.rawValue
                log("batch: [\(done)/\(counts.selected)] \(result.caseID) \(what); \(status())")
            }
        }
    }

    /// Stops the timer; on a terminal, draws the final bar and ends its line. Later events are ignored.
    func finish() {
        timer?.cancel()
        lock.lock(); defer { lock.unlock() }
        guard !finished else { return }
        finished = true
        if interactive, counts.selected > 0 { drawBar(); write("\n") }
    }

    /// The timer's work: redraw the bar, or log a heartbeat when the log has been quiet for a while.
    func tick() {
        lock.lock(); defer { lock.unlock() }
        guard !finished else { return }
        if interactive {
            if counts.selected > 0 { drawBar() }
        } else if now().timeIntervalSince(lastLine) >= period * 0.9 {
            log("batch: \(status())")
        }
    }

    private func status() -> String {
        BatchProgressText.status(counts, elapsed: now().timeIntervalSince(start)) + (phase.map { " (\($0))" } ?? "")
    }

    private func log(_ text: String) {
        lastLine = now()
        write("\(text)\n")
    }

    private func clearBar() { write("\r\u{1B}[K") }

    private func drawBar() {
        write("\r\u{1B}[K" + BatchProgressText.bar(counts, elapsed: now().timeIntervalSince(start), columns: columns()))
    }
}

/// The text of batch progress, as pure functions of the counts and the elapsed time.
enum BatchProgressText {
    struct Counts: Equatable {
        var selected = 0, done = 0, failed = 0, skipped = 0
    }

    /// "3/8 done (1 failed, 0 skipped), 42 s elapsed, ETA 1 min 10 s": the ETA is the mean time per
    /// ended case times the cases left (shown once a case ended and while some are left).
    static func status(_ c: Counts, elapsed: Double) -> String {
        var text = "\(c.done)/\(c.selected) done (\(c.failed) failed, \(c.skipped) skipped), \(duration(elapsed)) elapsed"
        if let eta = eta(c, elapsed: elapsed) { text += ", ETA \(duration(eta))" }
        return text
    }

    static func eta(_ c: Counts, elapsed: Double) -> Double? {
        guard c.done > 0, c.done < c.selected, elapsed.isFinite, elapsed >= 0 else { return nil }
        return elapsed / Double(c.done) * Double(c.selected - c.done)
    }

    /// Whole seconds as "42 s", "12 min 05 s", "3 h 02 min".
    static func duration(_ seconds: Double) -> String {
        let s = seconds.isFinite ? max(0, Int(seconds.rounded(.down))) : 0
        if s < 60 { return "\(s) s" }
        if s < 3600 { return String(format: "%d min %02d s", s / 60, s % 60) }
        return String(format: "%d h %02d min", s / 3600, (s % 3600) / 60)
    }

    /// "batch [#########---------------------]  30% 3/10 done (...), ETA ...", at most `columns - 1`
    /// characters (a line that wrapped could not be redrawn in place): the bar narrows from 30 to 10
    /// cells, then the status is cut.
    static func bar(_ c: Counts, elapsed: Double, columns: Int) -> String {
        let fraction = c.selected == 0 ? 1 : Double(min(c.done, c.selected)) / Double(c.selected)
        let percent = Int((fraction * 100).rounded(.down))
        let text = String(format: "%3d%% ", percent) + status(c, elapsed: elapsed)
        let room = max(columns, 20) - 1
        let width = max(10, min(30, room - "batch [] ".count - text.count))
        let filled = Int((fraction * Double(width)).rounded(.down))
        let line = "batch [" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] " + text
        return String(line.prefix(room))
    }
}

/// The terminal stderr is attached to.
enum Terminal {
    /// Its width in columns (TIOCGWINSZ on stderr), else $COLUMNS, else 80.
    static func columns() -> Int {
        var size = winsize()
        let status = withUnsafeMutablePointer(to: &size) { ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), $0) }
        if status == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let n = Int(text), n > 0 { return n }
        return 80
    }
}
