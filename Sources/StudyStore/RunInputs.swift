import Core
import Foundation

// What the pipeline hands the store: `RunStart` at the start of `segment`, `RunResult` at its end.

/// Patient identity and demographics. Identity is (patientID, issuer); the other fields update
/// the stored patient when given (nil leaves the stored value).
public struct PatientInfo: Codable, Equatable, Sendable {
    public var patientID: String
    /// Issuer of Patient ID (0010,0021); "" when absent.
    public var issuer: String
    public var name: String?
    /// ISO "YYYY-MM-DD" or DICOM "YYYYMMDD".
    public var birthDate: String?
    public var sex: String?

    public init(patientID: String, issuer: String = "", name: String? = nil, birthDate: String? = nil, sex: String? = nil) {
        self.patientID = patientID; self.issuer = issuer; self.name = name
        self.birthDate = birthDate; self.sex = sex
    }
}

/// A study, identified by StudyInstanceUID.
public struct StudyInfo: Codable, Equatable, Sendable {
    public var studyInstanceUID: String
    /// ISO "YYYY-MM-DD" or DICOM "YYYYMMDD" (stored as ISO).
    public var studyDate: String?
    /// DICOM "HHMMSS[.ffffff]".
    public var studyTime: String?
    public var accessionNumber: String?
    public var description: String?

    public init(studyInstanceUID: String, studyDate: String? = nil, studyTime: String? = nil,
                accessionNumber: String? = nil, description: String? = nil) {
        self.studyInstanceUID = studyInstanceUID; self.studyDate = studyDate; self.studyTime = studyTime
        self.accessionNumber = accessionNumber; self.description = description
    }
}

/// A series, identified by SeriesInstanceUID. `frameOfReferenceUID` decides whether lesion
/// centroids of two studies may be compared (see `StudyStore.history`).
public struct SeriesInfo: Codable, Equatable, Sendable {
    public var seriesInstanceUID: String
    public var modality: String
    public var seriesNumber: Int?
    public var description: String?
    public var frameOfReferenceUID: String?

    public init(seriesInstanceUID: String, modality: String, seriesNumber: Int? = nil,
                description: String? = nil, frameOfReferenceUID: String? = nil) {
        self.seriesInstanceUID = seriesInstanceUID; self.modality = modality; self.seriesNumber = seriesNumber
        self.description = description; self.frameOfReferenceUID = frameOfReferenceUID
    }
}

/// The model that segments: name, version and SHA-256 (hex) of its weights file.
public struct ModelInfo: Codable, Equatable, Sendable {
    public var name: String
    public var version: String
    public var sha256: String

    public init(name: String, version: String, sha256: String) {
        self.name = name; self.version = version; self.sha256 = sha256
    }
}

/// Everything known when a run starts.
public struct RunStart: Sendable {
    public var patient: PatientInfo
    public var study: StudyInfo
    public var series: SeriesInfo
    public var model: ModelInfo
    /// The run's parameters as a JSON object text (validated).
    public var parametersJSON: String
    /// A digest of the input (e.g. SHA-256 over the sorted SOP Instance UIDs or the input file).
    public var inputFingerprint: String
    public var segstationVersion: String
    public var startedAt: Date
    /// Identifiers derived because the input lacked them (DICOM keywords), stored with the run.
    public var derivedIdentifiers: [String] = []

    public init(patient: PatientInfo, study: StudyInfo, series: SeriesInfo, model: ModelInfo,
                parametersJSON: String = "{}", inputFingerprint: String, segstationVersion: String,
                startedAt: Date = Date()) {
        self.patient = patient; self.study = study; self.series = series; self.model = model
        self.parametersJSON = parametersJSON; self.inputFingerprint = inputFingerprint
        self.segstationVersion = segstationVersion; self.startedAt = startedAt
    }

    /// Same, with parameters given as any Encodable value that encodes to a JSON object.
    public init<P: Encodable>(patient: PatientInfo, study: StudyInfo, series: SeriesInfo, model: ModelInfo,
                              parameters: P, inputFingerprint: String, segstationVersion: String,
                              startedAt: Date = Date()) throws {
        let text = String(decoding: try JSONFormat.encoder(pretty: false).encode(parameters), as: UTF8.self)
        self.init(patient: patient, study: study, series: series, model: model, parametersJSON: text,
                  inputFingerprint: inputFingerprint, segstationVersion: segstationVersion, startedAt: startedAt)
    }
}

/// A label of the run's label map.
public struct LabelInfo: Codable, Equatable, Sendable {
    /// Label value in the label map, 1...65535.
    public var value: Int
    public var name: String
    /// Display colour "#RRGGBB".
    public var colorHex: String?
    /// Coded concepts (e.g. SNOMED category/type triplets) as JSON text.
    public var codesJSON: String?

