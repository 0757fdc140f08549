import Foundation

/// The one way tests start a program (`segstation`, dcmdump, dciodvfy, pdftoppm...): stdout and
/// stderr are read to their ends concurrently, each by its own reader, so a child that fills one
/// pipe while the test waits on the other cannot deadlock.
public enum ProcessRunner {
    /// How a finished program ended and what it printed.
    public struct Outcome: Sendable {
        /// Exit status, or the signal number when `signalled`.
        public var status: Int32
        /// True when the process ended by a signal (e.g. SIGKILL), false when it exited.
        public var signalled: Bool
        public var stdout: String
        public var stderr: String
        public var arguments: [String]
        /// True when the runner killed it after its timeout.
        public var timedOut: Bool
    }

    /// A started program. `wait()` returns its outcome once it has ended and both pipes are drained.
    public final class Running: @unchecked Sendable {
        // @unchecked Sendable: `process` is configured before `run()` and afterwards only queried
        // (isRunning, processIdentifier) or waited for; `stdout`/`stderr` are each written by one
        // reader block before it leaves `readers`, and read only after `readers.wait()`.
        let process: Process
        let arguments: [String]
        private let readers = DispatchGroup()
        private var stdout = Data(), stderr = Data()

        init(_ process: Process, arguments: [String], pipes: (out: Pipe, err: Pipe)?) throws {
            self.process = process
            self.arguments = arguments
            try process.run()
            guard let (out, err) = pipes else { return }
            // Our copies of the write ends must close, or the readers never see end-of-file.
            try? out.fileHandleForWriting.close()
            try? err.fileHandleForWriting.close()
            DispatchQueue.global().async(group: readers) { self.stdout = out.fileHandleForReading.readDataToEndOfFile() }
            DispatchQueue.global().async(group: readers) { self.stderr = err.fileHandleForReading.readDataToEndOfFile() }
        }

        public var processIdentifier: Int32 { process.processIdentifier }
        public var isRunning: Bool { process.isRunning }

        /// Sends `signal` (default SIGKILL) to the process.
        public func kill(_ signal: Int32 = SIGKILL) { _ = Foundation.kill(process.processIdentifier, signal) }

        /// Waits for the end of the process (killing it after `timeoutSeconds`, when given) and of
        /// both pipes.
        public func wait(timeoutSeconds: Double? = nil) -> Outcome {
            var timedOut = false
            if let timeoutSeconds {
                let deadline = Date().addingTimeInterval(timeoutSeconds)
                while process.isRunning && Date() < deadline { usleep(20_000) }
                if process.isRunning { timedOut = true; kill() }
            }
            process.waitUntilExit()
            readers.wait()
            return Outcome(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                           stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self),
                           arguments: arguments, timedOut: timedOut)
        }
    }

    /// Starts `executable arguments` in `directory` (default: the test's working directory), with
    /// `environment` added to this process's environment. With `capture` false, stdout and stderr go
    /// to /dev/null (for programs such as Chromium whose helper processes may outlive them holding
    /// the pipes open).
    public static func launch(_ executable: URL, _ arguments: [String], in directory: URL? = nil,
                              environment: [String: String] = [:], capture: Bool = true) throws -> Running {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        process.standardInput = FileHandle.nullDevice
        guard capture else {
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            return try Running(process, arguments: arguments, pipes: nil)
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        return try Running(process, arguments: arguments, pipes: (out, err))
    }

    /// Runs `executable arguments` to its end (see `launch`).
    public static func run(_ executable: URL, _ arguments: [String], in directory: URL? = nil,
                           environment: [String: String] = [:], capture: Bool = true, timeoutSeconds: Double? = nil) throws -> Outcome {
        try launch(executable, arguments, in: directory, environment: environment, capture: capture).wait(timeoutSeconds: timeoutSeconds)
    }

    /// The first executable called `name` on $PATH, or nil.
    public static func tool(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}
