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
        struct Parameters: Decodable {
            var inputs: [String]; var seriesUIDs: [String]?; var tta: Bool?; var minLesionML: Double?
            var stacks: [Int]?; var unevenSpacing: String?; var tilt: String?; var skipBadSlices: Bool?
            var identity: IdentityOverrides?; var forced: String?
        }
        let parameters = try JSONDecoder().decode(Parameters.self, from: Data(detail.parametersJSON.utf8))
        guard !parameters.inputs.isEmpty else { throw PipelineError.notFound("run \(runID) recorded no inputs") }
        // The inputs are re-read as the run read them (paths are recorded absolute) and must still be
        // what it segmented.
        var request = SegmentRequest(inputs: parameters.inputs, seriesUIDs: parameters.seriesUIDs ?? [])
        request.stackIndices = parameters.stacks ?? []
        if let u = parameters.unevenSpacing.flatMap(DICOMLoadOptions.UnevenSpacing.init(rawValue:)) { request.dicomOptions.unevenSpacing = u }
        if let t = parameters.tilt.flatMap(DICOMLoadOptions.Tilt.init(rawValue:)) { request.dicomOptions.tilt = t }
        request.dicomOptions.skipBadSlices = parameters.skipBadSlices ?? false
        let scans = try parameters.inputs.enumerated().map { index, path in
            try ScanInput.load(path, selection: ScanSelection(seriesInstanceUID: SegmentJob.seriesUID(request, index),
                                                              stackIndex: SegmentJob.stackIndex(request, index),
                                                              dicomOptions: request.dicomOptions))
        }
        let fingerprint = SegmentJob.fingerprint(scans)
        guard fingerprint == detail.inputFingerprint else {
            throw PipelineError.badInput("the inputs of run \(runID) (\(parameters.inputs.joined(separator: ", "))) changed since it ran: input fingerprint \(fingerprint.prefix(16))... differs from the recorded \(detail.inputFingerprint.prefix(16))...")
        }
        let scan = scans[0]
        let labels = try VolumeFile.readLabels(mask.path)
        let measurements = try LesionAnalyzer.measure(labels: labels, image: scan.volume)
        let identity = ScanIdentity(scan: scan, fingerprint: detail.inputFingerprint, overrides: parameters.identity ?? IdentityOverrides())
        // History without this run: earlier runs only (RunReport adds the current point).
        let model = ModelInfo(name: detail.run.modelName, version: detail.run.modelVersion, sha256: detail.modelSHA256)
        let history = RunReport.history(store: store, patientID: identity.patient.patientID, model: model)
            .filter { $0.studyDate < RunReport.isoDate(identity.study.studyDate) }
        let context = RunReport.Context(identity: identity, model: model,
                                        labelStyles: RunReport.styles(detail.labels), runID: runID, startedAt: detail.run.startedAt,
                                        image: scan.volume, labels: labels, measurements: measurements, timings: [:],
                                        parameters: RunReport.parameters(inputs: parameters.inputs, tta: parameters.tta ?? false,
                                                                         minLesionML: parameters.minLesionML ?? 0, forced: parameters.forced),
                                        history: history)
        // Default: the run's own folder (where its mask is recorded), wherever the command runs from.
        let folder = outputFolder.map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: mask.path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let written = try ReportWriter.write(RunReport.input(context), formats: formats, to: folder).map(\.url)
        // Re-rendered files that are recorded artefacts of the run get their new SHA-256 and size.
        // (A read-only database keeps its rows: the files then no longer match, which `verify` reports.)
        let recorded = store.isReadOnly ? [] : Set(detail.artefacts.map(\.path))
        for url in written {
            let path = url.standardizedFileURL.resolvingSymlinksInPath().path
            let match = recorded.contains(url.path) ? url.path : recorded.contains(path) ? path : nil
            guard let match, let digest = Digest.sha256Hex(ofFile: url),
                  let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? NSNumber else { continue }
            try store.updateArtefactDigest(runID: runID, path: match, sha256: digest, bytes: size.int64Value)
        }
        return written
    }
}
