import Core
import Logging
import Foundation
import Imaging
import DICOM
import VolumeIO
import Inference
import Lesions
import StudyStore
import Reports

public enum SegmentJob {
    /// Diagnostics of runs: counts and timings at `.info`, identifiers and paths at `.debug` only.
    static let log = Log.logger(.pipeline)
    /// Segments a study end to end: load, segment, measure, write artefacts, record in the study store.
    /// The run is recorded as `running` before the work and completed (with labels, lesions and
    /// artefacts) in one transaction at the end; any failure marks it failed and rethrows.
    /// - Parameter model: a model already loaded (a service worker keeps one warm); nil loads `request.model`.
    public static func run(_ request: SegmentRequest, model: LoadedModel? = nil, progress: ((Int, Int) -> Void)? = nil) throws -> SegmentSummary {
        try validate(request)
        let package = try model?.package ?? ModelPackage.resolve(request.model)
        return try run(request, loaded: try load(request, package: package), network: model?.network, progress: progress)
    }

    /// Loads a request's inputs for `package` (the first half of `run`; `batch` calls it ahead of time,
    /// on another thread, while the previous case is being segmented). Everything that can refuse the
    /// input (identity flags, file kinds, channel identity, the model's stated modalities, DICOM export
    /// preconditions) is checked here, before any inference and before the database is touched.
    public static func load(_ request: SegmentRequest, package: ModelPackage) throws -> LoadedCase {
        let clockStart = Date()
        try validate(request)
        let manifest = package.manifest
        guard request.inputs.count == manifest.inputs.count else {
            throw InferenceError.inputs("model '\(manifest.name)' takes \(manifest.inputs.count) input(s) in this order: \(manifest.inputs.map(\.name).joined(separator: ", ")); \(request.inputs.count) given")
        }
        let overrides = try request.identity.validated()
        if request.splitting != nil, manifest.decision == .instances {
            throw PipelineError.invalidArgument("--split applies to semantic models; model '\(manifest.name)' detects its instances itself")
        }
        try Segmenter.requireSupported(manifest, tta: request.tta, saveProbabilities: request.saveProbabilities)
        // Inputs are checked before anything is read: regular files or folders, never FIFOs or devices.
        for path in request.inputs { try InputFile.requireRegularOrDirectory(path, role: "segment input") }
        let scans = try request.inputs.enumerated().map { index, path in
            try ScanInput.load(path, selection: ScanSelection(seriesInstanceUID: seriesUID(request, index), stackIndex: stackIndex(request, index),
                                                              dicomOptions: request.dicomOptions))
        }
        if !overrides.isEmpty, scans[0].dicom != nil {
            throw PipelineError.invalidArgument("--patient-id, --study-date, --study-uid and --series-description apply to NIfTI/NRRD input; DICOM input carries its own identity")
        }
        let identityNotes = try ChannelIdentity.check(scans, inputs: request.inputs, allowMixed: request.allowMixedIdentity)
        let gate = try InputGate.check(scans: scans, manifest: manifest, modality: request.modality, force: request.force)
        if request.writeDICOM { try DICOMExports.checkBeforeInference(scan: scans[0], manifest: manifest) }
        let identity = ScanIdentity(scan: scans[0], fingerprint: fingerprint(scans), overrides: overrides)
        return LoadedCase(package: package, scans: scans, identity: identity, overrides: overrides, gate: gate, identityNotes: identityNotes,
                          startedAt: clockStart, loadSeconds: Date().timeIntervalSince(clockStart))
    }

