import Foundation

/// One study with counts (`segstation studies`).
public struct StudySummary: Codable, Equatable, Sendable {
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
    /// Folder name safe for reports (`Core.SafeNames.studyFolder`).
    public var folderName: String

}

/// One segmentation run (`segstation runs`, and the header of `segstation show`).
public struct RunSummary: Codable, Equatable, Sendable {
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

}

/// One lesion with its context and every measurement (`segstation lesions`, `show`).
/// Centroid in patient LPS mm; bounding box in voxel indices.
public struct LesionRow: Codable, Equatable, Sendable {
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
    /// An instance model's detection score, mean and maximum over the lesion's slice detections.
    public var detectionScoreMean: Double? = nil
    public var detectionScoreMax: Double? = nil
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
