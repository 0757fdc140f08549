import Core
import Foundation
import Imaging
import DICOM
import VolumeIO
import Inference
import Lesions
import StudyStore
import Reports

/// What `segstation segment` was asked to do.
public struct SegmentRequest: Sendable {
    /// One path per model channel, in manifest order (DICOM file/folder, NIfTI or NRRD).
    public var inputs: [String]
    /// SeriesInstanceUID per input (one value applies to every DICOM input).
    public var seriesUIDs: [String]
    public var model: String?
    /// Output folder; nil = `Reports/<hashed patient+study>/run-<id>`.
    public var outputFolder: String?
    public var tta: Bool
    public var threads: Int?
    /// nil = the default location (`StudyStore.resolvePath`).
    public var databasePath: String?
    /// Write DICOM-SEG and SR when the first input is DICOM.
    public var writeDICOM: Bool
    public var reportFormats: [ReportFormat]
    /// Connected components (26-connected, per label) smaller than this many millilitres are removed
    /// from the prediction before measurement and every export; 0 keeps everything (the default,
    /// as nnU-Net: see docs/MODEL_PACKAGE.md).
    public var minLesionML: Double
    /// Identifiers for inputs that carry none (NIfTI/NRRD): a batch CSV manifest's patient ID, study
    /// date and study UID. Ignored for DICOM input, whose own identifiers are used.
    public var caseIdentity: CaseIdentity? = nil
    /// Stack index per DICOM input (`--stack`; one value applies to every input; empty = each series
    /// must hold one stack apart from localizers).
    public var stackIndices: [Int] = []
    /// `--uneven-spacing`, `--tilt`, `--skip-bad-slices`, applied to every DICOM input.
    public var dicomOptions = DICOMLoadOptions()
    /// `--allow-mixed-identity`: accept channels of different patients, studies or frames of
    /// reference (recorded in the run's parameters and notes).
    public var allowMixedIdentity = false
    /// The folder that holds `Reports/<hashed patient+study>/run-<id>` when `outputFolder` is nil
    /// (default: the current directory; the service uses its storage folder).
    public var reportsParent: String = "."
    /// Also write an RT Structure Set (`rt.dcm`) beside the SEG when the first input is DICOM.
    public var writeRTStruct = false

    public init(inputs: [String], seriesUIDs: [String] = [], model: String? = nil, outputFolder: String? = nil, tta: Bool = false,
                threads: Int? = nil, databasePath: String? = nil, writeDICOM: Bool = true, reportFormats: [ReportFormat] = ReportFormat.allCases,
                minLesionML: Double = 0) {
        self.inputs = inputs; self.seriesUIDs = seriesUIDs; self.model = model; self.outputFolder = outputFolder
        self.tta = tta; self.threads = threads; self.databasePath = databasePath; self.writeDICOM = writeDICOM
        self.reportFormats = reportFormats; self.minLesionML = minLesionML
    }
}

/// The run summary written as `segmentation.json` and printed by `segment --json`.
public struct SegmentSummary: Codable, Sendable {
    public struct Artefact: Codable, Sendable { public var kind: String; public var path: String; public var sha256: String }
    public struct LabelVolume: Codable, Sendable, Equatable { public var value: Int; public var name: String; public var voxelCount: Int; public var volumeML: Double; public var lesionCount: Int }
    public var runID: Int64
    public var model: String
    public var modelVersion: String
    public var modelSHA256: String
    public var segstationVersion: String
    public var inputs: [String]
    /// The small-component threshold applied (`SegmentRequest.minLesionML`), mL.
    public var minLesionML: Double
    /// Components removed by that threshold (all labels).
    public var removedComponentCount: Int
    public var grid: VolumeGeometry
    public var labels: [LabelVolume]
    public var lesions: [LesionMeasurement]
    public var artefacts: [Artefact]
    public var databasePath: String
    public var outputFolder: String
    public var timingsSeconds: [String: Double]
    public var notes: [String]
}

