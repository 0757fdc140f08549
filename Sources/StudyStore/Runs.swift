import Foundation

public typealias RunID = Int64

extension StudyStore {
    /// Records the start of a run in one transaction: upserts the patient, study and series and
    /// inserts a `running` run owned by this process. Returns the run's ID.
    /// - Throws: `StoreError.identityConflict` when the study UID belongs to another patient or the
    ///   series UID to another study; `.invalidArgument` for empty identifiers, bad dates or JSON.
    public func beginRun(_ start: RunStart) throws -> RunID {
        try Self.validate(start)
        let owner = ProcessIdentity.current
        return try write("recording the start of a run") { s in
            let patientRowID = try Self.upsertPatient(start.patient, s)
            let studyRowID = try Self.upsertStudy(start.study, patientRowID: patientRowID, s)
            let seriesRowID = try Self.upsertSeries(start.series, studyRowID: studyRowID, s)
            return try s.insert("""
                INSERT INTO run (seriesRowID, status, startedAt, parametersJSON, modelName, modelVersion, modelSHA256,
                  segstationVersion, inputFingerprint, hostname, pid, processStartTicks, bootID, derivedIdentifiers)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, [seriesRowID.sqlValue, RunStatus.running.rawValue.sqlValue, start.startedAt.sqlValue, start.parametersJSON.sqlValue,
                      start.model.name.sqlValue, start.model.version.sqlValue, start.model.sha256.sqlValue,
                      start.segstationVersion.sqlValue, start.inputFingerprint.sqlValue, owner.hostname.sqlValue,
                      owner.pid.sqlValue, owner.startTicks.sqlValue, owner.bootID.sqlValue,
                      (start.derivedIdentifiers.isEmpty ? nil : start.derivedIdentifiers.joined(separator: ",")).sqlValue])
        }
    }

    /// Records a run's results and marks it `completed`, all in ONE transaction: either every
    /// label, lesion and artefact is stored and the run is completed, or nothing changes.
    /// - Throws: `StoreError.runNotFound`; `.runNotRunning` when the run is not `running`;
    ///   `.invalidArgument` for a lesion of an undeclared label, duplicate labels or bad JSON.
    /// - Parameter beforeCommit: runs inside the transaction after every row is written, just before
    ///   the commit (the crash tests stop the process there); an error it throws rolls back.
    public func completeRun(_ runID: RunID, _ result: RunResult, beforeCommit: () throws -> Void = {}) throws {
        try Self.validate(result)
        try write("recording the results of run \(runID)") { s in
            let startedAt = try Self.requireRunning(runID, s)
            var labelIDs: [Int: Int64] = [:]
            for label in result.labels {
                labelIDs[label.value] = try s.insert("INSERT INTO label (runID, value, name, colorHex, codesJSON) VALUES (?, ?, ?, ?, ?)",
                                                     [runID.sqlValue, label.value.sqlValue, label.name.sqlValue,
                                                      label.colorHex.sqlValue, label.codesJSON.sqlValue])
            }
            var rows: [[SQLValue]] = []
            for lesion in result.lesions {
                guard let labelID = labelIDs[lesion.labelValue] else {
                    throw StoreError.invalidArgument("lesion \(lesion.index) has label value \(lesion.labelValue), which is not among the run's labels")
                }
                rows.append(Self.lesionValues(lesion, runID: runID, labelID: labelID))
            }
            try Self.insertRows(table: "lesion", columns: Self.lesionInsertColumns, rows: rows, s)
            try Self.insertRows(table: "artefact", columns: ["runID", "path", "kind", "sha256", "bytes"],
                                rows: result.artefacts.map { [runID.sqlValue, $0.path.sqlValue, $0.kind.rawValue.sqlValue, $0.sha256.sqlValue, $0.bytes.sqlValue] }, s)
            try s.execute("UPDATE run SET status = ?, endedAt = ?, durationSeconds = ? WHERE id = ?",
                          [RunStatus.completed.rawValue.sqlValue, result.endedAt.sqlValue,
                           result.endedAt.timeIntervalSince(startedAt).sqlValue, runID.sqlValue])
            try beforeCommit()
        }
    }

    /// Marks a run `failed` with `message`. A failed run keeps no labels, lesions or artefacts
    /// (none were written: they are only written by `completeRun`).
    /// - Throws: `StoreError.runNotFound`; `.runNotRunning` when it already completed or failed.
    public func failRun(_ runID: RunID, message: String, endedAt: Date = Date()) throws {
        try write("recording the failure of run \(runID)") { s in
            let startedAt = try Self.requireRunning(runID, s)
            try s.execute("UPDATE run SET status = ?, errorMessage = ?, endedAt = ?, durationSeconds = ? WHERE id = ?",
                          [RunStatus.failed.rawValue.sqlValue, message.sqlValue, endedAt.sqlValue,
                           endedAt.timeIntervalSince(startedAt).sqlValue, runID.sqlValue])
        }
    }

    /// The run's start time; throws unless it is `running` (or `queued`).
    private static func requireRunning(_ runID: RunID, _ s: any SQLSession) throws -> Date {
        guard let run = try s.fetchOne("SELECT status, startedAt FROM run WHERE id = ?", [runID.sqlValue]) else {
            throw StoreError.runNotFound(runID)
        }
        let status = run.string("status") ?? ""
        guard status == RunStatus.running.rawValue || status == RunStatus.queued.rawValue else {
            throw StoreError.runNotRunning(runID: runID, status: status)
        }
        return run.date("startedAt") ?? Date()
    }

    // MARK: Upserts (inside the caller's transaction)

    private static func upsertPatient(_ info: PatientInfo, _ s: any SQLSession) throws -> Int64 {
        let birth = try info.birthDate.map { try Self.isoDate($0, field: "birth date") }
        if let id = try s.fetchOne("SELECT id FROM patient WHERE patientID = ? AND issuer = ?",
                                   [info.patientID.sqlValue, info.issuer.sqlValue])?.int64("id") {
            try s.execute("UPDATE patient SET name = coalesce(?, name), birthDate = coalesce(?, birthDate), sex = coalesce(?, sex) WHERE id = ?",
                          [info.name.sqlValue, birth.sqlValue, info.sex.sqlValue, id.sqlValue])
            return id
        }
        return try s.insert("INSERT INTO patient (patientID, issuer, name, birthDate, sex) VALUES (?, ?, ?, ?, ?)",
                            [info.patientID.sqlValue, info.issuer.sqlValue, info.name.sqlValue, birth.sqlValue, info.sex.sqlValue])
    }

    private static func upsertStudy(_ info: StudyInfo, patientRowID: Int64, _ s: any SQLSession) throws -> Int64 {
        let date = try info.studyDate.map { try Self.isoDate($0, field: "study date") }
        if let existing = try s.fetchOne("SELECT id, patientRowID FROM study WHERE studyInstanceUID = ?", [info.studyInstanceUID.sqlValue]),
           let id = existing.int64("id") {
            guard existing.int64("patientRowID") == patientRowID else {
                throw StoreError.identityConflict("study \(info.studyInstanceUID) is already recorded under another patient")
            }
            try s.execute("""
                UPDATE study SET studyDate = coalesce(?, studyDate), studyTime = coalesce(?, studyTime),
                  accessionNumber = coalesce(?, accessionNumber), studyDescription = coalesce(?, studyDescription) WHERE id = ?
                """, [date.sqlValue, info.studyTime.sqlValue, info.accessionNumber.sqlValue, info.description.sqlValue, id.sqlValue])
            return id
        }
        return try s.insert("""
            INSERT INTO study (patientRowID, studyInstanceUID, studyDate, studyTime, accessionNumber, studyDescription)
            VALUES (?, ?, ?, ?, ?, ?)
            """, [patientRowID.sqlValue, info.studyInstanceUID.sqlValue, date.sqlValue, info.studyTime.sqlValue,
                  info.accessionNumber.sqlValue, info.description.sqlValue])
    }

    private static func upsertSeries(_ info: SeriesInfo, studyRowID: Int64, _ s: any SQLSession) throws -> Int64 {
        if let existing = try s.fetchOne("SELECT id, studyRowID FROM series WHERE seriesInstanceUID = ?", [info.seriesInstanceUID.sqlValue]),
           let id = existing.int64("id") {
            guard existing.int64("studyRowID") == studyRowID else {
                throw StoreError.identityConflict("series \(info.seriesInstanceUID) is already recorded under another study")
            }
            try s.execute("""
                UPDATE series SET modality = ?, seriesNumber = coalesce(?, seriesNumber), seriesDescription = coalesce(?, seriesDescription),
                  frameOfReferenceUID = coalesce(?, frameOfReferenceUID) WHERE id = ?
                """, [info.modality.sqlValue, info.seriesNumber.sqlValue, info.description.sqlValue,
                      info.frameOfReferenceUID.sqlValue, id.sqlValue])
            return id
        }
        return try s.insert("""
            INSERT INTO series (studyRowID, seriesInstanceUID, modality, seriesNumber, seriesDescription, frameOfReferenceUID)
            VALUES (?, ?, ?, ?, ?, ?)
            """, [studyRowID.sqlValue, info.seriesInstanceUID.sqlValue, info.modality.sqlValue, info.seriesNumber.sqlValue,
                  info.description.sqlValue, info.frameOfReferenceUID.sqlValue])
    }

    // MARK: Lesion rows

    static let lesionInsertColumns = [
        "runID", "labelID", "lesionIndex", "voxelCount", "volumeML", "meshVolumeML", "surfaceAreaMM2", "sphericity",
        "maxDiameter3DMM", "recistLongMM", "recistShortMM", "centroidXMM", "centroidYMM", "centroidZMM",
        "bboxMinI", "bboxMinJ", "bboxMinK", "bboxMaxI", "bboxMaxJ", "bboxMaxK", "meanIntensity", "stdIntensity",
        "minIntensity", "maxIntensity", "medianIntensity", "touchesBorder", "extraJSON", "detectionScoreMean", "detectionScoreMax",
    ]

    static func lesionValues(_ info: LesionInfo, runID: Int64, labelID: Int64) -> [SQLValue] {
        let box = info.bboxIJK
        let c = info.centroidLPSMM
        return [runID.sqlValue, labelID.sqlValue, info.index.sqlValue, info.voxelCount.sqlValue, info.volumeML.sqlValue,
                info.meshVolumeML.sqlValue, info.surfaceAreaMM2.sqlValue, info.sphericity.sqlValue, info.maxDiameter3DMM.sqlValue,
                info.recistLongMM.sqlValue, info.recistShortMM.sqlValue, c[0].sqlValue, c[1].sqlValue, c[2].sqlValue,
                box?[0].sqlValue ?? .null, box?[1].sqlValue ?? .null, box?[2].sqlValue ?? .null,
                box?[3].sqlValue ?? .null, box?[4].sqlValue ?? .null, box?[5].sqlValue ?? .null,
                info.meanIntensity.sqlValue, info.stdIntensity.sqlValue, info.minIntensity.sqlValue, info.maxIntensity.sqlValue,
                info.medianIntensity.sqlValue, info.touchesBorder.sqlValue, info.extraJSON.sqlValue,
                info.detectionScoreMean.sqlValue, info.detectionScoreMax.sqlValue]
    }

    /// Multi-row INSERTs of up to 500 rows (under both backends' bound-parameter limits): one
    /// round trip per 500 lesions to a PostgreSQL server instead of one per lesion.
    static func insertRows(table: String, columns: [String], rows: [[SQLValue]], _ s: any SQLSession) throws {
        let chunk = 500
        let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        var start = 0
        while start < rows.count {
            let part = rows[start..<min(start + chunk, rows.count)]
            let sql = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
                + Array(repeating: tuple, count: part.count).joined(separator: ", ")
            try s.execute(sql, part.flatMap { $0 })
            start += chunk
        }
    }
}