    public init(value: Int, name: String, colorHex: String? = nil, codesJSON: String? = nil) {
        self.value = value; self.name = name; self.colorHex = colorHex; self.codesJSON = codesJSON
    }
}

/// One lesion's measurements. Centroid in patient LPS mm; bounding box in voxel indices
/// (inclusive, i fastest). Measurements not computed are nil; anything else goes in `extraJSON`.
public struct LesionInfo: Codable, Equatable, Sendable {
    /// Must equal the `value` of one of the run's labels.
    public var labelValue: Int
    /// 1-based index of the lesion within its label.
    public var index: Int
    public var voxelCount: Int
    public var volumeML: Double
    public var centroidLPSMM: [Double]
    public var meshVolumeML: Double?
    public var surfaceAreaMM2: Double?
    public var sphericity: Double?
    public var maxDiameter3DMM: Double?
    public var recistLongMM: Double?
    public var recistShortMM: Double?
    /// [minI, minJ, minK, maxI, maxJ, maxK] or nil.
    public var bboxIJK: [Int]?
    public var meanIntensity: Double?
    public var stdIntensity: Double?
    public var minIntensity: Double?
    public var maxIntensity: Double?
    public var medianIntensity: Double?
    public var touchesBorder: Bool
    public var extraJSON: String?
    /// An instance model's detection score of the lesion: mean and maximum over its slice
    /// detections (migration "i17-lesion-detection-score"); nil otherwise.
    public var detectionScoreMean: Double?
    public var detectionScoreMax: Double?

    public init(labelValue: Int, index: Int, voxelCount: Int, volumeML: Double, centroidLPSMM: [Double],
                meshVolumeML: Double? = nil, surfaceAreaMM2: Double? = nil, sphericity: Double? = nil,
                maxDiameter3DMM: Double? = nil, recistLongMM: Double? = nil, recistShortMM: Double? = nil,
                bboxIJK: [Int]? = nil, meanIntensity: Double? = nil, stdIntensity: Double? = nil,
                minIntensity: Double? = nil, maxIntensity: Double? = nil, medianIntensity: Double? = nil,
                touchesBorder: Bool = false, extraJSON: String? = nil, detectionScoreMean: Double? = nil, detectionScoreMax: Double? = nil) {
        self.labelValue = labelValue; self.index = index; self.voxelCount = voxelCount; self.volumeML = volumeML
        self.centroidLPSMM = centroidLPSMM; self.meshVolumeML = meshVolumeML; self.surfaceAreaMM2 = surfaceAreaMM2
        self.sphericity = sphericity; self.maxDiameter3DMM = maxDiameter3DMM; self.recistLongMM = recistLongMM
        self.recistShortMM = recistShortMM; self.bboxIJK = bboxIJK; self.meanIntensity = meanIntensity
        self.stdIntensity = stdIntensity; self.minIntensity = minIntensity; self.maxIntensity = maxIntensity
        self.medianIntensity = medianIntensity; self.touchesBorder = touchesBorder; self.extraJSON = extraJSON
        self.detectionScoreMean = detectionScoreMean; self.detectionScoreMax = detectionScoreMax
    }
}

/// Kinds of files a run exports.
public enum ArtefactKind: String, Codable, CaseIterable, Sendable {
    case mask, seg, sr
    /// RT Structure Set (`segment --rtstruct`; migration "i18-rtstruct-artefact-kind").
    case rtstruct
    /// Probability map (`segment --save-probabilities`; migration "i16-probabilities-artefact-kind").
    case probabilities
    /// Instance map (`instances.nii.gz`, int32: lesion ids) of a run whose lesions are not the mask's
    /// connected components (an instances model, `segment --split watershed`; migration
    /// "i17-instances-artefact-kind").
    case instances
    case reportHTML = "report-html"
    case reportPDF = "report-pdf"
    case reportJSON = "report-json"
}

/// A file a run wrote, with its SHA-256 (hex) and size.
public struct ArtefactInfo: Codable, Equatable, Sendable {
    public var path: String
    public var kind: ArtefactKind
    public var sha256: String
    public var bytes: Int64

    public init(path: String, kind: ArtefactKind, sha256: String, bytes: Int64) {
        self.path = path; self.kind = kind; self.sha256 = sha256; self.bytes = bytes
    }
}

/// Everything a successful run produced, written in one transaction by `completeRun`.
public struct RunResult: Sendable {
    public var labels: [LabelInfo]
    public var lesions: [LesionInfo]
    public var artefacts: [ArtefactInfo]
    public var endedAt: Date

    public init(labels: [LabelInfo], lesions: [LesionInfo], artefacts: [ArtefactInfo], endedAt: Date = Date()) {
        self.labels = labels; self.lesions = lesions; self.artefacts = artefacts; self.endedAt = endedAt
    }
}
