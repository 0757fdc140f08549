import ArgumentParser
import Foundation
import Imaging
import DICOM
import VolumeIO

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Describe a scan: studies, series, stacks, grid, orientation, transfer syntaxes, warnings.",
        discussion: """
        PATH is a DICOM file, a folder tree of DICOM files, a DICOMDIR, or a NIfTI (.nii, .nii.gz, .hdr/.img) \
        or NRRD (.nrrd, .nhdr) file. DICOM series are split into stacks by orientation, size and \
        acquisition/echo/temporal position; warnings name gantry tilt, uneven spacing, missing slices \
        and mixed sizes. Files that are not images (SR, RTSTRUCT, SEG...) are listed as skipped.
        """
    )

    @Argument(help: "DICOM file or folder, DICOMDIR, NIfTI or NRRD file.")
    var path: String

    @Flag(help: "Print one JSON object instead of text.")
    var json = false

    func run() throws {
        if VolumeFile.format(of: path) != nil {
            try inspectVolumeFile()
        } else {
            try inspectDICOM()
        }
    }

    struct VolumeSummary: Encodable {
        var path: String
        var format: String
        var size: [Int]
        var spacingMM: [Double]
        var originLPS: [Double]
        var direction: [[Double]]
        var orientation: String
        var affineLPS: [[Double]]
    }

    private func inspectVolumeFile() throws {
        let volume = try VolumeFile.read(path)
        let g = volume.geometry
        let summary = VolumeSummary(path: path, format: VolumeFile.format(of: path)!.rawValue, size: [g.size.x, g.size.y, g.size.z],
                                    spacingMM: [g.spacingMM.x, g.spacingMM.y, g.spacingMM.z],
                                    originLPS: [g.originLPS.x, g.originLPS.y, g.originLPS.z],
                                    direction: g.direction.rows, orientation: g.orientationCode, affineLPS: g.affineLPS)
        if json { try Output.json(summary); return }
        Output.line("\(path) (\(summary.format))")
        Output.line("  grid: \(g)")
    }

    private func inspectDICOM() throws {
        let inventory = try DICOMScanner.scan(path: path).withoutSlices()
        if json { try Output.json(inventory); return }
        Output.line("\(inventory.root): \(inventory.fileCount) files, \(inventory.studies.count) studies")
        for study in inventory.studies {
            Output.line("study \(study.info.studyInstanceUID) date \(study.info.date ?? "-") \(study.info.description ?? "")")
            for series in study.series {
                let s = series.info
                Output.line("  series \(s.seriesInstanceUID) #\(s.seriesNumber.map(String.init) ?? "-") \(s.modality ?? "?") \"\(s.description ?? "")\" syntaxes \(series.transferSyntaxUIDs.joined(separator: ","))")
                for stack in series.stacks {
                    let spacing = [stack.pixelSpacingMM.i, stack.pixelSpacingMM.j].map { String(format: "%.4g", $0) }.joined(separator: " x ")
                    let slice = stack.sliceSpacingMM.map { String(format: " x %.4g", $0) } ?? ""
                    var flags: [String] = []
                    if stack.isLocalizer { flags.append("localizer") }
                    if stack.isDerived { flags.append("derived") }
                    if abs(stack.tiltDegrees) > 0.01 { flags.append(String(format: "tilt %.2f deg", stack.tiltDegrees)) }
                    let apart = stack.distinguishingAttributes.isEmpty ? "" : " | " + stack.distinguishingAttributes.joined(separator: ", ")
                    Output.line("    stack \(stack.index): \(stack.columns)x\(stack.rows)x\(stack.sliceCount) @ \(spacing)\(slice) mm \(stack.orientationCode) \(flags.joined(separator: ", "))\(apart)")
                    if !stack.derivedIdentifiers.isEmpty {
                        Output.line("      derived (absent in the files): \(stack.derivedIdentifiers.joined(separator: ", "))")
                    }
                    for w in stack.warnings { Output.line("      warning: \(w)") }
                }
                for w in series.warnings { Output.line("    warning: \(w)") }
            }
        }
        for skipped in inventory.skipped {
            let kind = skipped.kind == .unreadable ? "skipped (bad file; loading commands refuse it unless --skip-bad-slices)" : "skipped"
            Output.line("\(kind) \(skipped.path): \(skipped.reason)")
        }
    }
}
