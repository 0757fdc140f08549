import ArgumentParser

@main
struct SegStation: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segstation",
        abstract: "Medical-image segmentation workstation: read scans, segment, measure, export, record, report.",
        version: SegStationVersion.string,
        subcommands: [
            InspectCommand.self, ConvertCommand.self,
            MeasureCommand.self,
            EvaluateCommand.self,
            MeshCommand.self,
        ]
    )
}

enum SegStationVersion {
    static let string = "0.1.0"
}
