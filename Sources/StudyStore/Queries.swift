import Core
import Foundation
import GRDB

/// Filters of `studies`; nil means "any". `since` is inclusive; studies without a date never match
/// it. Modality compares case-insensitively.
public struct StudyFilter: Sendable {
    public var patientID: String?
    public var modality: String?
    public var since: ISODate?
    public init(patientID: String? = nil, modality: String? = nil, since: ISODate? = nil) {
        self.patientID = patientID; self.modality = modality; self.since = since
    }
}

/// Filters of `runs`. `status` may be `incomplete` or `running` (decided per run, see `RunStatus`).
public struct RunFilter: Sendable {
    public var status: RunStatus?
    public var patientID: String?
    public var studyInstanceUID: String?
    public init(status: RunStatus? = nil, patientID: String? = nil, studyInstanceUID: String? = nil) {
        self.status = status; self.patientID = patientID; self.studyInstanceUID = studyInstanceUID
    }
}

/// Filters of `lesions`: lesions of completed runs only. `label` compares case-insensitively;
/// `minVolumeML` is inclusive. `latestRunsOnly` keeps, per series and model, only the latest
/// completed run (re-runs otherwise list the same lesion once per run).
public struct LesionFilter: Sendable {
    public var patientID: String?
    public var minVolumeML: Double?
    public var label: String?
    public var runID: RunID?
    public var latestRunsOnly: Bool
    public init(patientID: String? = nil, minVolumeML: Double? = nil, label: String? = nil, runID: RunID? = nil,
                latestRunsOnly: Bool = false) {
        self.patientID = patientID; self.minVolumeML = minVolumeML; self.label = label; self.runID = runID
        self.latestRunsOnly = latestRunsOnly
    }
}

/// SQL conditions built from only the filters present, so SQLite can use the indexes
/// (an "(? IS NULL OR col = ?)" form would defeat them).
struct Conditions {
    var clauses: [String] = []
    var arguments = StatementArguments()
    mutating func add(_ clause: String, _ values: [(any DatabaseValueConvertible)?]) {
        clauses.append(clause)
        arguments += StatementArguments(values)
    }
    var sql: String { clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ") }
}

extension StudyStore {
    public func studies(_ filter: StudyFilter = StudyFilter()) throws -> [StudySummary] {
        var c = Conditions()
        if let id = filter.patientID { c.add("p.patientID = ?", [id]) }
        if let m = filter.modality {
            c.add("EXISTS (SELECT 1 FROM series x WHERE x.studyRowID = s.id AND x.modality = ? COLLATE NOCASE)", [m])
        }
        if let since = filter.since { c.add("s.studyDate >= ?", [since.description]) }
        let sql = """
            SELECT p.patientID, p.issuer, s.studyInstanceUID, s.studyDate, s.studyDescription, s.accessionNumber,
              (SELECT group_concat(m, '\\') FROM (SELECT DISTINCT modality AS m FROM series WHERE studyRowID = s.id ORDER BY m)) AS modalities,
              (SELECT count(*) FROM series WHERE studyRowID = s.id) AS seriesCount,
              (SELECT count(*) FROM run r JOIN series x ON x.id = r.seriesRowID WHERE x.studyRowID = s.id) AS runCount,
              (SELECT count(*) FROM run r JOIN series x ON x.id = r.seriesRowID
                 WHERE x.studyRowID = s.id AND r.status = 'completed') AS completedRunCount
            FROM study s JOIN patient p ON p.id = s.patientRowID
            \(c.sql)
            ORDER BY p.patientID, p.issuer, s.studyDate, s.id
            """
        return try StoreError.wrap("listing studies") {
            try writer.read { db in
                try Row.fetchAll(db, sql: sql, arguments: c.arguments).map { row in
                    StudySummary(patientID: row["patientID"], issuer: row["issuer"],
                                 studyInstanceUID: row["studyInstanceUID"], studyDate: row["studyDate"],
                                 studyDescription: row["studyDescription"], accessionNumber: row["accessionNumber"],
                                 modalities: row["modalities"] ?? "", seriesCount: row["seriesCount"],
                                 runCount: row["runCount"], completedRunCount: row["completedRunCount"],
                                 folderName: SafeNames.studyFolder(patientID: row["patientID"], studyUID: row["studyInstanceUID"]))
                }
            }
        }
    }

