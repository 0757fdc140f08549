import Foundation
import Inference

/// Whether the inputs are what the model was trained on (issue 11 point 20): each channel's modality
/// against the manifest's `inputs[].modality`, and the first input's body part against the optional
/// `bodyParts`. A mismatch refuses the run (exit 65) with the reason, unless `--force`, which runs it
/// and records the reason in the database and on the report.
///
/// NIfTI and NRRD carry no modality: `--modality` states it (and is checked); without it the input is
/// accepted with a note saying the modality was not checked.
struct InputGate {
    /// Set when the run was forced past a mismatch: what did not match.
    var forcedReason: String?
    /// Notes for segmentation.json (unchecked modality, forced mismatch).
    var notes: [String]

    static func check(scans: [LoadedScan], manifest: ModelManifest, modality: String?, force: Bool) throws -> InputGate {
        var mismatches: [String] = []
        var notes: [String] = []
        for (index, (scan, channel)) in zip(scans, manifest.inputs).enumerated() {
            let label = "input \(index + 1) (\(channel.name), \(URL(fileURLWithPath: scan.sourcePath).lastPathComponent))"
            let found: String?
            if let series = scan.dicom?.stack.series { found = series.modality } else { found = modality }
            guard let found else {
                notes.append("\(label): modality not checked (NIfTI/NRRD carry none; pass --modality to check it against the model's \(channel.modality))")
                continue
            }
            if found.uppercased() != channel.modality.uppercased() {
                mismatches.append("\(label) is \(found), the model '\(manifest.name)' was trained on \(channel.modality)")
            }
        }
        if let parts = manifest.bodyParts, !parts.isEmpty, let part = scans.first?.dicom?.stack.series.bodyPartExamined, !part.isEmpty,
           !parts.contains(where: { $0.uppercased() == part.uppercased() }) {
            mismatches.append("body part \(part) is not among the model's \(parts.joined(separator: ", "))")
        }
        guard !mismatches.isEmpty else { return InputGate(forcedReason: nil, notes: notes) }
        let reason = mismatches.joined(separator: "; ")
        guard force else {
            throw PipelineError.badInput("the inputs do not fit model '\(manifest.name)': \(reason); pass --force to run anyway (the run is then flagged as forced in the database and on the report)")
        }
        return InputGate(forcedReason: reason, notes: notes + ["forced past the model's stated inputs (--force): \(reason)"])
    }
}
