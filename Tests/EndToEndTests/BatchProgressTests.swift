import Foundation
@testable import Pipeline
import TestSupport
import XCTest
@testable import segstation

/// `batch`'s progress (issue 15): "on a terminal a progress bar with ETA; otherwise log lines at least
/// every 10 s". The text as pure functions; the timer-driven heartbeat and bar with a short interval;
/// and the built binary on a pipe and on a pseudo-terminal.
final class BatchProgressTests: XCTestCase {
    typealias Counts = BatchProgressText.Counts

    func testDefaultHeartbeatIsAtMostTenSecondsAndOnlyShortenedByTheEnvironment() {
        XCTAssertLessThanOrEqual(BatchProgress.defaultMaxSilence, 10)
        XCTAssertEqual(BatchProgress.maxSilence(environment: [:]), BatchProgress.defaultMaxSilence)
        XCTAssertEqual(BatchProgress.maxSilence(environment: ["SEGSTATION_PROGRESS_INTERVAL": "0.2"]), 0.2)
        for bad in ["0", "-1", "abc", "60", "nan", "inf", ""] {
            XCTAssertEqual(BatchProgress.maxSilence(environment: ["SEGSTATION_PROGRESS_INTERVAL": bad]), 10, bad)
        }
    }

    func testStatusETAAndDurations() {
        XCTAssertEqual(BatchProgressText.status(Counts(selected: 8, done: 3, failed: 1, skipped: 0), elapsed: 42),
                       "3/8 done (1 failed, 0 skipped), 42 s elapsed, ETA 1 min 10 s")
        XCTAssertEqual(BatchProgressText.status(Counts(selected: 8), elapsed: 5.9), "0/8 done (0 failed, 0 skipped), 5 s elapsed",
                       "no ETA before a case ended")
        XCTAssertNil(BatchProgressText.eta(Counts(selected: 2, done: 2), elapsed: 9), "no ETA when all ended")
        XCTAssertEqual(BatchProgressText.eta(Counts(selected: 1000, done: 10), elapsed: 60), 5940)
        XCTAssertEqual(BatchProgressText.duration(0), "0 s")
        XCTAssertEqual(BatchProgressText.duration(59.9), "59 s")
        XCTAssertEqual(BatchProgressText.duration(60), "1 min 00 s")
        XCTAssertEqual(BatchProgressText.duration(3599), "59 min 59 s")
        XCTAssertEqual(BatchProgressText.duration(3 * 3600 + 125), "3 h 02 min")
        XCTAssertEqual(BatchProgressText.duration(.nan), "0 s")
        XCTAssertEqual(BatchProgressText.duration(-3), "0 s")
    }

    func testBarShowsPercentCountsAndETAWithinTheTerminalWidth() {
        let c = Counts(selected: 10, done: 3, failed: 0, skipped: 1)
        let wide = BatchProgressText.bar(c, elapsed: 30, columns: 200)
        XCTAssertEqual(wide, "batch [#########---------------------]  30% 3/10 done (0 failed, 1 skipped), 30 s elapsed, ETA 1 min 10 s")
        let narrow = BatchProgressText.bar(c, elapsed: 30, columns: 80)
        XCTAssertEqual(narrow.count, 79, "fills the line without wrapping")
        XCTAssertTrue(narrow.hasPrefix("batch [###"), narrow)
        XCTAssertTrue(narrow.contains(" 30% 3/10 done"), narrow)
        for columns in [1, 20, 40, 63, 80, 132, 500] {
            let line = BatchProgressText.bar(c, elapsed: 30, columns: columns)
            XCTAssertLessThanOrEqual(line.count, max(columns, 20) - 1, "\(columns): \(line)")
            XCTAssertFalse(line.contains("\n"))
        }
        XCTAssertTrue(BatchProgressText.bar(Counts(selected: 0), elapsed: 0, columns: 120).hasPrefix("batch [" + String(repeating: "#", count: 30) + "] 100%"))
        XCTAssertTrue(BatchProgressText.bar(Counts(selected: 3, done: 3), elapsed: 2, columns: 120).contains("] 100% 3/3 done"))
    }

