import Foundation

extension StudyStore {
    /// The SQL behind `completedRun(inputFingerprint:modelSHA256:)` (`?` placeholders: fingerprint, model SHA-256).
    static let completedRunSQL = """
        SELECT id FROM run
        WHERE inputFingerprint = ? AND modelSHA256 = ? AND status = 'completed'
        ORDER BY id DESC LIMIT 1
        """

    /// The newest completed run of the model with weights `modelSHA256` on inputs with content
    /// fingerprint `inputFingerprint`, or nil: what `batch --resume` skips a case for.
    public func completedRun(inputFingerprint: String, modelSHA256: String) throws -> RunID? {
        try read("looking up completed runs") { s in
            try s.fetchOne(Self.completedRunSQL, [inputFingerprint.sqlValue, modelSHA256.sqlValue])?.int64("id")
        }
    }

    /// True when run `id` is completed, of the model with weights `modelSHA256`, on inputs with content
    /// fingerprint `inputFingerprint`: what `batch --resume` checks for the run a case's folder holds.
    public func isCompletedRun(_ id: RunID, inputFingerprint: String, modelSHA256: String) throws -> Bool {
        try read("looking up completed runs") { s in
            try s.fetchOne("""
                SELECT id FROM run
                WHERE id = ? AND inputFingerprint = ? AND modelSHA256 = ? AND status = 'completed'
                """, [id.sqlValue, inputFingerprint.sqlValue, modelSHA256.sqlValue]) != nil
        }
    }
}
