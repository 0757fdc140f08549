import Foundation
import GRDB

/// One instance received by the DICOM listener (paths are hashed; see `segstation serve`).
public struct ReceivedInstance: Sendable {
    public var sopInstanceUID: String
    public var sopClassUID: String
    public var studyInstanceUID: String
    public var seriesInstanceUID: String
    public var modality: String
    public var seriesDescription: String
    public var bodyPartExamined: String
    public var imageType: String
    /// The series' folder and the instance's file, as stored.
    public var folder: String
    public var path: String
    public var bytes: Int64

    public init(sopInstanceUID: String, sopClassUID: String, studyInstanceUID: String, seriesInstanceUID: String, modality: String,
                seriesDescription: String, bodyPartExamined: String, imageType: String, folder: String, path: String, bytes: Int64) {
        self.sopInstanceUID = sopInstanceUID; self.sopClassUID = sopClassUID; self.studyInstanceUID = studyInstanceUID
        self.seriesInstanceUID = seriesInstanceUID; self.modality = modality; self.seriesDescription = seriesDescription
        self.bodyPartExamined = bodyPartExamined; self.imageType = imageType; self.folder = folder; self.path = path; self.bytes = bytes
    }
}

/// States of a received series: receiving (instances still arriving), waiting (routed, other channels
/// missing), routed (a job was queued), unmatched (no route: stored and listed, not segmented).
public enum ReceivedSeriesState: String, Codable, Sendable {
    case receiving, waiting, routed, unmatched
}

/// A received series as `GET /series` and the router see it.
public struct ReceivedSeriesRow: Codable, Sendable, Equatable {
    public var seriesInstanceUID: String
    public var studyInstanceUID: String
    public var modality: String
    public var seriesDescription: String
    public var bodyPartExamined: String
    public var imageType: String
    public var folder: String
    public var instanceCount: Int
    public var bytes: Int64
    public var firstReceivedAt: Date
    public var lastReceivedAt: Date
    public var state: ReceivedSeriesState
    public var route: String?
}

extension StudyStore {
    /// Records a received instance unless its SOP Instance UID is already held.
    /// - Returns: false when the instance was already held (the caller keeps the first copy).
    public func recordReceivedInstance(_ i: ReceivedInstance, now: Date = Date()) throws -> Bool {
        try StoreError.wrap("recording a received instance") {
            try writer.write { db in
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM received_instance WHERE sopInstanceUID = ?", arguments: [i.sopInstanceUID]) == true {
                    return false
                }
                try db.execute(sql: """
                    INSERT INTO received_series (seriesInstanceUID, studyInstanceUID, modality, seriesDescription, bodyPartExamined,
                                                 imageType, folder, firstReceivedAt, lastReceivedAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (seriesInstanceUID) DO NOTHING
                    """, arguments: [i.seriesInstanceUID, i.studyInstanceUID, i.modality, i.seriesDescription, i.bodyPartExamined,
                                     i.imageType, i.folder, now, now])
                let seriesRowID = try Int64.fetchOne(db, sql: "SELECT id FROM received_series WHERE seriesInstanceUID = ?",
                                                     arguments: [i.seriesInstanceUID])!
                try db.execute(sql: "INSERT INTO received_instance (sopInstanceUID, seriesRowID, sopClassUID, path, bytes, receivedAt) VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [i.sopInstanceUID, seriesRowID, i.sopClassUID, i.path, i.bytes, now])
                // A new instance re-opens the series: it is routed again once stable.
                try db.execute(sql: """
                    UPDATE received_series SET instanceCount = instanceCount + 1, bytes = bytes + ?, lastReceivedAt = ?, state = 'receiving'
                    WHERE id = ?
                    """, arguments: [i.bytes, now, seriesRowID])
                return true
            }
        }
    }

    static let receivedColumns = """
        seriesInstanceUID, studyInstanceUID, modality, seriesDescription, bodyPartExamined, imageType, folder,
        instanceCount, bytes, firstReceivedAt, lastReceivedAt, state, route
        """

    static func receivedRow(_ row: Row) -> ReceivedSeriesRow {
        ReceivedSeriesRow(seriesInstanceUID: row["seriesInstanceUID"], studyInstanceUID: row["studyInstanceUID"], modality: row["modality"],
                          seriesDescription: row["seriesDescription"], bodyPartExamined: row["bodyPartExamined"], imageType: row["imageType"],
                          folder: row["folder"], instanceCount: row["instanceCount"], bytes: row["bytes"],
                          firstReceivedAt: row["firstReceivedAt"], lastReceivedAt: row["lastReceivedAt"],
                          state: ReceivedSeriesState(rawValue: row["state"]) ?? .receiving, route: row["route"])
    }

    /// Series whose last instance arrived before `cutoff` and that still need a routing decision
    /// (receiving, or waiting for other channels).
    public func seriesToRoute(lastReceivedBefore cutoff: Date) throws -> [ReceivedSeriesRow] {
        try StoreError.wrap("listing stable series") {
            try writer.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT \(Self.receivedColumns) FROM received_series
                    WHERE state IN ('receiving', 'waiting') AND lastReceivedAt < ? ORDER BY id
                    """, arguments: [cutoff]).map(Self.receivedRow)
            }
        }
    }

    /// Received series of a study (all states), oldest first.
    public func receivedSeries(studyInstanceUID: String? = nil, limit: Int = 10_000) throws -> [ReceivedSeriesRow] {
        try StoreError.wrap("listing received series") {
            try writer.read { db in
                let filter = studyInstanceUID == nil ? "" : "WHERE studyInstanceUID = ?"
                let args: StatementArguments = studyInstanceUID.map { [$0, limit] } ?? [limit]
                return try Row.fetchAll(db, sql: "SELECT \(Self.receivedColumns) FROM received_series \(filter) ORDER BY id LIMIT ?",
                                        arguments: args).map(Self.receivedRow)
            }
        }
    }

    /// Sets the routing decision of a series, unless an instance arrived after `decidedAt` (then it stays receiving).
    public func setReceivedSeriesState(_ seriesUID: String, _ state: ReceivedSeriesState, route: String?, decidedAt: Date) throws {
        try StoreError.wrap("recording a routing decision") {
            try writer.write { db in
                try db.execute(sql: "UPDATE received_series SET state = ?, route = ? WHERE seriesInstanceUID = ? AND lastReceivedAt < ?",
                               arguments: [state.rawValue, route, seriesUID, decidedAt])
            }
        }
    }

    /// Count of received instances (for metrics at start-up).
    public func receivedInstanceCount() throws -> Int {
        try StoreError.wrap("counting received instances") {
            try writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM received_instance") ?? 0 }
        }
    }
}
