import DICOM
import Foundation

/// The rule for the channels of one `segment` run (docs/DICOM.md, "Channels"): every DICOM channel
/// belongs to the first channel's patient and study and shares its frame of reference; channels on
/// another grid are then resampled onto the first channel's grid by their patient geometry (the
/// preprocessing does it and notes it). Anything else is refused before inference, naming both
/// identities, unless `--allow-mixed-identity`, which is recorded in the run. Identifiers absent
/// from the files (anonymised data: derived, `DICOMStack.derivedIdentifiers`) cannot be compared and
/// are noted as assumed.
enum ChannelIdentity {
    /// - Returns: notes for the run summary (accepted overrides, unverifiable channels).
    /// - Throws: `PipelineError.badInput` naming both channels' identities.
    static func check(_ scans: [LoadedScan], inputs: [String], allowMixed: Bool) throws -> [String] {
        guard scans.count > 1 else { return [] }
        var notes = [String]()
        guard let first = scans[0].dicom?.stack else {
            if scans.dropFirst().contains(where: { $0.dicom != nil }) {
                notes.append("the first channel is not DICOM: the other channels' patient, study and frame of reference cannot be compared with it")
            }
            return notes
        }
        for (c, scan) in scans.enumerated().dropFirst() {
            guard let other = scan.dicom?.stack else {
                notes.append("channel \(c + 1) (\(inputs[c])) is not DICOM: its patient and study cannot be checked")
                continue
            }
            // An identifier absent from either channel (derived, anonymised data) cannot be compared.
            var differences = [String](), unverified = [String]()
            for (name, keyword, a, b) in [("patient", "PatientID", first.patient.id, other.patient.id),
                                          ("study", "StudyInstanceUID", first.study.studyInstanceUID, other.study.studyInstanceUID),
                                          ("frame of reference", "FrameOfReferenceUID", first.series.frameOfReferenceUID, other.series.frameOfReferenceUID)] {
                if first.derivedIdentifiers.contains(keyword) || other.derivedIdentifiers.contains(keyword) {
                    unverified.append(name)
                } else if a != b {
                    differences.append(name)
                }
            }
            if !unverified.isEmpty {
                notes.append("channel \(c + 1): \(unverified.joined(separator: ", ")) absent from the files (anonymised); assumed to match channel 1, placed by patient coordinates")
            }
            guard !differences.isEmpty else { continue }
            let message = "channel \(c + 1) (\(inputs[c])) differs from channel 1 (\(inputs[0])) in \(differences.joined(separator: ", ")): " +
                "channel 1 is \(describe(first)); channel \(c + 1) is \(describe(other))"
            guard allowMixed else {
                throw PipelineError.badInput(message + ". Channels must be one patient and one study and share a frame of reference " +
                                             "(then they are resampled onto channel 1's grid by their geometry); pass --allow-mixed-identity to override")
            }
            notes.append(message + "; accepted by --allow-mixed-identity (channel \(c + 1) resampled onto channel 1's grid by its patient coordinates)")
        }
        return notes
    }

    static func describe(_ s: DICOMStack) -> String {
        "patient \(s.patient.id ?? "(none)"), study \(s.study.studyInstanceUID), frame of reference \(s.series.frameOfReferenceUID ?? "(none)")"
    }
}
