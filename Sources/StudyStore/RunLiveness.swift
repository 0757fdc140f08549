import Foundation

/// Who executes a run: host name, process ID, the process's start time in clock ticks since boot
/// (`/proc/PID/stat` field 22) and the kernel boot ID. Together they identify one process across
/// PID reuse and reboots.
///
/// A stored `running` run is reported as `incomplete` when, on this host, its process no longer
/// exists (boot ID changed, PID gone, or PID reused by a process with another start time).
/// A run recorded on another host cannot be checked and stays `running`. A run recorded before
/// schema v3 (no process identity) is reported `incomplete`.
struct ProcessIdentity: Equatable {
    var hostname: String
    var pid: Int64
    var startTicks: Int64?
    var bootID: String?

    /// The calling process.
    static var current: ProcessIdentity {
        let pid = Int64(getpid())
        return ProcessIdentity(hostname: ProcessInfo.processInfo.hostName, pid: pid,
                               startTicks: startTicks(of: pid), bootID: currentBootID)
    }

    static let currentBootID: String? = {
        guard let text = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8) else { return nil }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    /// Field 22 (starttime) of `/proc/PID/stat`, or nil where /proc is absent or the PID is gone.
    /// The command name (field 2) may contain spaces and parentheses, so fields are counted
    /// after the last ")".
    static func startTicks(of pid: Int64) -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.range(of: ")", options: .backwards) else { return nil }
        let fields = text[close.upperBound...].split(separator: " ")
        // fields[0] is field 3 (state); starttime is field 22.
        guard fields.count > 19 else { return nil }
        return Int64(fields[19])
    }

    /// Whether this process may still be executing: nil when it cannot be told (another host).
    func isAlive() -> Bool? {
        guard hostname == ProcessInfo.processInfo.hostName else { return nil }
        if let bootID, let now = Self.currentBootID, bootID != now { return false }
        if let startTicks {
            guard let ticksNow = Self.startTicks(of: pid) else { return false }
            return ticksNow == startTicks
        }
        // No /proc when recorded (not Linux): signal 0 tells whether the PID exists.
        return kill(pid_t(pid), 0) == 0 || errno == EPERM
    }
}

/// The status a query reports for a run.
public enum RunStatus: String, Codable, CaseIterable, Sendable {
    case queued, running, completed, failed
    /// Stored as `running` but its process is gone: it will never complete (see `ProcessIdentity`).
    case incomplete
}

extension RunRecord {
    /// The stored status, with dead `running` runs reported as `incomplete`.
    var effectiveStatus: RunStatus {
        guard let stored = RunStatus(rawValue: status) else { return .incomplete }
        guard stored == .running else { return stored }
        guard let hostname, let pid else { return .incomplete }
        let owner = ProcessIdentity(hostname: hostname, pid: pid, startTicks: processStartTicks, bootID: bootID)
        return owner.isAlive() == false ? .incomplete : .running
    }
}