    /// The second half of `run`: segments loaded inputs with `network` (nil: load the package's network
    /// now), then measures, writes and records as `run` documents.
    public static func run(_ request: SegmentRequest, loaded: LoadedCase, network: PatchNetwork?,
                           progress: ((Int, Int) -> Void)? = nil) throws -> SegmentSummary {
        let clockStart = loaded.startedAt
        let package = loaded.package
        let manifest = package.manifest
        let scans = loaded.scans
        let identity = loaded.identity
        let overrides = loaded.overrides
        let gate = loaded.gate
        let identityNotes = loaded.identityNotes
        let databasePath = StudyStore.resolvePath(option: request.databasePath)
        let store = try StudyStore.connect(databasePath)
        // An explicit -o is claimed before the run is recorded: one run per folder, never over another run's artefacts.
        let claim = try request.outputFolder.map { try OutputFolderClaim.claim($0, store: store, overwrite: request.overwrite) }
        // Inputs are recorded absolute and resolved, so `report RUN` works from any folder.
        let absoluteInputs = request.inputs.map { URL(fileURLWithPath: $0).standardizedFileURL.resolvingSymlinksInPath().path }
        let parameters = RunParameters(inputs: absoluteInputs, seriesUIDs: request.seriesUIDs, tta: request.tta, threads: request.threads,
                                       minLesionML: request.minLesionML, stacks: request.stackIndices,
                                       unevenSpacing: request.dicomOptions.unevenSpacing.rawValue, tilt: request.dicomOptions.tilt.rawValue,
                                       skipBadSlices: request.dicomOptions.skipBadSlices, allowMixedIdentity: request.allowMixedIdentity,
                                       derivedIdentifiers: identity.derived, identity: overrides.isEmpty ? nil : overrides,
                                       forced: gate.forcedReason, saveProbabilities: request.saveProbabilities,
                                       split: SegmentRequest.describe(request.splitting))
        var start = try RunStart(patient: identity.patient, study: identity.study, series: identity.series,
                                 model: ModelInfo(name: manifest.name, version: manifest.version, sha256: manifest.network.sha256),
                                 parameters: parameters, inputFingerprint: identity.fingerprint,
                                 segstationVersion: SegStationVersion.string)
        start.derivedIdentifiers = identity.derived
        let runID = try store.beginRun(start)
        FaultInjection.reach("after-begin-run")
        do {
            if let reason = gate.forcedReason { try store.markForced(runID, reason: reason) }
            let folder: URL
            let folderLock: OutputFolderLock
            if let claim {
                try claim.supersede(by: runID, store: store)
                (folder, folderLock) = (claim.folder, claim.lock)
            } else {
                folder = try outputFolder(request, identity: identity, runID: runID)
                folderLock = OutputFolderLock(folder: folder, sweepSiblings: true)
            }
            defer { folderLock.release() }
            let network = try network ?? EngineNetwork.load(package: package, threads: request.threads)
            let segmenter = Segmenter(package: package, network: network, tta: request.tta, saveProbabilities: request.saveProbabilities)
            let windows: (Int, Int) -> Void = { done, total in
                FaultInjection.reach("after-window-\(done)")
                progress?(done, total)
            }
            var result = try loaded.prepared.map { try segmenter.segment(prepared: $0, progress: windows) }
                ?? segmenter.segment(channels: scans.map(\.volume), progress: windows)
            result.timings["loadSeconds"] = loaded.loadSeconds
            if let seconds = loaded.preprocessSeconds { result.timings["preprocessSeconds"] = seconds }
            var clock = Date()
            func lap(_ name: String) { result.timings[name] = Date().timeIntervalSince(clock); clock = Date() }
            let lesions = try measureLesions(&result, request: request, image: scans[0].volume)
            let (measurements, removed) = (lesions.measurements, lesions.removed)
            clock = Date()
            var artefacts = ArtefactList(folder: folder)
            try artefacts.add(.mask, "mask.nii.gz") { try VolumeFile.write(result.labels, to: $0.path) }
            lap("maskWriteSeconds")
            if let instanceMap = lesions.instanceMap {
                try artefacts.add(.instances, "instances.nii.gz") { try VolumeFile.write(instanceMap, to: $0.path) }
            }
            if let map = result.probabilities {
                // The blended network output: --min-lesion-ml edits only the label map, not this.
                try artefacts.add(.probabilities, "probabilities.nii.gz") {
                    try NIfTIFile.write(volumes: map.voxels, count: map.labels.count, geometry: map.geometry, to: $0.path,
                                        description: "SegStation probabilities")
                }
                result.probabilities = nil
                lap("probabilitiesWriteSeconds")
            }
            if request.writeDICOM, scans[0].dicom != nil {
                try DICOMExports.write(scan: scans[0], labels: result.labels, manifest: manifest, measurements: measurements,
                                       rtstruct: request.writeRTStruct, into: &artefacts)
                lap("dicomExportSeconds")
            }
            if !request.reportFormats.isEmpty {
                let model = ModelInfo(name: manifest.name, version: manifest.version, sha256: manifest.network.sha256)
                let context = RunReport.Context(identity: identity, model: model,
                                                labelStyles: RunReport.styles(manifest), runID: runID, startedAt: clockStart,
                                                image: scans[0].volume, labels: result.labels, measurements: measurements,
                                                timings: result.timings,
                                                parameters: reportParameters(request, identity: identity, inputs: absoluteInputs, forced: gate.forcedReason),
                                                history: RunReport.history(store: store, patientID: identity.patient.patientID, model: model),
                                                licence: manifest.licence, intendedUse: manifest.description,
                                                channelNames: manifest.inputs.map(\.name), otherChannels: scans.dropFirst().map(\.volume),
                                                smallLesionML: request.smallLesionML)
                for written in try ReportWriter.write(RunReport.input(context), formats: request.reportFormats, to: folder) {
                    let kind: ArtefactKind = written.format == .html ? .reportHTML : written.format == .pdf ? .reportPDF : .reportJSON
                    try artefacts.record(kind, written.url)
                }
                lap("reportSeconds")
            }
            let summary = SegmentSummary(
                runID: runID, model: manifest.name, modelVersion: manifest.version, modelSHA256: manifest.network.sha256,
                segstationVersion: SegStationVersion.string, inputs: absoluteInputs, minLesionML: request.minLesionML,
                removedComponentCount: removed, grid: result.labels.geometry,
                labels: labelVolumes(manifest: manifest, measurements: measurements),
                lesions: measurements.flatMap(\.lesions), artefacts: artefacts.summary, databasePath: PostgresLocation.redacted(databasePath),
                outputFolder: folder.path, timingsSeconds: result.timings,
                notes: result.notes + identityNotes + scans.flatMap(\.warnings) + gate.notes)
            try artefacts.addJSON(summary, name: "segmentation.json")
            try store.completeRun(runID, RunResult(labels: labelInfos(manifest), lesions: lesionInfos(measurements),
                                                   artefacts: artefacts.records)) { FaultInjection.reach("in-final-transaction") }
            lap("databaseSeconds")
            // segmentation.json was written before the database step: its timings end at the report.
            var returned = summary
            returned.timingsSeconds = result.timings
            returned.timingsSeconds["totalSeconds"] = Date().timeIntervalSince(clockStart)
            log.info("run completed", metadata: ["run": "\(runID)", "model": "\(manifest.name)", "lesions": "\(summary.lesions.count)",
                                                 "seconds": "\(Int(returned.timingsSeconds["totalSeconds"] ?? 0))"])
            log.debug("run outputs", metadata: ["folder": "\(folder.path)", "patientID": "\(identity.patient.patientID)"])
            return returned
        } catch {
            log.info("run failed", metadata: ["run": "\(runID)", "category": "\((error as? CategorizedError)?.category.rawValue ?? "internal")"])
            try? store.failRun(runID, message: "\(error)")
            throw error
        }
    }

