import Foundation

/// A one-line progress bar on stderr, drawn only when attached to a terminal; silent otherwise.
final class ProgressBar {
    private let label: String
    private let total: Int
    private let enabled: Bool
    private var lastDrawn = -1

    init(_ label: String, total: Int = 100, enabled: Bool = Output.isInteractive) {
        self.label = label
        self.total = max(total, 1)
        self.enabled = enabled
    }

    func update(_ done: Int) {
        guard enabled else { return }
        let percent = min(100, done * 100 / total)
        guard percent != lastDrawn else { return }
        lastDrawn = percent
        let width = 30
        let filled = percent * width / 100
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        FileHandle.standardError.write(Data("\r\(label) [\(bar)] \(percent)%".utf8))
    }

    func finish() {
        guard enabled else { return }
        update(total)
        FileHandle.standardError.write(Data("\n".utf8))
    }
}

/// Progress for logs (stderr not a terminal): a line `segstation: segment: inference 42% (elapsed 73 s)`
/// every `interval` seconds from a timer, whatever the work is doing, so a long network call still
/// shows the command is alive (issue 11 point 23). Silent when disabled.
final class ProgressLog: @unchecked Sendable {
    private let command: String
    private let lock = NSLock()
    private var currentStage = "starting"
    private var percent: Int?
    private let start = Date()
    private var timer: DispatchSourceTimer?

    init(command: String, enabled: Bool, interval: Double = 5) {
        self.command = command
        guard enabled else { return }
        let t = DispatchSource.makeTimerSource(queue: DispatchQueue.global(qos: .utility))
        t.schedule(deadline: .now() + interval, repeating: interval)
        t.setEventHandler { [weak self] in self?.emit() }
        t.resume()
        timer = t
    }

    /// Starts a stage without a percentage (logged at once).
    func stage(_ name: String) {
        lock.lock(); currentStage = name; percent = nil; lock.unlock()
        if timer != nil { emit() }
    }

    func update(stage: String, percent: Int) {
        lock.lock()
        let changed = stage != currentStage
        currentStage = stage; self.percent = percent
        lock.unlock()
        if changed, timer != nil { emit() }
    }

    func stop() {
        timer?.cancel()
        timer = nil
    }

    private func emit() {
        lock.lock()
        let text = "segstation: \(command): \(currentStage)\(percent.map { " \($0)%" } ?? "") (elapsed \(Int(Date().timeIntervalSince(start))) s)\n"
        lock.unlock()
        FileHandle.standardError.write(Data(text.utf8))
    }
}
