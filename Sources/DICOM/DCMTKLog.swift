internal import CDCMTKBridge
import Core
import Logging

/// DCMTK's own log lines ("W: StudyInstanceUID (0020,000d) empty...") never reach the terminal: the
/// bridge replaces DCMTK's console appender with one that calls `forward`, which logs them through
/// swift-log at debug level (label "segstation.dcmtk"; shown with `--verbose` once the CLI sets
/// the log level). Every entry point into DCMTK touches `DCMTKLog.routed` first.
enum DCMTKLog {
    static let logger = Log.logger(.dcmtk)

    /// Installs the routing once per process (a lazy static: thread-safe).
    static let routed: Void = { ssdcm_log_route(forward) }()

    private static let forward: ssdcm_log_callback = { level, name, message in
        let text = message.map { String(cString: $0) } ?? ""
        let source = name.map { String(cString: $0) } ?? "dcmtk"
        DCMTKLog.logger.debug("\(level >= 2 ? "error" : "warning") from \(source): \(text)")
    }
}
