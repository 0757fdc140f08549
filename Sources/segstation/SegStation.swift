import ArgumentParser
import Foundation
import Imaging

@main
struct SegStation: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segstation",
        abstract: "Medical-image segmentation workstation: read scans, segment, measure, export, record, report.",
        version: SegStationVersion.string,
        subcommands: [
            SegmentCommand.self, BatchCommand.self, ReportCommand.self, SampleCommand.self, InspectCommand.self, ConvertCommand.self,
            ExportSegCommand.self, ExportSRCommand.self, ModelCommand.self,
            StudiesCommand.self, RunsCommand.self, LesionsCommand.self, HistoryCommand.self, ShowCommand.self,
            DebugStoreWriteCommand.self,
            MeasureCommand.self,
            EvaluateCommand.self,
            MeshCommand.self,
        ]
    )

    /// Parses and runs a command; every layer's typed error becomes one stderr line and the exit code
    /// of its category (README, "Exit codes"), whichever command threw it.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as CategorizedError {
            FileHandle.standardError.write(Data("segstation: error: \(error.description)\n".utf8))
            Foundation.exit(SegStationExit.code(for: error.category))
        } catch {
            exit(withError: error)
        }
    }
}

enum SegStationVersion {
    static let string = "0.1.0"
}