    /// What a `BatchProgress` wrote, with the time of each write.
    final class Sink: @unchecked Sendable {
        private let lock = NSLock()
        private var writes: [(Date, String)] = []
        private let clock: @Sendable () -> Date
        init(clock: @escaping @Sendable () -> Date = { Date() }) { self.clock = clock }
        func write(_ text: String) { lock.lock(); writes.append((clock(), text)); lock.unlock() }
        var all: [(Date, String)] { lock.lock(); defer { lock.unlock() }; return writes }
        var text: String { all.map(\.1).joined() }
    }

    func result(_ id: String, _ status: BatchCaseResult.Status) -> BatchCaseResult {
        BatchCaseResult(caseID: id, status: status, reason: status == .failed ? "bad input" : nil, errorCategory: nil, runID: nil,
                        outputFolder: "/out/\(id)", inputs: [], labels: [], lesionCount: nil, timingsSeconds: [:])
    }

    /// A clock the test moves by hand.
    final class VirtualClock: @unchecked Sendable {
        private let lock = NSLock()
        private var time = Date(timeIntervalSinceReferenceDate: 0)
        var now: Date { lock.lock(); defer { lock.unlock() }; return time }
        func set(_ seconds: Double) { lock.lock(); time = Date(timeIntervalSinceReferenceDate: seconds); lock.unlock() }
    }

    /// Regression: the heartbeat used to tick every 10 s and log only when the last line was 9 s old,
    /// so a case line just before a tick left the log silent for up to 19 s. With the default 10 s,
    /// the timer's ticks replayed on a virtual clock, and case lines at awkward moments, no gap
    /// between lines may exceed 10 s.
    func testLogHeartbeatNeverLeavesTheLogSilentForTenSeconds() {
        let clock = VirtualClock()
        let sink = Sink(clock: { clock.now })
        let progress = BatchProgress(interactive: false, maxSilence: BatchProgress.maxSilence(environment: [:]),
                                     write: sink.write, columns: { 80 }, clock: { clock.now }, timer: false)
        XCTAssertLessThanOrEqual(progress.period, 5)
        progress.handle(.planned(cohortSize: 40, selected: 40, jobs: 1, threadsPerJob: 1, notes: []))
        // Case ends just before ticks, just after them, and long cases in between.
        let caseEnds = [4.9, 5.1, 9.95, 10.01, 14.99, 31.3, 33.0, 34.96, 60.2, 64.999, 65.02, 99.0]
        var nextCase = 0
        for step in 1...(130 * 100) {
            let t = Double(step) / 100
            while nextCase < caseEnds.count, caseEnds[nextCase] <= t {
                clock.set(caseEnds[nextCase])
                nextCase += 1
                progress.handle(.caseEnded(result("c\(nextCase)", .completed), done: nextCase, selected: 40))
            }
            clock.set(t)
            if step % Int(progress.period * 100) == 0 { progress.tick() }
        }
        progress.finish()
        let stamps = [0] + sink.all.map(\.0.timeIntervalSinceReferenceDate)
        let gaps = zip(stamps.dropFirst(), stamps).map { $0 - $1 }
        XCTAssertLessThanOrEqual(gaps.max() ?? 99, 10, "gaps: \(gaps)")
        XCTAssertGreaterThan(stamps.count, 13 + caseEnds.count, "heartbeats through the quiet stretches")
    }

