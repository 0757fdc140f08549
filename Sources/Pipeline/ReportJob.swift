import Core
import Foundation
import Imaging
import VolumeIO
import Lesions
import Reports
import StudyStore

/// `segstation report STUDY|RUN`: renders the report of a recorded run again, from the run's mask
/// artefact and its first input, with the patient's history from the store.
public enum ReportJob {
    /// - Parameter target: a run ID, or a StudyInstanceUID (its latest completed run).
    /// - Returns: the written files.
    public static func run(target: String, databasePath: String?, formats: [ReportFormat], outputFolder: String?) throws -> [URL] {
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
        let detail = try store.show(runID)
        guard detail.run.status == .completed else {
            throw PipelineError.notFound("run \(runID) is \(detail.run.status.rawValue), not completed: it has no results to report")
        }
        guard let mask = detail.artefacts.first(where: { $0.kind == .mask }) else {
            throw PipelineError.notFound("run \(runID) recorded no mask artefact")
        }
        struct Parameters: Decodable { var inputs: [String]; var seriesUIDs: [String]? }
        let parameters = try JSONDecoder().decode(Parameters.self, from: Data(detail.parametersJSON.utf8))
        guard let firstInput = parameters.inputs.first else { throw PipelineError.notFound("run \(runID) recorded no inputs") }
        let scan = try ScanInput.load(firstInput, selection: ScanSelection(seriesInstanceUID: parameters.seriesUIDs?.first))
        let labels = try VolumeFile.readLabels(mask.path)
        let measurements = try LesionAnalyzer.measure(labels: labels, image: scan.volume)
        let identity = ScanIdentity(scan: scan, fingerprint: detail.inputFingerprint)
        // History without this run: earlier runs only (RunReport adds the current point).
        let model = ModelInfo(name: detail.run.modelName, version: detail.run.modelVersion, sha256: detail.modelSHA256)
        let history = RunReport.history(store: store, patientID: identity.patient.patientID, model: model)
            .filter { $0.studyDate < RunReport.isoDate(identity.study.studyDate) }
        let context = RunReport.Context(identity: identity, model: model,
                                        labelStyles: RunReport.styles(detail.labels), runID: runID, startedAt: detail.run.startedAt,
                                        image: scan.volume, labels: labels, measurements: measurements, timings: [:],
                                        parameters: ["inputs": parameters.inputs.joined(separator: ", ")], history: history)
        let folder = outputFolder.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: SafeNames.runFolder(patientID: identity.patient.patientID,
                                                        studyUID: identity.study.studyInstanceUID, runID: String(runID)))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return try ReportWriter.write(RunReport.input(context), formats: formats, to: folder).map(\.url)
    }
}
