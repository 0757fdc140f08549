import Core
import DICOM
import Foundation
import Imaging
import Lesions
import StudyStore
import VolumeIO

/// What a recorded run segmented and produced, read back for `report`, `track` and `compare`: its
/// inputs re-read as the run read them (paths are recorded absolute; their fingerprint must still be
/// the recorded one) and its mask artefact.
struct RunMaterials {
    struct Parameters: Decodable {
        var inputs: [String]; var seriesUIDs: [String]?; var tta: Bool?; var minLesionML: Double?
        var stacks: [Int]?; var unevenSpacing: String?; var tilt: String?; var skipBadSlices: Bool?
        var identity: IdentityOverrides?; var forced: String?
    }
    var runID: RunID
    var detail: RunDetail
    var parameters: Parameters
    var scans: [LoadedScan]
    var maskPath: String
    var labels: LabelMap
    /// The run's lesions when they are not the mask's connected components (its recorded instance map:
    /// an instances model, `--split watershed`); nil: connected components (26-connected, per label).
    var instances: ComponentLabeling?

    /// How this run's mask splits into its lesions, for `LesionAnalyzer.measure`.
    var splitting: InstanceSplitting? { instances.map { .given($0) } }

    /// The run's lesions as a labelling: its instance map, or the mask's connected components.
    var lesionLabeling: ComponentLabeling { instances ?? ConnectedComponents.label(labels, connectivity: .twentySix) }

    /// The first input channel (the image measurements and registration use).
    var image: Volume<Float> { scans[0].volume }

    /// - Throws: `PipelineError.notFound` (run not completed, no mask or inputs), `.badInput` (inputs changed),
    ///   and the readers' errors.
    static func load(_ store: StudyStore, runID: RunID) throws -> RunMaterials {
        let detail = try store.show(runID)
        guard detail.run.status == .completed else {
            throw PipelineError.notFound("run \(runID) is \(detail.run.status.rawValue), not completed: it has no results")
        }
        guard let mask = detail.artefacts.first(where: { $0.kind == .mask }) else {
            throw PipelineError.notFound("run \(runID) recorded no mask artefact")
        }
        let parameters = try JSONDecoder().decode(Parameters.self, from: Data(detail.parametersJSON.utf8))
        guard !parameters.inputs.isEmpty else { throw PipelineError.notFound("run \(runID) recorded no inputs") }
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
        let labels = try VolumeFile.readLabels(mask.path)
        let instances = try detail.artefacts.first { $0.kind == .instances }.map {
            try ComponentLabeling(instanceMap: try VolumeFile.readInstances($0.path), labels: labels)
        }
        return RunMaterials(runID: runID, detail: detail, parameters: parameters, scans: scans, maskPath: mask.path, labels: labels,
                            instances: instances)
    }
}