    /// The real timer, with a 0.5 s interval: heartbeats come while no case ends, and a case line
    /// resets the wait (generous bounds: the machine may be loaded).
    func testLogHeartbeatFromTheTimer() {
        let sink = Sink()
        let started = Date()
        let progress = BatchProgress(interactive: false, maxSilence: 0.5, write: sink.write, columns: { 80 })
        progress.handle(.planned(cohortSize: 4, selected: 3, jobs: 1, threadsPerJob: 1, notes: []))
        progress.handle(.networkLoaded(worker: 0))
        for (pause, id) in [(0.23, "a"), (0.5, "b"), (1.3, "c")] {
            Thread.sleep(forTimeInterval: pause)
            progress.handle(.caseEnded(result(id, id == "b" ? .failed : .completed), done: ["a", "b", "c"].firstIndex(of: id)! + 1, selected: 3))
        }
        Thread.sleep(forTimeInterval: 1.2)
        progress.finish()
        let writes = sink.all
        XCTAssertFalse(sink.text.contains("\r"), "no bar on a log")
        let times = [started] + writes.map(\.0)
        let gaps = zip(times.dropFirst(), times).map { $0.timeIntervalSince($1) }
        XCTAssertLessThan(gaps.max() ?? 99, 1.5, "gaps: \(gaps)\n\(sink.text)")
        let heartbeats = writes.filter { $0.1.hasPrefix("batch: ") && $0.1.contains(" done (") && !$0.1.contains("] ") }
        XCTAssertGreaterThanOrEqual(heartbeats.count, 3, sink.text)
        XCTAssertTrue(sink.text.contains("batch: [2/3] b failed: bad input; 2/3 done (1 failed, 0 skipped)"), sink.text)
        XCTAssertTrue(sink.text.contains("ETA"), sink.text)
        let count = writes.count
        Thread.sleep(forTimeInterval: 0.6)
        XCTAssertEqual(sink.all.count, count, "silent after finish()")
    }

    func testTerminalBarIsRedrawnInPlaceWhileACaseRuns() {
        let sink = Sink()
        let progress = BatchProgress(interactive: true, maxSilence: 0.2, write: sink.write, columns: { 100 })
        progress.handle(.planned(cohortSize: 2, selected: 2, jobs: 1, threadsPerJob: 1, notes: []))
        progress.handle(.networkLoaded(worker: 0))
        Thread.sleep(forTimeInterval: 1.0)
        progress.handle(.caseEnded(result("a", .completed), done: 1, selected: 2))
        progress.handle(.caseEnded(result("b", .completed), done: 2, selected: 2))
        progress.finish()
        let text = sink.text
        let bars = text.components(separatedBy: "\r\u{1B}[K").dropFirst().filter { $0.hasPrefix("batch [") }
        XCTAssertGreaterThanOrEqual(bars.count, 4, "redrawn while the case runs: \(text.debugDescription)")
        XCTAssertTrue(bars.allSatisfy { $0.trimmingCharacters(in: .newlines).count <= 99 }, text.debugDescription)
        XCTAssertTrue(bars.contains { $0.contains(" 50% 1/2 done") && $0.contains("ETA") }, text.debugDescription)
        XCTAssertTrue(bars.last?.contains("] 100% 2/2 done (0 failed, 0 skipped)") == true, text.debugDescription)
        XCTAssertTrue(text.hasSuffix("\n"), "finish() ends the bar's line")
        XCTAssertTrue(text.contains("batch: 2 of 2 case(s)"), "the plan is logged above the bar")
    }
}

/// The built binary: a pipe gets log lines, with heartbeats while a case runs; a terminal gets the bar.
final class BatchProgressCLITests: ProcessTestCase {
    var model: String { SegStationCLI.fixtureModel }

    /// Lines of `file` that are heartbeats of a batch whose first case has not ended.
    func heartbeats(_ file: URL) -> Int {
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { $0.hasPrefix("batch: 0/1 done (") }.count
    }