/// Patient and study identifiers supplied for a NIfTI/NRRD case (see `SegmentRequest.caseIdentity`).
public struct CaseIdentity: Codable, Equatable, Sendable {
    public var patientID: String?
    /// ISO "YYYY-MM-DD" or DICOM "YYYYMMDD".
    public var studyDate: String?
    public var studyInstanceUID: String?

    public init(patientID: String? = nil, studyDate: String? = nil, studyInstanceUID: String? = nil) {
        self.patientID = patientID; self.studyDate = studyDate; self.studyInstanceUID = studyInstanceUID
    }
}

/// A case's inputs loaded by `SegmentJob.load`, and optionally preprocessed ahead of time
/// (`batch` does both on a prefetch thread while the previous case is segmented).
public struct LoadedCase {
    public let package: ModelPackage
    let scans: [LoadedScan]
    let identity: ScanIdentity
    /// Notes of the channel identity check (`ChannelIdentity`), carried into the summary.
    let identityNotes: [String]
    let startedAt: Date
    let loadSeconds: Double
    /// The model input, when preprocessed ahead (`Segmenter.prepare`); nil = preprocess in `run`.
    public var prepared: PreparedInput?
    public var preprocessSeconds: Double?

    /// Content fingerprint of the inputs (what `--resume` looks up with the model's SHA-256).
    public var fingerprint: String { identity.fingerprint }
    /// The volumes, one per channel in manifest order.
    public var volumes: [Volume<Float>] { scans.map(\.volume) }
    /// DICOM Modality of each channel (nil for NIfTI/NRRD).
    public var modalities: [String?] { scans.map { $0.dicom?.stack.series.modality } }
}

/// Identity of the scan for the study store: from DICOM when there is DICOM, else derived from the file.
struct ScanIdentity {
    var patient: PatientInfo
    var study: StudyInfo
    var series: SeriesInfo
    var fingerprint: String
    /// DICOM keywords of identifiers the input lacked (derived by the scanner from its fingerprint).
    var derived: [String] = []

    init(scan: LoadedScan, fingerprint: String, override: CaseIdentity? = nil) {
        self.fingerprint = fingerprint
        if let d = scan.dicom?.stack {
            derived = d.derivedIdentifiers
            patient = PatientInfo(patientID: d.patient.id ?? "", name: d.patient.name, birthDate: d.patient.birthDate, sex: d.patient.sex)
            study = StudyInfo(studyInstanceUID: d.study.studyInstanceUID, studyDate: d.study.date, studyTime: d.study.time,
                              accessionNumber: d.study.accessionNumber, description: d.study.description)
            series = SeriesInfo(seriesInstanceUID: d.series.seriesInstanceUID, modality: d.series.modality ?? "OT",
                                seriesNumber: d.series.seriesNumber, description: d.series.description,
                                frameOfReferenceUID: d.series.frameOfReferenceUID)
        } else {
            // NIfTI/NRRD carry no identifiers: the file's content hash stands in for study and series.
            let name = URL(fileURLWithPath: scan.sourcePath).lastPathComponent
            patient = PatientInfo(patientID: "file:\(fingerprint.prefix(16))")
            study = StudyInfo(studyInstanceUID: "file:\(fingerprint.prefix(32))", description: name)
            series = SeriesInfo(seriesInstanceUID: "file:\(fingerprint)", modality: "OT", description: name)
            if let override {
                if let id = override.patientID, !id.isEmpty { patient = PatientInfo(patientID: id) }
                if let uid = override.studyInstanceUID, !uid.isEmpty {
                    study.studyInstanceUID = uid
                    // One series per study and fingerprint, so the same file under two studies stays two series.
                    series.seriesInstanceUID = "file:\(Digest.sha256Hex(uid + "|" + fingerprint))"
                }
                if let date = override.studyDate, !date.isEmpty { study.studyDate = date }
            }
        }
    }
}