    static func validate(_ request: SegmentRequest) throws {
        guard request.minLesionML >= 0, request.minLesionML.isFinite else {
            throw InferenceError.inputs("minimum lesion volume \(request.minLesionML) mL; expected a finite value >= 0")
        }
    }

    struct RunParameters: Encodable {
        var inputs: [String]
        var seriesUIDs: [String]
        var tta: Bool
        var threads: Int?
        var minLesionML: Double
        var stacks: [Int]
        var unevenSpacing: String
        var tilt: String
        var skipBadSlices: Bool
        var allowMixedIdentity: Bool
        var derivedIdentifiers: [String]
        /// NIfTI/NRRD identity flags, so `report RUN` shows the same identity.
        var identity: IdentityOverrides?
        /// Why the run was forced past the model's stated inputs (`--force`), or nil.
        var forced: String?
        /// `--save-probabilities`.
        var saveProbabilities: Bool
        /// `--split` (nil: connected components, or an instances model's own instances).
        var split: String?
    }

    /// The parameters shown on the report (derived identifiers, overrides and --force are flagged there).
    static func reportParameters(_ request: SegmentRequest, identity: ScanIdentity, inputs: [String], forced: String?) -> [String: String] {
        var p = RunReport.parameters(inputs: inputs, tta: request.tta, minLesionML: request.minLesionML, forced: forced)
        if !identity.derived.isEmpty { p["derived identifiers"] = identity.derived.joined(separator: ", ") + " (absent in the input; derived from its fingerprint)" }
        if request.allowMixedIdentity { p["allow mixed identity"] = "true (--allow-mixed-identity)" }
        if request.dicomOptions.skipBadSlices { p["skip bad slices"] = "true (--skip-bad-slices)" }
        if let split = SegmentRequest.describe(request.splitting) { p["lesion split"] = split }
        return p
    }

