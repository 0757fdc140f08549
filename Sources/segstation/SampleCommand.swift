import ArgumentParser
import Foundation
import Pipeline

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Write the synthetic brain-tumour study used by the README's main job (DICOM FLAIR + T1c).",
        discussion: """
        The study is a phantom SegStation generates (no patient data, no download): a skull-stripped \
        brain with one tumour (oedema, enhancing rim, necrotic core) on a 1 mm axial grid, written as \
        two classic MR series FLAIR/ and T1c/ sharing a study and frame of reference, plus \
        reference-mask.nii.gz (whole tumour) for checking a segmentation with `segstation evaluate`.
        """
    )

    @Option(name: .shortAndLong, help: "Folder to create (must not hold FLAIR/ or T1c/ yet).")
    var output: String = "Studies/sample"

    @Flag(help: "Print what was written as JSON.")
    var json = false

    func run() throws {
        try reportingErrors {
            let written = try SampleStudy.write(to: URL(fileURLWithPath: output))
            if json { try Output.json(written); return }
            Output.line("wrote phantom study \(written.studyInstanceUID)")
            Output.line("  FLAIR: \(written.flairSeries)")
            Output.line("  T1c: \(written.t1cSeries)")
            Output.line("  reference mask: \(written.referenceMask)")
        }
    }
}
