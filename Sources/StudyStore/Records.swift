import Foundation
import GRDB

// One record type per table (see Schema.swift and docs/DATABASE.md). Column names equal property
// names. Dates are stored by GRDB as UTC text "YYYY-MM-DD HH:MM:SS.SSS".

/// A patient, identified by (patientID, issuer) as given by DICOM (issuer "" when absent).
struct PatientRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "patient"
    var id: Int64?
    var patientID: String
    var issuer: String
    var name: String?
    var birthDate: String?
    var sex: String?

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A study, identified by its StudyInstanceUID. `studyDate` is ISO "YYYY-MM-DD" (or nil).
struct StudyRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "study"
    var id: Int64?
    var patientRowID: Int64
    var studyInstanceUID: String
    var studyDate: String?
    var studyTime: String?
    var accessionNumber: String?
    var studyDescription: String?

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A series, identified by its SeriesInstanceUID.
struct SeriesRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "series"
    var id: Int64?
    var studyRowID: Int64
    var seriesInstanceUID: String
    var modality: String
    var seriesNumber: Int?
    var seriesDescription: String?
    var frameOfReferenceUID: String?

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One segmentation run of one model on one series. Status is the stored status; queries report
/// `incomplete` for a `running` run whose process is gone (see `RunLiveness`).
struct RunRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "run"
    var id: Int64?
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

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A label of a run's label map (value 1...255), with display colour "#RRGGBB" and coded concepts (JSON).
struct LabelRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "label"
    var id: Int64?
    var runID: Int64
    var value: Int
    var name: String
    var colorHex: String?
    var codesJSON: String?

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One connected lesion of one label in one run, with its measurements.
/// Centroid is in patient LPS millimetres; the bounding box in voxel indices (inclusive).
struct LesionRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "lesion"
    var id: Int64?
    var runID: Int64
    var labelID: Int64
    var lesionIndex: Int
    var voxelCount: Int
    var volumeML: Double
    var meshVolumeML: Double?
    var surfaceAreaMM2: Double?
    var sphericity: Double?
    var maxDiameter3DMM: Double?
    var recistLongMM: Double?
    var recistShortMM: Double?
    var centroidXMM: Double
    var centroidYMM: Double
    var centroidZMM: Double
    var bboxMinI: Int?
    var bboxMinJ: Int?
    var bboxMinK: Int?
    var bboxMaxI: Int?
    var bboxMaxJ: Int?
    var bboxMaxK: Int?
    var meanIntensity: Double?
    var stdIntensity: Double?
    var minIntensity: Double?
    var maxIntensity: Double?
    var medianIntensity: Double?
    var touchesBorder: Bool
    var extraJSON: String?

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// A file a run produced.
struct ArtefactRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "artefact"
    var id: Int64?
    var runID: Int64
    var path: String
    var kind: String
    var sha256: String
    var bytes: Int64

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
