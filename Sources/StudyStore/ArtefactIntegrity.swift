import Foundation
import GRDB

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
    /// Every recorded artefact, oldest first.
    public func recordedArtefacts() throws -> [RecordedArtefact] {
        try StoreError.wrap("reading artefacts") {
            try writer.read { db in
                try Row.fetchAll(db, sql: "SELECT id, runID, path, kind, sha256, bytes, supersededByRunID FROM artefact ORDER BY id").map(Self.artefact)
            }
        }
    }

    /// Current (not superseded) artefacts recorded under `folder` (an absolute, resolved path), by runs
    /// other than `excluding`.
    public func currentArtefacts(inFolder folder: String, excluding: RunID? = nil) throws -> [RecordedArtefact] {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return try StoreError.wrap("reading the artefacts of \(folder)") {
            try writer.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT id, runID, path, kind, sha256, bytes, supersededByRunID FROM artefact
                    WHERE supersededByRunID IS NULL AND substr(path, 1, length(?)) = ? AND runID IS NOT ?
                    ORDER BY id
                    """, arguments: [prefix, prefix, excluding]).map(Self.artefact)
            }
        }
    }

    /// Marks the current artefacts other runs recorded under `folder` as superseded by `runID`
    /// (`segment --overwrite`), in one transaction. Returns how many rows changed.
    @discardableResult
    public func supersedeArtefacts(inFolder folder: String, by runID: RunID) throws -> Int {
        let prefix = folder.hasSuffix("/") ? folder : folder + "/"
        return try StoreError.wrap("marking the artefacts of \(folder) superseded") {
            try writer.write { db in
                try db.execute(sql: """
                    UPDATE artefact SET supersededByRunID = ?
                    WHERE supersededByRunID IS NULL AND substr(path, 1, length(?)) = ? AND runID != ?
                    """, arguments: [runID, prefix, prefix, runID])
                return db.changesCount
            }
        }
    }

    /// Records the new digest and size of an artefact file that was re-written (`report RUN`).
    /// - Returns: whether a row of `runID` with that path existed.
    @discardableResult
    public func updateArtefactDigest(runID: RunID, path: String, sha256: String, bytes: Int64) throws -> Bool {
        try StoreError.wrap("recording the new SHA-256 of \(path)") {
            try writer.write { db in
                try db.execute(sql: "UPDATE artefact SET sha256 = ?, bytes = ? WHERE runID = ? AND path = ?",
                               arguments: [sha256, bytes, runID, path])
                return db.changesCount > 0
            }
        }
    }

    /// Records why a run was forced past the model's stated modalities or body parts (`segment --force`).
    public func markForced(_ runID: RunID, reason: String) throws {
        try StoreError.wrap("recording that run \(runID) was forced") {
            try writer.write { db in
                try db.execute(sql: "UPDATE run SET forcedReason = ? WHERE id = ?", arguments: [reason, runID])
            }
        }
    }

    /// Why a run was forced, or nil.
    public func forcedReason(_ runID: RunID) throws -> String? {
        try StoreError.wrap("reading run \(runID)") {
            try writer.read { db in try String.fetchOne(db, sql: "SELECT forcedReason FROM run WHERE id = ?", arguments: [runID]) }
        }
    }

    static func artefact(_ row: Row) -> RecordedArtefact {
        RecordedArtefact(id: row["id"], runID: row["runID"], path: row["path"], kind: row["kind"], sha256: row["sha256"],
                         bytes: row["bytes"], supersededByRunID: row["supersededByRunID"])
    }
}
