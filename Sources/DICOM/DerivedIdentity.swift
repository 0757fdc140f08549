import Core
import Foundation

/// Identifiers that anonymised data lacks, derived deterministically from what the files hold.
///
/// Rule (docs/DICOM.md, "Anonymised data"): an empty or absent PatientID, StudyInstanceUID,
/// SeriesInstanceUID or FrameOfReferenceUID is replaced, at scan time and nowhere else, by a value
/// derived from the SHA-256 of the SOP Instance UIDs it groups (the input's fingerprint). The same
/// files always give the same values, so `segment`, `export-seg` and `export-sr` reference the same
/// UIDs. Every derived attribute is listed in the stack's `derivedIdentifiers`.
public enum DerivedIdentity {
    /// A "2.25." UID (PS3.5 B.2: a UUID-like 128-bit integer in decimal) from the first 128 bits of
    /// SHA-256(`text`), with the top bit cleared as ISO/IEC 9834-8 type-4 style keeps it below 2^127.
    public static func uid(_ text: String) -> String {
        let digest = Digest.sha256(Data(text.utf8))
        var words = (0..<4).map { w in (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(digest[w * 4 + $1]) } }
        words[0] &= 0x7FFF_FFFF
        return "2.25." + decimal(words)
    }

    /// "anon-" and 16 hex digits of SHA-256(`text`): a patient ID for data without one.
    public static func patientID(_ text: String) -> String {
        "anon-" + Digest.sha256Hex(text).prefix(16)
    }

    /// Decimal digits of a big-endian multi-word unsigned integer (no leading zeros; "0" for zero).
    static func decimal(_ value: [UInt32]) -> String {
        var words = value
        var digits = [Character]()
        while words.contains(where: { $0 != 0 }) {
            var remainder: UInt64 = 0
            for i in words.indices {
                let current = remainder << 32 | UInt64(words[i])
                words[i] = UInt32(current / 10)
                remainder = current % 10
            }
            digits.append(Character(String(remainder)))
        }
        return digits.isEmpty ? "0" : String(digits.reversed())
    }
}

extension DICOMScanner {
    /// Fills missing identities of scanned studies (see `DerivedIdentity`). A study's fingerprint is
    /// its SOP Instance UIDs sorted; a series' fingerprint is its own. The frame of reference is derived
    /// per study (every series of an anonymised study shares it) and flagged as derived.
    static func deriveMissingIdentities(_ studies: inout [DICOMStudy]) {
        for s in studies.indices {
            let allUIDs = studies[s].series.flatMap { $0.stacks.flatMap { $0.slices.map(\.sopInstanceUID) } }
            let studyPrint = Set(allUIDs).sorted().joined(separator: "\\")
            var study = studies[s].info
            var patient = studies[s].patient
            var derived = [String]()
            if study.studyInstanceUID.isEmpty {
                study.studyInstanceUID = DerivedIdentity.uid("study|" + studyPrint)
                derived.append("StudyInstanceUID")
            }
            if (patient.id ?? "").isEmpty {
                patient.id = DerivedIdentity.patientID("patient|" + study.studyInstanceUID)
                derived.append("PatientID")
            }
            studies[s].info = study
            studies[s].patient = patient
            for r in studies[s].series.indices {
                var info = studies[s].series[r].info
                var seriesDerived = derived
                if info.seriesInstanceUID.isEmpty {
                    let seriesPrint = Set(studies[s].series[r].stacks.flatMap { $0.slices.map(\.sopInstanceUID) }).sorted().joined(separator: "\\")
                    info.seriesInstanceUID = DerivedIdentity.uid("series|" + seriesPrint)
                    seriesDerived.append("SeriesInstanceUID")
                }
                if (info.frameOfReferenceUID ?? "").isEmpty {
                    info.frameOfReferenceUID = DerivedIdentity.uid("for|" + study.studyInstanceUID)
                    seriesDerived.append("FrameOfReferenceUID")
                }
                studies[s].series[r].info = info
                for k in studies[s].series[r].stacks.indices {
                    studies[s].series[r].stacks[k].patient = patient
                    studies[s].series[r].stacks[k].study = study
                    studies[s].series[r].stacks[k].series = info
                    let sliceDerived = studies[s].series[r].stacks[k].slices.contains(where: \.sopInstanceUIDDerived) ? ["SOPInstanceUID"] : []
                    studies[s].series[r].stacks[k].derivedIdentifiers = seriesDerived + sliceDerived
                }
            }
        }
    }
}