    /// The case is held at its first sliding window (SEGSTATION_FAULT's `wait=` FIFO) for 2 s; with a
    /// 0.2 s interval the log must get heartbeat lines during that time, not only around it.
    func testPipeGetsHeartbeatLinesWhileACaseRuns() throws {
        let input = try BatchCohort.write(1, size: 12, in: folder)
        let fifo = folder.appendingPathComponent("hold").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let stderrFile = folder.appendingPathComponent("stderr.log")
        let binary = try SegStationCLI.binary()
        // stderr to a file (not a terminal), read while the process runs.
        let process = try ProcessRunner.launch(URL(fileURLWithPath: "/bin/sh"),
            ["-c", #"exec "$0" "$@" 2>"$BATCH_STDERR""#, binary.path, "batch", input.path, "-o", folder.appendingPathComponent("out").path,
             "--model", model, "--db", folder.appendingPathComponent("db.sqlite").path, "--no-dicom"],
            environment: ["SEGSTATION_PROGRESS_INTERVAL": "0.2", "SEGSTATION_FAULT": "after-window-1:wait=\(fifo)",
                          "BATCH_STDERR": stderrFile.path])
        // Opening the FIFO for writing succeeds once the process waits at the point (it reads it).
        var writer: Int32 = -1
        let deadline = Date().addingTimeInterval(180)
        while writer < 0, process.isRunning, Date() < deadline {
            writer = open(fifo, O_WRONLY | O_NONBLOCK)
            if writer < 0 { usleep(50_000) }
        }
        guard writer >= 0 else {
            let outcome = process.wait(timeoutSeconds: 5)
            return XCTFail("the batch never reached its first window: \(outcome.status) \((try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "")")
        }
        let before = heartbeats(stderrFile)
        Thread.sleep(forTimeInterval: 2)
        let during = heartbeats(stderrFile) - before
        close(writer)
        let outcome = process.wait(timeoutSeconds: 180)
        let log = try String(contentsOf: stderrFile, encoding: .utf8)
        XCTAssertEqual(outcome.status, 0, log)
        XCTAssertGreaterThanOrEqual(during, 5, "heartbeats while the case was held 2 s at a 0.2 s interval:\n\(log)")
        XCTAssertTrue(log.contains("batch: [1/1] c00 completed; 1/1 done"), log)
        XCTAssertFalse(log.contains("\r"), "no bar on a log")
    }

    /// The same batch on a pseudo-terminal (util-linux `script`, whose stdout relays the terminal's
    /// output) draws the bar with carriage returns, and through a pipe writes log lines.
    func testTerminalGetsTheBarAndAPipeGetsLogLines() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            throw XCTSkip("/usr/bin/script (util-linux, Debian bsdutils) is not installed: no pseudo-terminal to run the batch on")
        }
        let input = try BatchCohort.write(3, size: 12, in: folder)
        let binary = try SegStationCLI.binary()
        func arguments(_ out: String) -> [String] {
            ["batch", input.path, "-o", folder.appendingPathComponent(out).path, "--model", model,
             "--db", folder.appendingPathComponent("db.sqlite").path, "--no-dicom"]
        }
        let command = ([binary.path] + arguments("tty")).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let tty = try ProcessRunner.launch(URL(fileURLWithPath: "/usr/bin/script"), ["-qefc", command, "/dev/null"],
                                           environment: ["COLUMNS": "120", "SEGSTATION_PROGRESS_INTERVAL": "0.2"]).wait(timeoutSeconds: 300)
        XCTAssertEqual(tty.status, 0, tty.stdout + tty.stderr)
        XCTAssertTrue(tty.stdout.contains("\r\u{1B}[Kbatch ["), tty.stdout.debugDescription)
        XCTAssertTrue(tty.stdout.contains("] 100% 3/3 done (0 failed, 0 skipped)"), tty.stdout.debugDescription)
        XCTAssertTrue(tty.stdout.contains("%  1/3 done") || tty.stdout.contains("% 1/3 done"), tty.stdout.debugDescription)
        XCTAssertFalse(tty.stdout.contains("batch: [1/3]"), "no per-case log lines on a terminal")

        let pipe = try cli.run(arguments("pipe"), environment: ["SEGSTATION_PROGRESS_INTERVAL": "0.2"])
        XCTAssertEqual(pipe.status, 0, pipe.stderr)
        XCTAssertFalse(pipe.stderr.contains("\r"), pipe.stderr.debugDescription)
        XCTAssertTrue(pipe.stderr.contains("batch: [1/3] c00 completed; 1/3 done (0 failed, 0 skipped)"), pipe.stderr)
        XCTAssertTrue(pipe.stderr.contains("batch: [3/3] c02 completed; 3/3 done"), pipe.stderr)
    }
}
