import Foundation

/// An artefact row as recorded, for `segstation verify` and output-folder ownership.
public struct RecordedArtefact: Sendable, Codable, Equatable {
    public var id: Int64
    public var runID: RunID
    public var path: String
    public var kind: String
    public var sha256: String
    public var bytes: Int64
    /// The run that replaced this file (`segment --overwrite`), or nil while it is current.
    public var supersededByRunID: RunID?
}

extension StudyStore {
    static let artefactColumns = "id, runID, path, kind, sha256, bytes, supersededByRunID"

    /// Every recorded artefact, oldest first.
    public func recordedArtefacts() throws -> [RecordedArtefact] {
        try read("reading artefacts") { s in
            try s.fetch("SELECT \(Self.artefactColumns) FROM artefact ORDER BY id", []).map(Self.artefact)
        }
    }

    /// Current (not superseded) artefacts recorded under `folder` (an absolute, resolved path), by runs
    /// other than `excluding`.
    public func currentArtefacts(inFolder folder: String, excluding: RunID? = nil) throws -> [RecordedArtefact] {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        var arguments: [SQLValue] = [prefix.sqlValue, prefix.sqlValue]
        if let excluding { arguments.append(excluding.sqlValue) }
        return try read("reading the artefacts of \(folder)") { s in
            try s.fetch("""
                SELECT \(Self.artefactColumns) FROM artefact
                WHERE supersededByRunID IS NULL AND substr(path, 1, length(?)) = ?\(excluding == nil ? "" : " AND runID != ?")
                ORDER BY id
                """, arguments).map(Self.artefact)
        }
    }

    /// Marks the current artefacts other runs recorded under `folder` as superseded by `runID`
    /// (`segment --overwrite`), in one transaction. Returns how many rows changed.
    @discardableResult
    public func supersedeArtefacts(inFolder folder: String, by runID: RunID) throws -> Int {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return try write("marking the artefacts of \(folder) superseded") { s in
            try s.fetch("""
                UPDATE artefact SET supersededByRunID = ?
                WHERE supersededByRunID IS NULL AND substr(path, 1, length(?)) = ? AND runID != ?
                RETURNING id
                """, [runID.sqlValue, prefix.sqlValue, prefix.sqlValue, runID.sqlValue]).count
        }
    }

    /// Records the new digest and size of an artefact file that was re-written (`report RUN`).
    /// - Returns: whether a row of `runID` with that path existed.
    @discardableResult
    public func updateArtefactDigest(runID: RunID, path: String, sha256: String, bytes: Int64) throws -> Bool {
        try write("recording the new SHA-256 of \(path)") { s in
            !(try s.fetch("UPDATE artefact SET sha256 = ?, bytes = ? WHERE runID = ? AND path = ? RETURNING id",
                          [sha256.sqlValue, bytes.sqlValue, runID.sqlValue, path.sqlValue]).isEmpty)
        }
    }

    /// Records why a run was forced past the model's stated modalities or body parts (`segment --force`).
    public func markForced(_ runID: RunID, reason: String) throws {
        try write("recording that run \(runID) was forced") { s in
            try s.execute("UPDATE run SET forcedReason = ? WHERE id = ?", [reason.sqlValue, runID.sqlValue])
        }
    }

    /// Why a run was forced, or nil.
    public func forcedReason(_ runID: RunID) throws -> String? {
        try read("reading run \(runID)") { s in
            try s.fetchOne("SELECT forcedReason FROM run WHERE id = ?", [runID.sqlValue])?.string("forcedReason")
        }
    }

    static func artefact(_ row: SQLRow) -> RecordedArtefact {
        RecordedArtefact(id: row.int64("id") ?? 0, runID: row.int64("runID") ?? 0, path: row.string("path") ?? "",
                         kind: row.string("kind") ?? "", sha256: row.string("sha256") ?? "", bytes: row.int64("bytes") ?? 0,
                         supersededByRunID: row.int64("supersededByRunID"))
    }
}
