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
    /// The report's lesion table lists lesions of at least this many mL one by one and summarises the
    /// smaller ones in one row (`--small-lesion-ml`; they stay in the mask, the database and the JSON).
    public var smallLesionML = ReportInput.defaultSmallLesionThresholdML
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
    /// Also write the probability map (`probabilities.nii.gz`, float32, one volume per label or
    /// region; see `ProbabilityMap`), recorded as an artefact of kind `probabilities`.
    public var saveProbabilities = false
    /// How a semantic model's label map becomes lesions (`--split`): nil = connected components
    /// (26-connected, per label); `.watershed` keeps touching lesions apart (docs/INSTANCES.md).
    /// An instances model's lesions are its instances: setting this is refused for it.
    public var splitting: InstanceSplitting?
    /// Replace another run's artefacts in `outputFolder` (marked superseded in the database).
    public var overwrite: Bool = false
    /// Run even when an input is outside the model's stated modalities or body parts (recorded).
    public var force: Bool = false
    /// The modality of NIfTI/NRRD inputs (which carry none), checked against the manifest.
    public var modality: String?
    /// Identity of NIfTI/NRRD inputs (DICOM carries its own).
    public var identity: IdentityOverrides = IdentityOverrides()

    public init(inputs: [String], seriesUIDs: [String] = [], model: String? = nil, outputFolder: String? = nil, tta: Bool = false,
                threads: Int? = nil, databasePath: String? = nil, writeDICOM: Bool = true, reportFormats: [ReportFormat] = ReportFormat.allCases,
                minLesionML: Double = 0) {
        self.inputs = inputs; self.seriesUIDs = seriesUIDs; self.model = model; self.outputFolder = outputFolder
        self.tta = tta; self.threads = threads; self.databasePath = databasePath; self.writeDICOM = writeDICOM
        self.reportFormats = reportFormats; self.minLesionML = minLesionML
    }
}

extension SegmentRequest {
    /// The splitting as recorded in the run's parameters and shown on the report; nil for the default.
    static func describe(_ splitting: InstanceSplitting?) -> String? {
        switch splitting {
        case nil, .connectedComponents?, .detected?, .given?: return nil
        case .watershed(let distance, let neck)?: return "watershed (min distance \(distance) mm, neck depth \(neck) mm)"
        }
    }
}

/// `segment --patient-id/--study-date/--study-uid/--series-description`: the identity of a NIfTI or
/// NRRD input, so its runs join the patient's history. Absent fields stay unknown (derived IDs from
/// the file's content, and "unknown" as the study date: never today's date).
public struct IdentityOverrides: Sendable, Codable, Equatable {
    public var patientID: String?
    /// YYYYMMDD (DICOM DA) after `validated()`.
    public var studyDate: String?
    public var studyInstanceUID: String?
    public var seriesDescription: String?

    public init(patientID: String? = nil, studyDate: String? = nil, studyInstanceUID: String? = nil, seriesDescription: String? = nil) {
        self.patientID = patientID; self.studyDate = studyDate; self.studyInstanceUID = studyInstanceUID; self.seriesDescription = seriesDescription
    }

    public var isEmpty: Bool { self == IdentityOverrides() }

    /// Checks each flag and normalises the date to YYYYMMDD.
    /// - Throws: `PipelineError.invalidArgument` naming the flag.
    public func validated() throws -> IdentityOverrides {
        var v = self
        if let id = patientID {
            guard !id.isEmpty, id.count <= 64, id.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0 != "\\" }) else {
                throw PipelineError.invalidArgument("--patient-id '\(id)': expected 1...64 printable characters without backslash (DICOM LO)")
            }
        }
        if let date = studyDate {
            let digits = date.replacingOccurrences(of: "-", with: "")
            let c = Array(digits)
            guard digits.count == 8, digits.allSatisfy(\.isNumber), date.count == 8 || (date.count == 10 && Array(date)[4] == "-" && Array(date)[7] == "-"),
                  let month = Int(String(c[4..<6])), (1...12).contains(month), let day = Int(String(c[6..<8])), (1...31).contains(day) else {
                throw PipelineError.invalidArgument("--study-date '\(date)': expected YYYY-MM-DD or YYYYMMDD")
            }
            v.studyDate = digits
        }
        if let uid = studyInstanceUID {
            let parts = uid.split(separator: ".", omittingEmptySubsequences: false)
            guard uid.count <= 64, parts.count >= 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isNumber) && ($0 == "0" || $0.first != "0") }) else {
                throw PipelineError.invalidArgument("--study-uid '\(uid)': expected a DICOM UID (digits and dots, at most 64 characters, no leading zeros)")
            }
        }
        if let d = seriesDescription, d.count > 64 || d.unicodeScalars.contains(where: { $0.value < 0x20 }) {
            throw PipelineError.invalidArgument("--series-description: at most 64 printable characters")
        }
        return v
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

/// A case's inputs loaded by `SegmentJob.load`, and optionally preprocessed ahead of time
/// (`batch` does both on a prefetch thread while the previous case is segmented).
public struct LoadedCase {
    public let package: ModelPackage
    let scans: [LoadedScan]
    let identity: ScanIdentity
    /// The validated identity flags (`SegmentRequest.identity`), recorded in the run's parameters.
    let overrides: IdentityOverrides
    /// The modality/body-part check (`InputGate`): a forced run's reason and notes.
    let gate: InputGate
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
}

/// Identity of the scan for the study store: from DICOM when there is DICOM, else derived from the file.
struct ScanIdentity {
    var patient: PatientInfo
    var study: StudyInfo
    var series: SeriesInfo
    var fingerprint: String
    /// DICOM keywords of identifiers the input lacked (derived by the scanner from its fingerprint).
    var derived: [String] = []

    init(scan: LoadedScan, fingerprint: String, overrides: IdentityOverrides = IdentityOverrides()) {
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
            // NIfTI/NRRD carry no identifiers: the flags give them; otherwise the file's content hash
            // stands in for patient, study and series, and the study date stays unknown.
            let name = URL(fileURLWithPath: scan.sourcePath).lastPathComponent
            patient = PatientInfo(patientID: overrides.patientID ?? "file:\(fingerprint.prefix(16))")
            study = StudyInfo(studyInstanceUID: overrides.studyInstanceUID ?? "file:\(fingerprint.prefix(32))", studyDate: overrides.studyDate,
                              description: name)
            series = SeriesInfo(seriesInstanceUID: "file:\(fingerprint)", modality: "OT", description: overrides.seriesDescription ?? name)
        }
    }
}
