import Foundation

/// The one way tests, the abuse suite and benchmarks start a program (`segstation`, dcmdump, dciodvfy,
/// pdftoppm, mount...). Every child runs in its own process group, started with `posix_spawn`:
/// stdout and stderr are read to their ends concurrently, each by its own reader, so a child that
/// fills one pipe while the test waits on the other cannot deadlock; a timeout kills the whole group;
/// `wait4` reports the child's peak memory; an optional address-space limit (`prlimit --as`, else
/// `ulimit -v`) keeps a runaway child from taking the machine down.
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
        /// Peak resident set size of the process in bytes (`ru_maxrss` from `wait4`).
        public var peakRSSBytes: Int
        /// Wall time from start to end, seconds.
        public var seconds: Double

        public init(status: Int32, signalled: Bool, stdout: String, stderr: String, arguments: [String], timedOut: Bool,
                    peakRSSBytes: Int, seconds: Double) {
            self.status = status; self.signalled = signalled; self.stdout = stdout; self.stderr = stderr
            self.arguments = arguments; self.timedOut = timedOut; self.peakRSSBytes = peakRSSBytes; self.seconds = seconds
        }

        /// The exit status when the process exited, nil when a signal ended it.
        public var exitCode: Int32? { signalled ? nil : status }
        /// The signal that ended the process, nil when it exited.
        public var signal: Int32? { signalled ? status : nil }
    }

    /// A started program. `wait()` returns its outcome once it has ended and both pipes are drained.
    public final class Running: @unchecked Sendable {
        // @unchecked Sendable: `ended` is read and written only under `lock`; `stdout`/`stderr` are
        // each written by one reader block before it leaves `readers`, and read only after `readers.wait()`.
        public let processIdentifier: Int32
        let arguments: [String]
        let started = Date()
        private let readers = DispatchGroup()
        private var stdout = Data(), stderr = Data()
        private let lock = NSLock()
        private var ended: (status: Int32, usage: rusage)?

        init(pid: pid_t, arguments: [String], pipes: (out: Int32, err: Int32)?) {
            processIdentifier = pid
            self.arguments = arguments
            guard let (out, err) = pipes else { return }
            DispatchQueue.global().async(group: readers) { self.stdout = Self.readAll(out) }
            DispatchQueue.global().async(group: readers) { self.stderr = Self.readAll(err) }
        }

        private static func readAll(_ fd: Int32) -> Data { FileHandle(fileDescriptor: fd, closeOnDealloc: true).readDataToEndOfFile() }

        /// The raw wait status and resource usage once the process has ended (reaps it), else nil.
        private func reaped() -> (status: Int32, usage: rusage)? {
            lock.lock(); defer { lock.unlock() }
            if let ended { return ended }
            var status: Int32 = 0
            var usage = rusage()
            while true {
                let r = wait4(processIdentifier, &status, WNOHANG, &usage)
                if r == processIdentifier { ended = (status, usage); return ended }
                if r < 0 && errno == EINTR { continue }
                // r == 0: still running. r < 0 (ECHILD) cannot happen for our own unreaped child.
                return nil
            }
        }

        public var isRunning: Bool { reaped() == nil }

        /// Sends `signal` (default SIGKILL) to the process.
        public func kill(_ signal: Int32 = SIGKILL) { _ = Foundation.kill(processIdentifier, signal) }

        /// Waits for the end of the process (killing its whole process group after `timeoutSeconds`,
        /// when given) and of both pipes.
        public func wait(timeoutSeconds: Double? = nil) -> Outcome {
            var timedOut = false
            var result = reaped()
            while result == nil {
                if let timeoutSeconds, !timedOut, Date().timeIntervalSince(started) > timeoutSeconds {
                    timedOut = true
                    _ = Foundation.kill(-processIdentifier, SIGKILL)
                }
                usleep(5_000)
                result = reaped()
            }
            let seconds = Date().timeIntervalSince(started)
            // Whatever is left of the group (a grandchild that outlived its parent) would hold the pipes open.
            _ = Foundation.kill(-processIdentifier, SIGKILL)
            readers.wait()
            let (status, usage) = result!
            let signal = status & 0x7f
            let signalled = signal != 0 && signal != 0x7f
            return Outcome(status: signalled ? signal : (status >> 8) & 0xff, signalled: signalled,
                           stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self),
                           arguments: arguments, timedOut: timedOut, peakRSSBytes: Int(usage.ru_maxrss) * 1024, seconds: seconds)
        }
    }

    /// A program that could not be started.
    public struct LaunchError: Error, CustomStringConvertible {
        public var executable: String
        public var errno: Int32
        public var description: String { "cannot start \(executable): \(String(cString: strerror(errno)))" }
    }

    /// Starts `executable arguments` in `directory` (default: the test's working directory), with
    /// `environment` added to this process's environment, in a process group of its own. With
    /// `capture` false, stdout and stderr go to /dev/null (for programs such as Chromium whose helper
    /// processes may outlive them). `addressSpaceLimit` (bytes) runs it under `prlimit --as` (else
    /// `ulimit -v`) with core dumps off.
    public static func launch(_ executable: URL, _ arguments: [String], in directory: URL? = nil,
                              environment: [String: String] = [:], capture: Bool = true,
                              addressSpaceLimit: Int? = nil) throws -> Running {
        var argv = [executable.path] + arguments
        if let addressSpaceLimit {
            argv = FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit")
                ? ["/usr/bin/prlimit", "--as=\(addressSpaceLimit)", "--core=0", "--"] + argv
                : ["/bin/sh", "-c", "ulimit -v \(addressSpaceLimit / 1024); ulimit -c 0; exec \"$0\" \"$@\""] + argv
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // Pipes are close-on-exec in this process, so that no other child started later inherits a write
        // end (its reader would then wait for that child's end); dup2 clears the flag for ours. (Swift's
        // Glibc module does not offer pipe2, so the flag is set just after pipe().)
        var out: [Int32] = [-1, -1], err: [Int32] = [-1, -1]
        if capture {
            guard pipe(&out) == 0, pipe(&err) == 0 else { throw LaunchError(executable: executable.path, errno: errno) }
            for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            posix_spawn_file_actions_adddup2(&actions, out[1], 1)
            posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        if let directory {
            if let addchdir = Self.addchdir {
                _ = addchdir(&actions, directory.path)
            } else {
                argv = ["/bin/sh", "-c", "cd \"$0\" && exec \"$@\"", directory.path] + argv
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        var cArgs = argv.map { strdup($0) } + [nil]
        var cEnv = env.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) }; cEnv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, &cArgs, &cEnv)
        if capture { close(out[1]); close(err[1]) }
        guard spawned == 0 else {
            if capture { close(out[0]); close(err[0]) }
            throw LaunchError(executable: argv[0], errno: spawned)
        }
        return Running(pid: pid, arguments: arguments, pipes: capture ? (out[0], err[0]) : nil)
    }

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), which Swift's Glibc module does not declare.
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    // A C function pointer (Sendable), looked up once and never changed.
    private static let addchdir: AddChdir? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np")
        .map { unsafeBitCast($0, to: AddChdir.self) }

    /// Runs `executable arguments` to its end (see `launch`).
    public static func run(_ executable: URL, _ arguments: [String], in directory: URL? = nil,
                           environment: [String: String] = [:], capture: Bool = true, timeoutSeconds: Double? = nil,
                           addressSpaceLimit: Int? = nil) throws -> Outcome {
        try launch(executable, arguments, in: directory, environment: environment, capture: capture,
                   addressSpaceLimit: addressSpaceLimit).wait(timeoutSeconds: timeoutSeconds)
    }

    /// The first executable called `name` on $PATH, or nil.
    public static func tool(_ name: String) -> URL? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { URL(fileURLWithPath: String($0)).appendingPathComponent(name) }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }
}
