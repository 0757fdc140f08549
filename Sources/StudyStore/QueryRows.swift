import Foundation

/// A row type printed by the query commands. `columns` is the CSV header and the order of the
/// fields; its names equal the JSON keys. `tableColumns` is the subset shown in the text table.
public protocol TabularRow: Encodable {
    static var columns: [String] { get }
    static var tableColumns: [String] { get }
}

/// One study with counts (`segstation studies`).
public struct StudySummary: TabularRow, Codable, Equatable, Sendable {
    public var patientID: String
    public var issuer: String
    public var studyInstanceUID: String
    public var studyDate: String?
    public var studyDescription: String?
    public var accessionNumber: String?
    /// Distinct modalities of its series, sorted, joined by "\".
    public var modalities: String
    public var seriesCount: Int
    public var runCount: Int
    public var completedRunCount: Int
    /// Folder name safe for reports (`StudyStore.safeFolderName`).
    public var folderName: String

    public static let columns = ["patientID", "issuer", "studyInstanceUID", "studyDate", "studyDescription",
                                 "accessionNumber", "modalities", "seriesCount", "runCount", "completedRunCount", "folderName"]
    public static let tableColumns = ["patientID", "studyDate", "modalities", "seriesCount", "runCount",
                                      "completedRunCount", "studyInstanceUID"]
}

/// One segmentation run (`segstation runs`, and the header of `segstation show`).
public struct RunSummary: TabularRow, Codable, Equatable, Sendable {
    public var runID: Int64
    /// Stored status, or `incomplete` for a `running` run whose process is gone.
    public var status: RunStatus
    public var patientID: String
    public var studyInstanceUID: String
    public var studyDate: String?
    public var seriesInstanceUID: String
    public var modality: String
    public var modelName: String
    public var modelVersion: String
    public var startedAt: Date
    public var endedAt: Date?
    public var durationSeconds: Double?
    public var lesionCount: Int
    public var errorMessage: String?

    public static let columns = ["runID", "status", "patientID", "studyInstanceUID", "studyDate", "seriesInstanceUID",
                                 "modality", "modelName", "modelVersion", "startedAt", "endedAt", "durationSeconds",
                                 "lesionCount", "errorMessage"]
    public static let tableColumns = ["runID", "status", "patientID", "studyDate", "modality", "modelName",
                                      "modelVersion", "startedAt", "durationSeconds", "lesionCount"]
}

/// One lesion with its context and every measurement (`segstation lesions`, `show`).
/// Centroid in patient LPS mm; bounding box in voxel indices.
public struct LesionRow: TabularRow, Codable, Equatable, Sendable {
    public var runID: Int64
    public var patientID: String
    public var studyInstanceUID: String
    public var studyDate: String?
    public var seriesInstanceUID: String
    public var frameOfReferenceUID: String?
    public var modelName: String
    public var labelValue: Int
    public var label: String
    public var lesionIndex: Int
    public var voxelCount: Int
    public var volumeML: Double
    public var meshVolumeML: Double?
    public var surfaceAreaMM2: Double?
    public var sphericity: Double?
    public var maxDiameter3DMM: Double?
    public var recistLongMM: Double?
    public var recistShortMM: Double?
    public var centroidXMM: Double
    public var centroidYMM: Double
    public var centroidZMM: Double
    public var bboxMinI: Int?
    public var bboxMinJ: Int?
    public var bboxMinK: Int?
    public var bboxMaxI: Int?
    public var bboxMaxJ: Int?
    public var bboxMaxK: Int?
    public var meanIntensity: Double?
    public var stdIntensity: Double?
    public var minIntensity: Double?
    public var maxIntensity: Double?
    public var medianIntensity: Double?
    public var touchesBorder: Bool
    public var extraJSON: String?

    public static let columns = [
        "runID", "patientID", "studyInstanceUID", "studyDate", "seriesInstanceUID", "frameOfReferenceUID", "modelName",
        "labelValue", "label", "lesionIndex", "voxelCount", "volumeML", "meshVolumeML", "surfaceAreaMM2",
        "sphericity", "maxDiameter3DMM", "recistLongMM", "recistShortMM", "centroidXMM", "centroidYMM",
        "centroidZMM", "bboxMinI", "bboxMinJ", "bboxMinK", "bboxMaxI", "bboxMaxJ", "bboxMaxK", "meanIntensity",
        "stdIntensity", "minIntensity", "maxIntensity", "medianIntensity", "touchesBorder", "extraJSON",
    ]
    public static let tableColumns = ["runID", "patientID", "studyDate", "label", "lesionIndex", "volumeML",
                                      "maxDiameter3DMM", "recistLongMM", "recistShortMM", "centroidXMM",
                                      "centroidYMM", "centroidZMM"]
}

/// Everything about one run (`segstation show RUN_ID`).
public struct RunDetail: Codable, Equatable, Sendable {
    public var run: RunSummary
    public var modelSHA256: String
    public var segstationVersion: String
    public var inputFingerprint: String
    /// The run's parameters, JSON object text as recorded.
    public var parametersJSON: String
    public var frameOfReferenceUID: String?
    public var hostname: String?
    public var pid: Int64?
    public var labels: [LabelInfo]
    public var lesions: [LesionRow]
    public var artefacts: [ArtefactInfo]
}