    static func stackIndex(_ request: SegmentRequest, _ index: Int) -> Int? {
        if request.stackIndices.count == 1 { return request.stackIndices[0] }
        return index < request.stackIndices.count ? request.stackIndices[index] : nil
    }

    static func seriesUID(_ request: SegmentRequest, _ index: Int) -> String? {
        if request.seriesUIDs.count == 1 { return request.seriesUIDs[0] }
        return index < request.seriesUIDs.count ? request.seriesUIDs[index] : nil
    }

    /// Content-based: the SOP Instance UIDs of DICOM inputs, the bytes of files.
    static func fingerprint(_ scans: [LoadedScan]) -> String {
        let parts = scans.map { scan -> String in
            if let dicom = scan.dicom { return dicom.stack.slices.map(\.sopInstanceUID).sorted().joined(separator: ",") }
            return Digest.sha256Hex(ofFile: URL(fileURLWithPath: scan.sourcePath)) ?? scan.sourcePath
        }
        return Digest.sha256Hex(parts.joined(separator: "|"))
    }

    static func outputFolder(_ request: SegmentRequest, identity: ScanIdentity, runID: RunID) throws -> URL {
        let url = request.outputFolder.map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: request.reportsParent).appendingPathComponent(
                SafeNames.runFolder(patientID: identity.patient.patientID, studyUID: identity.study.studyInstanceUID, runID: String(runID)))
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw PipelineError.output("cannot create the output folder \(url.path): \(error.localizedDescription)")
        }
        return url
    }

    static func labelVolumes(manifest: ModelManifest, measurements: [LabelMeasurements]) -> [SegmentSummary.LabelVolume] {
        manifest.labels.map { label in
            let m = measurements.first { $0.label == label.value }
            return SegmentSummary.LabelVolume(value: label.value, name: label.name, voxelCount: m?.total.voxelCount ?? 0,
                                              volumeML: m?.total.volumeML ?? 0, lesionCount: m?.lesionCount ?? 0)
        }
    }

    static func labelInfos(_ manifest: ModelManifest) -> [LabelInfo] {
        manifest.labels.map { l in
            LabelInfo(value: l.value, name: l.name, colorHex: String(format: "#%02x%02x%02x", l.colorRGB[0], l.colorRGB[1], l.colorRGB[2]),
                      codesJSON: String(decoding: (try? JSONFormat.encoder(pretty: false).encode(["category": l.category, "type": l.type])) ?? Data(), as: UTF8.self))
        }
    }

    static func lesionInfos(_ measurements: [LabelMeasurements]) -> [LesionInfo] {
        measurements.flatMap { label in
            label.lesions.enumerated().map { index, m in
                LesionInfo(labelValue: label.label, index: index + 1, voxelCount: m.voxelCount, volumeML: m.volumeML,
                           centroidLPSMM: m.shape.centroidLPS ?? [], meshVolumeML: m.shape.meshVolumeMM3 / 1000,
                           surfaceAreaMM2: m.shape.surfaceAreaMM2, sphericity: m.shape.sphericity,
                           maxDiameter3DMM: m.shape.maximum3DDiameterMM, recistLongMM: m.recist?.longAxisMM,
                           recistShortMM: m.recist?.shortAxisMM, bboxIJK: m.boundingBoxMinIndex + m.boundingBoxMaxIndex,
                           meanIntensity: m.intensity?.mean, stdIntensity: m.intensity?.standardDeviation,
                           minIntensity: m.intensity?.minimum, maxIntensity: m.intensity?.maximum,
                           medianIntensity: m.intensity?.median, touchesBorder: m.touchesBorder,
                           detectionScoreMean: m.detectionScore?.mean, detectionScoreMax: m.detectionScore?.max)
            }
        }
    }
}
