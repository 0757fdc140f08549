import Core
import Foundation
import Imaging
import DICOM
import VolumeIO
import Lesions
import Reports
import StudyStore

/// `segstation report STUDY|RUN`: renders the report of a recorded run again, from the run's mask
/// artefact and its first input, with the patient's history from the store.
public enum ReportJob {
    /// - Parameters:
    ///   - target: a run ID, or a StudyInstanceUID (its latest completed run).
    ///   - smallLesionML: lesions under this volume (mL) are summarised in one row of the lesion table.
    /// - Returns: the written files.
    public static func run(target: String, databasePath: String?, formats: [ReportFormat], outputFolder: String?,
                           smallLesionML: Double = ReportInput.defaultSmallLesionThresholdML) throws -> [URL] {
        let store = try StudyStore.connect(StudyStore.resolvePath(option: databasePath), createIfMissing: false)
        let runID: RunID
        if let id = RunID(target) {
            runID = id
        } else {
            guard let latest = try store.runs(RunFilter(status: .completed, studyInstanceUID: target)).max(by: { $0.startedAt < $1.startedAt }) else {
                throw PipelineError.notFound("no completed run of study \(target) in the database")
            }
            runID = latest.runID
        }
        let (reportInput, materials) = try Self.input(store: store, runID: runID, smallLesionML: smallLesionML)
        // Default: the run's own folder (where its mask is recorded), wherever the command runs from.
        let folder = outputFolder.map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: materials.maskPath).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let written = try ReportWriter.write(reportInput, formats: formats, to: folder).map(\.url)
        // Re-rendered files that are recorded artefacts of the run get their new SHA-256 and size.
        // (A read-only database keeps its rows: the files then no longer match, which `verify` reports.)
        let recorded = store.isReadOnly ? [] : Set(materials.detail.artefacts.map(\.path))
        for url in written {
            let path = url.standardizedFileURL.resolvingSymlinksInPath().path
            let match = recorded.contains(url.path) ? url.path : recorded.contains(path) ? path : nil
            guard let match, let digest = Digest.sha256Hex(ofFile: url),
                  let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber else { continue }
            try store.updateArtefactDigest(runID: runID, path: match, sha256: digest, bytes: size.int64Value)
        }
        return written
    }

    /// What the report of a recorded run shows: its inputs and mask read back, the patient's history of
    /// the same model, and when it was tracked, the RECIST summary, prior volumes and the prior study.
    static func input(store: StudyStore, runID: RunID, smallLesionML: Double = ReportInput.defaultSmallLesionThresholdML) throws -> (ReportInput, RunMaterials) {
        let materials = try RunMaterials.load(store, runID: runID)
        let detail = materials.detail, parameters = materials.parameters, scan = materials.scans[0], labels = materials.labels
        var measurements = try LesionAnalyzer.measure(labels: labels, image: scan.volume, splitting: materials.splitting)
        // An instances model's scores come from the database (the instance map holds the ids only).
        for (l, label) in measurements.enumerated() {
            for (index, _) in label.lesions.enumerated() {
                let row = detail.lesions.first { $0.labelValue == label.label && $0.lesionIndex == index + 1 }
                if let row, let mean = row.detectionScoreMean, let max = row.detectionScoreMax {
                    measurements[l].lesions[index].detectionScore = InstanceScore(mean: mean, max: max)
                }
            }
        }
        let identity = ScanIdentity(scan: scan, fingerprint: detail.inputFingerprint, overrides: parameters.identity ?? IdentityOverrides())
        // History without this run: earlier runs only (RunReport adds the current point).
        let model = ModelInfo(name: detail.run.modelName, version: detail.run.modelVersion, sha256: detail.modelSHA256)
        let history = RunReport.history(store: store, patientID: identity.patient.patientID, model: model)
            .filter { $0.studyDate < RunReport.isoDate(identity.study.studyDate) }
        let tracking = try TrackingSummary.of(store, run: runID)
        let context = RunReport.Context(identity: identity, model: model,
                                        labelStyles: RunReport.styles(detail.labels), runID: runID, startedAt: detail.run.startedAt,
                                        image: scan.volume, labels: labels, measurements: measurements, timings: [:],
                                        parameters: RunReport.parameters(inputs: parameters.inputs, tta: parameters.tta ?? false,
                                                                         minLesionML: parameters.minLesionML ?? 0, forced: parameters.forced),
                                        history: history, priorVolumes: RunReport.priorVolumes(store: store, run: runID),
                                        targets: tracking?.targets, responseSummary: tracking?.sentence,
                                        otherChannels: materials.scans.dropFirst().map(\.volume), smallLesionML: smallLesionML,
                                        prior: try RunReport.priorStudy(store: store, run: runID))
        return (RunReport.input(context), materials)
    }
}
