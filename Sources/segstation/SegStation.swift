import ArgumentParser
import Core
import Foundation
import Logging
import StudyStore

@main
struct SegStation: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segstation",
        abstract: "Medical-image segmentation workstation: read scans, segment, measure, export, record, report.",
        discussion: """
        Global flags, before or after the command: --verbose (debug diagnostics; they may name patients \
        and paths), --quiet (errors only). SEGSTATION_LOG_LEVEL=trace|debug|info|notice|warning|error \
        sets the default level (warning). Exit codes: 0 success, 64 usage, 65 bad input, 66 not found, \
        69 unsupported, 73 output failed, 1 internal error.
        """,
        version: SegStationVersion.string,
        subcommands: [
            SegmentCommand.self, BatchCommand.self, ReportCommand.self, SampleCommand.self, InspectCommand.self, ConvertCommand.self,
            ExportSegCommand.self, ExportSRCommand.self, ModelCommand.self,
            StudiesCommand.self, RunsCommand.self, LesionsCommand.self, HistoryCommand.self, ShowCommand.self,
            MeasureCommand.self,
            EvaluateCommand.self,
            MeshCommand.self,
            ServeCommand.self, JobsCommand.self,   // issue 14
            ExportRTStructCommand.self,
            VerifyCommand.self,
        ]
    )

    /// Parses and runs a command. The one place errors are caught: every layer's typed error becomes
    /// one stderr line and the exit code of its category (README "Exit codes"), whichever command
    /// threw it; Foundation's "no such file" is a not-found error; anything else is an internal bug.
    static func main() {
        // Owner-only outputs for every command that writes (issue 11 point 14): one rule, set first.
        OwnerOnly.apply()
        let arguments = LogSetup.bootstrap(Array(CommandLine.arguments.dropFirst()))
        var command: ParsableCommand
        do { command = try parseAsRoot(try GlobalOptions.apply(to: arguments)) } catch { exit(withError: error) }
        do {
            try command.run()
        } catch let error as CategorizedError {
            fail(error.description + hint(for: error), code: error.category.exitCode)
        } catch let error as CocoaError where (512...642).contains(error.code.rawValue) {
            // Foundation's write failures (disk full, read-only volume, no permission): the output failed.
            fail("cannot write \(error.userInfo[NSFilePathErrorKey] ?? ""): \(error.localizedDescription)", code: ExitStatus.outputFailed)
        } catch let error as POSIXError where [.ENOSPC, .EROFS, .EACCES, .EDQUOT, .EISDIR].contains(error.code) {
            fail("cannot write: \(error.localizedDescription)", code: ExitStatus.outputFailed)
        } catch let error as CocoaError where error.code == .fileNoSuchFile || error.code == .fileReadNoSuchFile {
            fail(error.localizedDescription, code: ExitStatus.notFound)
        } catch {
            // Help, validation and usage errors (some surface only when run) exit as ArgumentParser
            // decides; any other error is one this program did not expect.
            if error is ExitCode || exitCode(for: error) != .failure { exit(withError: error) }
            fail("internal error (please report): \(error)", code: ExitStatus.internalError)
        }
    }

    private static func fail(_ message: String, code: Int32) -> Never {
        Log.logger(.cli).error("\(message)")
        Foundation.exit(code)
    }

    /// What the user can do about an error, in terms of the CLI's flags (lower layers do not know them).
    private static func hint(for error: CategorizedError) -> String {
        switch error {
        case StoreError.databaseMissing: return " (segment a study first, or pass --db / set SEGSTATION_DB)"
        default: return ""
        }
    }
}

/// Options every command takes, anywhere on the command line, applied before parsing:
/// `--max-memory SIZE` sets the process memory budget (`MemoryBudget`, `$SEGSTATION_MAX_MEMORY`).
enum GlobalOptions {
    /// Removes the global options from `arguments` and applies them.
    /// - Throws: `ValidationError` for a malformed size.
    static func apply(to arguments: [String]) throws -> [String] {
        var rest: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            var value: String?
            if argument == "--max-memory" {
                guard index + 1 < arguments.count else { throw ValidationError("--max-memory needs a size, e.g. 4G") }
                value = arguments[index + 1]; index += 2
            } else if argument.hasPrefix("--max-memory=") {
                value = String(argument.dropFirst("--max-memory=".count)); index += 1
            } else {
                rest.append(argument); index += 1
                continue
            }
            guard let value, MemoryBudget.parse(value) != nil else {
                throw ValidationError("--max-memory '\(value ?? "")' is not a size: bytes, or a number with K, M, G or T (powers of 1024), e.g. 4G")
            }
            setenv(MemoryBudget.environmentVariable, value, 1)
        }
        return rest
    }
}

