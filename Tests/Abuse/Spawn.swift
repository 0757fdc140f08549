import Foundation

/// One finished child process: how it ended, what it printed, its peak memory.
struct Finished {
    /// Exit status when it exited normally.
    var exitCode: Int32?
    /// The signal that killed it, if any (SIGKILL after a timeout included).
    var signal: Int32?
    var timedOut: Bool
    var stdout: String
    var stderr: String
    /// Peak resident set size in bytes (`getrusage`'s ru_maxrss of this child, from `wait4`).
    var peakRSSBytes: Int
    var seconds: Double
}

/// Runs commands in their own process group under an address-space limit (`prlimit --as`, falling back
/// to `ulimit -v`), with a timeout that kills the whole group, and records peak memory from `wait4`.
struct Spawner {
    var addressSpaceBytes: Int
    var environment: [String: String]

    func run(_ argv: [String], timeout: Double, currentDirectory: String, stdin: String = "/dev/null") -> Finished {
        let outPath = currentDirectory + "/.abuse-stdout", errPath = currentDirectory + "/.abuse-stderr"
        let limited: [String]
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit") {
            limited = ["/usr/bin/prlimit", "--as=\(addressSpaceBytes)", "--core=0", "--"] + argv
        } else {
            limited = ["/bin/sh", "-c", "ulimit -v \(addressSpaceBytes / 1024); ulimit -c 0; exec \"$0\" \"$@\""] + argv
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY | O_NONBLOCK, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let env = environment.map { "\($0.key)=\($0.value)" }
        var cArgs = limited.map { strdup($0) } + [nil]
        var cEnv = env.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) }; cEnv.forEach { free($0) } }
        var pid: pid_t = 0
        let start = Date()
        guard posix_spawn(&pid, limited[0], &actions, &attributes, &cArgs, &cEnv) == 0 else {
            return Finished(exitCode: 127, signal: nil, timedOut: false, stdout: "", stderr: "spawn failed: \(limited[0])",
                            peakRSSBytes: 0, seconds: 0)
        }
        var status: Int32 = 0
        var usage = rusage()
        var timedOut = false
        while true {
            let r = wait4(pid, &status, WNOHANG, &usage)
            if r == pid { break }
            if r < 0 && errno != EINTR { break }
            if Date().timeIntervalSince(start) > timeout && !timedOut {
                timedOut = true
                kill(-pid, SIGKILL)
            }
            usleep(5_000)
        }
        // Reap anything left in the group (a child that outlived its parent).
        kill(-pid, SIGKILL)
        let low = status & 0x7f
        let read = { (p: String) in (try? String(contentsOfFile: p, encoding: .utf8)) ?? "" }
        let result = Finished(exitCode: low == 0 ? (status >> 8) & 0xff : nil, signal: low != 0 && low != 0x7f ? low : nil,
                              timedOut: timedOut, stdout: read(outPath), stderr: read(errPath),
                              peakRSSBytes: Int(usage.ru_maxrss) * 1024, seconds: Date().timeIntervalSince(start))
        unlink(outPath); unlink(errPath)
        return result
    }
}
