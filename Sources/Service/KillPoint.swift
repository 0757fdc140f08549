import Foundation

/// Named crash points for the restart tests (as SQLite's and PostgreSQL's suites inject crashes, not
/// sleeps): when `SEGSTATION_KILL_AT` names a point, the process kills itself with SIGKILL on reaching
/// it, exactly as `kill -9` would. Unset (always, outside tests), a point costs one dictionary lookup.
enum KillPoint: String {
    /// The job's run is recorded (SEG and SR written), nothing sent yet.
    case jobSegmented = "job-segmented"
    /// The SEG and SR reached the destination, the delivery is not recorded yet.
    case jobSent = "job-sent"
    /// Inside the segmentation (after the first progress report of the engine).
    case jobInference = "job-inference"

    func reach() {
        guard ProcessInfo.processInfo.environment["SEGSTATION_KILL_AT"] == rawValue else { return }
        kill(getpid(), SIGKILL)
    }
}
