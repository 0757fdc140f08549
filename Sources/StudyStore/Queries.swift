import Core
import Foundation

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
    var arguments: [SQLValue] = []
    mutating func add(_ clause: String, _ values: [SQLValue]) {
        clauses.append(clause)
        arguments += values
    }
    var sql: String { clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ") }
}

extension StudyStore {
    public func studies(_ filter: StudyFilter = StudyFilter()) throws -> [StudySummary] {
        var c = Conditions()
        if let id = filter.patientID { c.add("p.patientID = ?", [id.sqlValue]) }
        if let m = filter.modality {
            c.add("EXISTS (SELECT 1 FROM series x WHERE x.studyRowID = s.id AND upper(x.modality) = upper(?))", [m.sqlValue])
        }
        if let since = filter.since { c.add("s.studyDate >= ?", [since.description.sqlValue]) }
        let sql = { (dialect: SQLDialect) in """
            SELECT p.patientID, p.issuer, s.studyInstanceUID, s.studyDate, s.studyDescription, s.accessionNumber,
              (SELECT \(dialect.groupConcat("m", separator: "\\")) FROM (SELECT DISTINCT modality AS m FROM series WHERE studyRowID = s.id ORDER BY m) AS ms) AS modalities,
              (SELECT count(*) FROM series WHERE studyRowID = s.id) AS seriesCount,
              (SELECT count(*) FROM run r JOIN series x ON x.id = r.seriesRowID WHERE x.studyRowID = s.id) AS runCount,
              (SELECT count(*) FROM run r JOIN series x ON x.id = r.seriesRowID
                 WHERE x.studyRowID = s.id AND r.status = 'completed') AS completedRunCount
            FROM study s JOIN patient p ON p.id = s.patientRowID
            \(c.sql)
            ORDER BY p.patientID, p.issuer, s.studyDate\(dialect.nullsFirst), s.id
            """ }
        return try read("listing studies") { s in
            try s.fetch(sql(s.dialect), c.arguments).map { row in
                let patientID = row.string("patientID") ?? "", studyUID = row.string("studyInstanceUID") ?? ""
                return StudySummary(patientID: patientID, issuer: row.string("issuer") ?? "",
                                    studyInstanceUID: studyUID, studyDate: row.string("studyDate"),
                                    studyDescription: row.string("studyDescription"), accessionNumber: row.string("accessionNumber"),
                                    modalities: row.string("modalities") ?? "", seriesCount: row.int("seriesCount") ?? 0,
                                    runCount: row.int("runCount") ?? 0, completedRunCount: row.int("completedRunCount") ?? 0,
                                    folderName: SafeNames.studyFolder(patientID: patientID, studyUID: studyUID))
            }
        }
    }

    public func runs(_ filter: RunFilter = RunFilter()) throws -> [RunSummary] {
        var c = Conditions()
        if let status = filter.status {
            let stored = status == .incomplete ? RunStatus.running : status
            c.add("r.status = ?", [stored.rawValue.sqlValue])
        }
        if let id = filter.patientID { c.add("p.patientID = ?", [id.sqlValue]) }
        if let uid = filter.studyInstanceUID { c.add("s.studyInstanceUID = ?", [uid.sqlValue]) }
        let rows = try read("listing runs") { s in try Self.fetchRunSummaries(s, c) }
        guard let status = filter.status else { return rows }
        return rows.filter { $0.status == status }
    }

    static let runSelect = """
        SELECT r.*, p.patientID, s.studyInstanceUID, s.studyDate, x.seriesInstanceUID, x.modality,
          x.frameOfReferenceUID, (SELECT count(*) FROM lesion l WHERE l.runID = r.id) AS lesionCount
        FROM run r JOIN series x ON x.id = r.seriesRowID JOIN study s ON s.id = x.studyRowID
        JOIN patient p ON p.id = s.patientRowID
        """

    static func fetchRunSummaries(_ s: any SQLSession, _ c: Conditions) throws -> [RunSummary] {
        let sql = "\(runSelect) \(c.sql) ORDER BY r.startedAt, r.id"
        return try s.fetch(sql, c.arguments).map { row in
            let run = try RunRecord(row: row)
            return RunSummary(runID: run.id, status: run.effectiveStatus, patientID: row.string("patientID") ?? "",
                              studyInstanceUID: row.string("studyInstanceUID") ?? "", studyDate: row.string("studyDate"),
                              seriesInstanceUID: row.string("seriesInstanceUID") ?? "", modality: row.string("modality") ?? "",
                              modelName: run.modelName, modelVersion: run.modelVersion, startedAt: run.startedAt,
                              endedAt: run.endedAt, durationSeconds: run.durationSeconds,
                              lesionCount: row.int("lesionCount") ?? 0, errorMessage: run.errorMessage)
        }
    }

    public func lesions(_ filter: LesionFilter = LesionFilter()) throws -> [LesionRow] {
        try read("listing lesions") { s in try Self.fetchLesions(s, filter) }
    }

    /// Everything about one run. Lesions are listed whatever the run's status (only completed
    /// runs have any).
    public func show(_ runID: RunID) throws -> RunDetail {
        try read("reading run \(runID)") { s in
            var c = Conditions()
            c.add("r.id = ?", [runID.sqlValue])
            guard let row = try s.fetch("\(Self.runSelect) \(c.sql)", c.arguments).first,
                  let summary = try Self.fetchRunSummaries(s, c).first else {
                throw StoreError.runNotFound(runID)
            }
            let run = try RunRecord(row: row)
            let labels = try s.fetch("SELECT value, name, colorHex, codesJSON FROM label WHERE runID = ? ORDER BY value", [runID.sqlValue])
                .map { LabelInfo(value: $0.int("value") ?? 0, name: $0.string("name") ?? "", colorHex: $0.string("colorHex"), codesJSON: $0.string("codesJSON")) }
            let artefacts = try s.fetch("SELECT path, kind, sha256, bytes FROM artefact WHERE runID = ? ORDER BY id", [runID.sqlValue])
                .map { ArtefactInfo(path: $0.string("path") ?? "", kind: ArtefactKind(rawValue: $0.string("kind") ?? "") ?? .mask,
                                    sha256: $0.string("sha256") ?? "", bytes: $0.int64("bytes") ?? 0) }
            let lesions = try Self.fetchLesions(s, LesionFilter(runID: runID), completedRunsOnly: false)
            return RunDetail(run: summary, modelSHA256: run.modelSHA256, segstationVersion: run.segstationVersion,
                             inputFingerprint: run.inputFingerprint, parametersJSON: run.parametersJSON,
                             frameOfReferenceUID: row.string("frameOfReferenceUID"), hostname: run.hostname, pid: run.pid,
                             labels: labels, lesions: lesions, artefacts: artefacts)
        }
    }
}
