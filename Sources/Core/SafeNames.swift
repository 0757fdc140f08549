/// Names derived from patient data that are safe to show in paths.
public enum SafeNames {
    /// The folder name of a study's reports and artefacts, which never contains the patient ID or
    /// name: "p-" + 16 hex digits of SHA-256("segstation-patient\0" + patientID) + "_s-" + 16 hex
    /// digits of SHA-256("segstation-study\0" + studyUID). Only [a-z0-9_-]; 37 characters.
    ///
    /// Deterministic, so reruns land in the same folder. It is pseudonymisation, not anonymisation:
    /// someone who knows a patient ID can recompute the name (IDs are low-entropy), but the name does
    /// not reveal the ID. The study database maps names back (`studies` prints `folderName`).
    public static func studyFolder(patientID: String, studyUID: String) -> String {
        let patient = Digest.sha256Hex("segstation-patient\u{0}" + patientID).prefix(16)
        let study = Digest.sha256Hex("segstation-study\u{0}" + studyUID).prefix(16)
        return "p-\(patient)_s-\(study)"
    }

    /// `Reports/<studyFolder>/run-<run id>`, relative: the default output folder of a run (its
    /// artefacts and report). Characters of the run id outside `[A-Za-z0-9._-]` become `_`.
    public static func runFolder(patientID: String, studyUID: String, runID: String) -> String {
        let safeRun = String(runID.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
        return "Reports/\(studyFolder(patientID: patientID, studyUID: studyUID))/run-\(safeRun.isEmpty ? "_" : safeRun)"
    }
}