    public func runs(_ filter: RunFilter = RunFilter()) throws -> [RunSummary] {
        var c = Conditions()
        if let status = filter.status {
            let stored = status == .incomplete ? RunStatus.running : status
            c.add("r.status = ?", [stored.rawValue])
        }
        if let id = filter.patientID { c.add("p.patientID = ?", [id]) }
        if let uid = filter.studyInstanceUID { c.add("s.studyInstanceUID = ?", [uid]) }
        let rows = try StoreError.wrap("listing runs") {
            try writer.read { db in try Self.fetchRunSummaries(db, c) }
        }
        guard let status = filter.status else { return rows }
        return rows.filter { $0.status == status }
    }

    static let runSelect = """
        SELECT r.*, p.patientID, s.studyInstanceUID, s.studyDate, x.seriesInstanceUID, x.modality,
          x.frameOfReferenceUID, (SELECT count(*) FROM lesion l WHERE l.runID = r.id) AS lesionCount
        FROM run r JOIN series x ON x.id = r.seriesRowID JOIN study s ON s.id = x.studyRowID
        JOIN patient p ON p.id = s.patientRowID
        """

    static func fetchRunSummaries(_ db: Database, _ c: Conditions) throws -> [RunSummary] {
        let sql = "\(runSelect) \(c.sql) ORDER BY r.startedAt, r.id"
        return try Row.fetchAll(db, sql: sql, arguments: c.arguments).map { row in
            let run = try RunRecord(row: row)
            return RunSummary(runID: run.id!, status: run.effectiveStatus, patientID: row["patientID"],
                              studyInstanceUID: row["studyInstanceUID"], studyDate: row["studyDate"],
                              seriesInstanceUID: row["seriesInstanceUID"], modality: row["modality"],
                              modelName: run.modelName, modelVersion: run.modelVersion, startedAt: run.startedAt,
                              endedAt: run.endedAt, durationSeconds: run.durationSeconds,
                              lesionCount: row["lesionCount"], errorMessage: run.errorMessage)
        }
    }

    public func lesions(_ filter: LesionFilter = LesionFilter()) throws -> [LesionRow] {
        try StoreError.wrap("listing lesions") {
            try writer.read { db in try Self.fetchLesions(db, filter) }
        }
    }

    /// Everything about one run. Lesions are listed whatever the run's status (only completed
    /// runs have any).
    public func show(_ runID: RunID) throws -> RunDetail {
        try StoreError.wrap("reading run \(runID)") {
            try writer.read { db in
                var c = Conditions()
                c.add("r.id = ?", [runID])
                guard let summary = try Self.fetchRunSummaries(db, c).first,
                      let run = try RunRecord.fetchOne(db, key: runID),
                      let series = try SeriesRecord.fetchOne(db, key: run.seriesRowID) else {
                    throw StoreError.runNotFound(runID)
                }
                let labels = try LabelRecord.filter(Column("runID") == runID).order(Column("value")).fetchAll(db)
                    .map { LabelInfo(value: $0.value, name: $0.name, colorHex: $0.colorHex, codesJSON: $0.codesJSON) }
                let artefacts = try ArtefactRecord.filter(Column("runID") == runID).order(Column("id")).fetchAll(db)
                    .map { ArtefactInfo(path: $0.path, kind: ArtefactKind(rawValue: $0.kind) ?? .mask, sha256: $0.sha256, bytes: $0.bytes) }
                let lesions = try Self.fetchLesions(db, LesionFilter(runID: runID), completedRunsOnly: false)
                return RunDetail(run: summary, modelSHA256: run.modelSHA256, segstationVersion: run.segstationVersion,
                                 inputFingerprint: run.inputFingerprint, parametersJSON: run.parametersJSON,
                                 frameOfReferenceUID: series.frameOfReferenceUID, hostname: run.hostname, pid: run.pid,
                                 labels: labels, lesions: lesions, artefacts: artefacts)
            }
        }
    }
}
