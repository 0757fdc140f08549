import Foundation
import GRDB

public typealias RunID = Int64

extension StudyStore {
    /// Records the start of a run in one transaction: upserts the patient, study and series and
    /// inserts a `running` run owned by this process. Returns the run's ID.
    /// - Throws: `StoreError.identityConflict` when the study UID belongs to another patient or the
    ///   series UID to another study; `.invalidArgument` for empty identifiers, bad dates or JSON.
    public func beginRun(_ start: RunStart) throws -> RunID {
        try Self.validate(start)
        let owner = ProcessIdentity.current
        return try StoreError.wrap("recording the start of a run") {
            try writer.write { db in
                let patientRowID = try upsertPatient(start.patient, db)
                let studyRowID = try upsertStudy(start.study, patientRowID: patientRowID, db)
                let seriesRowID = try upsertSeries(start.series, studyRowID: studyRowID, db)
                var run = RunRecord(
                    id: nil, seriesRowID: seriesRowID, status: RunStatus.running.rawValue,
                    startedAt: start.startedAt, endedAt: nil, durationSeconds: nil,
                    parametersJSON: start.parametersJSON, modelName: start.model.name,
                    modelVersion: start.model.version, modelSHA256: start.model.sha256,
                    segstationVersion: start.segstationVersion, inputFingerprint: start.inputFingerprint,
                    errorMessage: nil, hostname: owner.hostname, pid: owner.pid,
                    processStartTicks: owner.startTicks, bootID: owner.bootID,
                    derivedIdentifiers: start.derivedIdentifiers.isEmpty ? nil : start.derivedIdentifiers.joined(separator: ","))
                try run.insert(db)
                return run.id!
            }
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
        try StoreError.wrap("recording the results of run \(runID)") {
            try writer.write { db in
                var run = try requireRunning(runID, db)
                var labelIDs: [Int: Int64] = [:]
                for label in result.labels {
                    var record = LabelRecord(id: nil, runID: runID, value: label.value, name: label.name,
                                             colorHex: label.colorHex, codesJSON: label.codesJSON)
                    try record.insert(db)
                    labelIDs[label.value] = record.id!
                }
                for lesion in result.lesions {
                    guard let labelID = labelIDs[lesion.labelValue] else {
                        throw StoreError.invalidArgument("lesion \(lesion.index) has label value \(lesion.labelValue), which is not among the run's labels")
                    }
                    var record = LesionRecord(lesion, runID: runID, labelID: labelID)
                    try record.insert(db)
                }
                for artefact in result.artefacts {
                    var record = ArtefactRecord(id: nil, runID: runID, path: artefact.path, kind: artefact.kind.rawValue,
                                                sha256: artefact.sha256, bytes: artefact.bytes)
                    try record.insert(db)
                }
                run.status = RunStatus.completed.rawValue
                run.endedAt = result.endedAt
                run.durationSeconds = result.endedAt.timeIntervalSince(run.startedAt)
                try run.update(db)
                try beforeCommit()
            }
        }
    }

    /// Marks a run `failed` with `message`. A failed run keeps no labels, lesions or artefacts
    /// (none were written: they are only written by `completeRun`).
    /// - Throws: `StoreError.runNotFound`; `.runNotRunning` when it already completed or failed.
    public func failRun(_ runID: RunID, message: String, endedAt: Date = Date()) throws {
        try StoreError.wrap("recording the failure of run \(runID)") {
            try writer.write { db in
                var run = try requireRunning(runID, db)
                run.status = RunStatus.failed.rawValue
                run.errorMessage = message
                run.endedAt = endedAt
                run.durationSeconds = endedAt.timeIntervalSince(run.startedAt)
                try run.update(db)
            }
        }
    }

    private func requireRunning(_ runID: RunID, _ db: Database) throws -> RunRecord {
        guard let run = try RunRecord.fetchOne(db, key: runID) else { throw StoreError.runNotFound(runID) }
        guard run.status == RunStatus.running.rawValue || run.status == RunStatus.queued.rawValue else {
            throw StoreError.runNotRunning(runID: runID, status: run.status)
        }
        return run
    }

    // MARK: Upserts (inside the caller's transaction)

    private func upsertPatient(_ info: PatientInfo, _ db: Database) throws -> Int64 {
        let birth = try info.birthDate.map { try Self.isoDate($0, field: "birth date") }
        if var existing = try PatientRecord.filter(Column("patientID") == info.patientID && Column("issuer") == info.issuer).fetchOne(db) {
            existing.name = info.name ?? existing.name
            existing.birthDate = birth ?? existing.birthDate
            existing.sex = info.sex ?? existing.sex
            try existing.update(db)
            return existing.id!
        }
        var record = PatientRecord(id: nil, patientID: info.patientID, issuer: info.issuer, name: info.name,
                                   birthDate: birth, sex: info.sex)
        try record.insert(db)
        return record.id!
    }

    private func upsertStudy(_ info: StudyInfo, patientRowID: Int64, _ db: Database) throws -> Int64 {
        let date = try info.studyDate.map { try Self.isoDate($0, field: "study date") }
        if var existing = try StudyRecord.filter(Column("studyInstanceUID") == info.studyInstanceUID).fetchOne(db) {
            guard existing.patientRowID == patientRowID else {
                throw StoreError.identityConflict("study \(info.studyInstanceUID) is already recorded under another patient")
            }
            existing.studyDate = date ?? existing.studyDate
            existing.studyTime = info.studyTime ?? existing.studyTime
            existing.accessionNumber = info.accessionNumber ?? existing.accessionNumber
            existing.studyDescription = info.description ?? existing.studyDescription
            try existing.update(db)
            return existing.id!
        }
        var record = StudyRecord(id: nil, patientRowID: patientRowID, studyInstanceUID: info.studyInstanceUID,
                                 studyDate: date, studyTime: info.studyTime, accessionNumber: info.accessionNumber,
                                 studyDescription: info.description)
        try record.insert(db)
        return record.id!
    }

    private func upsertSeries(_ info: SeriesInfo, studyRowID: Int64, _ db: Database) throws -> Int64 {
        if var existing = try SeriesRecord.filter(Column("seriesInstanceUID") == info.seriesInstanceUID).fetchOne(db) {
            guard existing.studyRowID == studyRowID else {
                throw StoreError.identityConflict("series \(info.seriesInstanceUID) is already recorded under another study")
            }
            existing.modality = info.modality
            existing.seriesNumber = info.seriesNumber ?? existing.seriesNumber
            existing.seriesDescription = info.description ?? existing.seriesDescription
            existing.frameOfReferenceUID = info.frameOfReferenceUID ?? existing.frameOfReferenceUID
            try existing.update(db)
            return existing.id!
        }
        var record = SeriesRecord(id: nil, studyRowID: studyRowID, seriesInstanceUID: info.seriesInstanceUID,
                                  modality: info.modality, seriesNumber: info.seriesNumber,
                                  seriesDescription: info.description, frameOfReferenceUID: info.frameOfReferenceUID)
        try record.insert(db)
        return record.id!
    }
}

extension LesionRecord {
    init(_ info: LesionInfo, runID: Int64, labelID: Int64) {
        let box = info.bboxIJK
        self.init(id: nil, runID: runID, labelID: labelID, lesionIndex: info.index, voxelCount: info.voxelCount,
                  volumeML: info.volumeML, meshVolumeML: info.meshVolumeML, surfaceAreaMM2: info.surfaceAreaMM2,
                  sphericity: info.sphericity, maxDiameter3DMM: info.maxDiameter3DMM,
                  recistLongMM: info.recistLongMM, recistShortMM: info.recistShortMM,
                  centroidXMM: info.centroidLPSMM[0], centroidYMM: info.centroidLPSMM[1], centroidZMM: info.centroidLPSMM[2],
                  bboxMinI: box?[0], bboxMinJ: box?[1], bboxMinK: box?[2],
                  bboxMaxI: box?[3], bboxMaxJ: box?[4], bboxMaxK: box?[5],
                  meanIntensity: info.meanIntensity, stdIntensity: info.stdIntensity,
                  minIntensity: info.minIntensity, maxIntensity: info.maxIntensity,
                  medianIntensity: info.medianIntensity, touchesBorder: info.touchesBorder, extraJSON: info.extraJSON)
    }
}
