import ArgumentParser
import Foundation
import Imaging
import Safety

@main
struct SegStation: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segstation",
        abstract: "Medical-image segmentation workstation: read scans, segment, measure, export, record, report.",
        version: SegStationVersion.string,
        subcommands: [
            SegmentCommand.self, ReportCommand.self, SampleCommand.self, InspectCommand.self, ConvertCommand.self,
            ExportSegCommand.self, ExportSRCommand.self, ModelCommand.self,
            StudiesCommand.self, RunsCommand.self, LesionsCommand.self, HistoryCommand.self, ShowCommand.self,
            DebugStoreWriteCommand.self,
            MeasureCommand.self,
            EvaluateCommand.self,
            MeshCommand.self,
            VerifyCommand.self,
        ]
    )

    /// Parses and runs a command; every layer's typed error becomes one stderr line and the exit code
    /// of its category (README, "Exit codes"), whichever command threw it.
    static func main() {
        // Owner-only outputs for every command that writes (issue 11 point 14): one rule, set first.
        OwnerOnly.apply()
        do {
            var command = try parseAsRoot(try GlobalOptions.apply(to: Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch let error as CategorizedError {
            FileHandle.standardError.write(Data("segstation: error: \(error.description)\n".utf8))
            Foundation.exit(SegStationExit.code(for: error.category))
        } catch {
            exit(withError: error)
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

enum SegStationVersion {
    static let string = "0.1.0"
}
