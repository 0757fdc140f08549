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

    @Option(help: "Grid size in voxels as I,J,K (1 mm voxels, centred on the brain; smaller grids crop the phantom). Default: 160,176,120.")
    var size: String?

    @Flag(help: "Print what was written as JSON.")
    var json = false

    /// The parsed `--size`, nil for the default.
    func gridSize() throws -> SIMD3<Int>? {
        guard let size else { return nil }
        let parts = size.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, let i = parts[0], let j = parts[1], let k = parts[2], (2...1024).contains(i), (2...1024).contains(j), (1...1024).contains(k) else {
            throw ValidationError("--size must be I,J,K with 2...1024 voxels in-plane and 1...1024 slices, found '\(size)'")
        }
        return SIMD3(i, j, k)
    }

    func validate() throws { _ = try gridSize() }

    func run() throws {
        // Refused before the phantom is computed (seconds of work): -o must be a folder or absent.
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: output, isDirectory: &isDirectory), !isDirectory.boolValue {
            throw PipelineError.output("cannot write the sample study into \(output) (-o): it is a file, not a folder")
        }
        let phantom = SamplePhantom(size: try gridSize() ?? SamplePhantom.defaultSize)
        let written = try SampleStudy.write(to: URL(fileURLWithPath: output), phantom: phantom)
        if json { try Output.json(written); return }
        Output.line("wrote phantom study \(written.studyInstanceUID)")
        Output.line("  FLAIR: \(written.flairSeries)")
        Output.line("  T1c: \(written.t1cSeries)")
        Output.line("  reference mask: \(written.referenceMask)")
    }
}
