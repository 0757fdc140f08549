import Foundation

// The tables are described in Schema.swift and docs/DATABASE.md. Dates are stored as UTC text
// "YYYY-MM-DD HH:MM:SS.SSS" (GRDB's format, kept on PostgreSQL too: `SQLValue.date`).

/// One segmentation run of one model on one series, as stored. Status is the stored status;
/// queries report `incomplete` for a `running` run whose process is gone (see `RunLiveness`).
struct RunRecord {
    var id: Int64
    var seriesRowID: Int64
    var status: String
    var startedAt: Date
    var endedAt: Date?
    var durationSeconds: Double?
    var parametersJSON: String
    var modelName: String
    var modelVersion: String
    var modelSHA256: String
    var segstationVersion: String
    var inputFingerprint: String
    var errorMessage: String?
    // Since v3-run-liveness: who runs it (nil for runs recorded before v3).
    var hostname: String?
    var pid: Int64?
    var processStartTicks: Int64?
    var bootID: String?
    /// Since i11-derived-identity: derived identifiers, comma-separated (nil when none).
    var derivedIdentifiers: String?

    /// Decodes the `run` columns of a row (`SELECT r.* ...`).
    init(row: SQLRow) throws {
        guard let id = row.int64("id"), let seriesRowID = row.int64("seriesRowID"), let status = row.string("status"),
              let startedAt = row.date("startedAt") else {
            throw StoreError.sqlite(operation: "reading a run", message: "a run row lacks its id, series, status or start time")
        }
        self.id = id; self.seriesRowID = seriesRowID; self.status = status; self.startedAt = startedAt
        endedAt = row.date("endedAt")
        durationSeconds = row.double("durationSeconds")
        parametersJSON = row.string("parametersJSON") ?? "{}"
        modelName = row.string("modelName") ?? ""
        modelVersion = row.string("modelVersion") ?? ""
        modelSHA256 = row.string("modelSHA256") ?? ""
        segstationVersion = row.string("segstationVersion") ?? ""
        inputFingerprint = row.string("inputFingerprint") ?? ""
        errorMessage = row.string("errorMessage")
        hostname = row.string("hostname")
        pid = row.int64("pid")
        processStartTicks = row.int64("processStartTicks")
        bootID = row.string("bootID")
        derivedIdentifiers = row.string("derivedIdentifiers")
    }
}
