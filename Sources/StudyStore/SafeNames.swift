import Crypto
import Foundation

extension StudyStore {
    /// A folder name for a study's reports and artefacts that never contains the patient ID or
    /// name: "p-" + 16 hex digits of SHA-256("segstation-patient\0" + patientID) + "_s-" + 16 hex
    /// digits of SHA-256("segstation-study\0" + studyUID). Only [a-z0-9_-]; 37 characters.
    ///
    /// Deterministic, so reruns land in the same folder. It is pseudonymisation, not anonymisation:
    /// someone who knows a patient ID can recompute the name (IDs are low-entropy), but the name
    /// does not reveal the ID. The database maps names back (`studies` prints `folderName`).
    public static func safeFolderName(patientID: String, studyUID: String) -> String {
        let patient = sha256Hex("segstation-patient\u{0}" + patientID).prefix(16)
        let study = sha256Hex("segstation-study\u{0}" + studyUID).prefix(16)
        return "p-\(patient)_s-\(study)"
    }

    /// Lower-case hex SHA-256 of `text`'s UTF-8 bytes (swift-crypto).
    static func sha256Hex(_ text: String) -> String {
        sha256Hex(Data(text.utf8))
    }

    /// Lower-case hex SHA-256 of `data` (swift-crypto).
    static func sha256Hex(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
