import Core
import Foundation
import Logging

/// The program's diagnostics: every layer logs through swift-log (`Core.Log`); this installs one
/// handler that writes `segstation: <level>: <message>` lines to standard error.
///
/// Level: `--quiet` (errors only), default `warning`, `--verbose` (`debug`: adds details that may
/// name patients and paths); `SEGSTATION_LOG_LEVEL` (trace, debug, info, notice, warning, error,
/// critical) replaces the default. The two flags are global: they are accepted before or after the
/// subcommand and removed before the subcommand's arguments are parsed.
enum LogSetup {
    static let verboseFlags: Set = ["--verbose"], quietFlags: Set = ["--quiet"]

    /// Installs the handler for `arguments` (without the program name); returns them without the
    /// global flags.
    static func bootstrap(_ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        let (remaining, verbose, quiet) = globalFlags(arguments)
        let level = self.level(verbose: verbose, quiet: quiet, environment: environment)
        LoggingSystem.bootstrap { _ in StderrLogHandler(logLevel: level) }
        return remaining
    }

    /// Takes `--verbose` and `--quiet` out of `arguments`; an argument after `--` is never a flag.
    static func globalFlags(_ arguments: [String]) -> (remaining: [String], verbose: Bool, quiet: Bool) {
        let end = arguments.firstIndex(of: "--") ?? arguments.endIndex
        let flags = Set(arguments[..<end])
        let remaining = arguments[..<end].filter { !verboseFlags.contains($0) && !quietFlags.contains($0) } + arguments[end...]
        return (Array(remaining), !flags.isDisjoint(with: verboseFlags), !flags.isDisjoint(with: quietFlags))
    }

    static func level(verbose: Bool, quiet: Bool, environment: [String: String]) -> Logger.Level {
        if quiet { return .error }
        if verbose { return .debug }
        return environment["SEGSTATION_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .warning
    }
}

/// `segstation: <level>: <message> [key=value ...]` on standard error, one line per message.
struct StderrLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        let details = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        FileHandle.standardError.write(Data("segstation: \(event.level): \(event.message)\(details)\n".utf8))
    }
}
