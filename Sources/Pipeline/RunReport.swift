import Core
import Foundation
import Imaging
import Inference
import Lesions
import Reports
import StudyStore

/// Builds the per-study report of a run (HTML, PDF, JSON) from what the run produced.
enum RunReport {
    struct Context {
        var identity: ScanIdentity
        var model: ModelInfo
        var labelStyles: [LabelStyle]
        var runID: RunID
        var startedAt: Date
        var image: Volume<Float>
        var labels: LabelMap
        var measurements: [LabelMeasurements]
        var timings: [String: Double]
        var parameters: [String: String]
        /// Earlier completed runs of this patient (volume per label), oldest first.
        var history: [HistoryPoint]
        /// The model's licence and intended use (manifest `licence` and `description`), when known.
        var licence: String? = nil
        var intendedUse: String? = nil
        /// Prior-study volumes of tracked lesions (`segstation track`), by label value and index.
        var priorVolumes: [LesionKey: Double] = [:]
        /// RECIST target lesions and the response sentence of the tracked series (`Tracking.summary`).
        var targets: Set<LesionKey>? = nil
        var responseSummary: String? = nil
        /// Input channel names (manifest order) and the channels after the first, on the image's grid.
        var channelNames: [String] = []
        var otherChannels: [Volume<Float>] = []
        /// Lesions under this volume (mL) are summarised in one row of the table (`--small-lesion-ml`).
        var smallLesionML = ReportInput.defaultSmallLesionThresholdML
        /// The prior study the lesions were tracked against (`priorStudy`), or why it cannot be shown.
        var prior: Result<PriorStudy, Error>? = nil
    }

    static func input(_ c: Context) -> ReportInput {
        let names = Dictionary(uniqueKeysWithValues: c.labelStyles.map { (Int($0.value), $0.name) })
        let header = StudyHeader(patientID: c.identity.patient.patientID, patientName: c.identity.patient.name,
                                 studyInstanceUID: c.identity.study.studyInstanceUID, studyDate: isoDate(c.identity.study.studyDate),
                                 modality: c.identity.series.modality, seriesDescription: c.identity.series.description ?? "",
                                 seriesInstanceUID: c.identity.series.seriesInstanceUID)
        let formatter = ISO8601DateFormatter()
        var provenance = Provenance(modelName: c.model.name, modelVersion: c.model.version, modelSHA256: c.model.sha256.lowercased(),
                                    segStationVersion: SegStationVersion.string, runID: String(c.runID),
                                    startedAt: formatter.string(from: c.startedAt),
                                    timings: c.timings.sorted { $0.key < $1.key }.map { StageTiming(stage: $0.key, seconds: $0.value) },
                                    parameters: c.parameters.sorted { $0.key < $1.key }.map { Parameter(name: $0.key, value: $0.value) })
        provenance.modelLicence = c.licence
        provenance.intendedUse = c.intendedUse
        provenance.warnings = warnings(c, studyDate: header.studyDate)
        var rows: [Reports.LesionRow] = []
        for label in c.measurements {
            let labelName: String = names[label.label] ?? "Label \(label.label)"
            for (index, m) in label.lesions.enumerated() {
                let key = LesionKey(labelValue: label.label, lesionIndex: index + 1)
                let centroid: Vector3 = m.shape.centroidLPS.map { Vector3($0) } ?? .zero
                let longAxis: [Vector3]? = m.recist?.longAxisEndpointsLPS.map { Vector3($0) }
                let shortAxis: [Vector3]? = m.recist?.shortAxisEndpointsLPS.map { Vector3($0) }
                let isTarget: Bool? = c.targets.map { $0.contains(key) }
                rows.append(Reports.LesionRow(labelValue: UInt8(label.label), labelName: labelName, lesionIndex: index + 1,
                                      volumeML: m.volumeML, longestAxialDiameterMM: m.recist?.longAxisMM ?? 0, shortAxisMM: m.recist?.shortAxisMM ?? 0,
                                      max3DDiameterMM: m.shape.maximum3DDiameterMM, meanIntensity: m.intensity?.mean ?? 0,
                                      stdIntensity: m.intensity?.standardDeviation ?? 0,
                                      centroidLPS: centroid, touchesBorder: m.touchesBorder,
                                      longAxisLPS: longAxis, shortAxisLPS: shortAxis,
                                      priorVolumeML: c.priorVolumes[key], isTarget: isTarget,
                                      detectionScoreMean: m.detectionScore?.mean, detectionScoreMax: m.detectionScore?.max))
            }
        }
        var history = c.history
        for label in c.measurements {
            history.append(HistoryPoint(studyDate: header.studyDate, labelName: names[label.label] ?? "Label \(label.label)", volumeML: label.total.volumeML))
        }
        var input = ReportInput(header: header, provenance: provenance, lesions: rows, labels: c.labelStyles, image: c.image,
                                labelMap: c.labels, history: history)
        input.responseSummary = c.responseSummary
        input.smallLesionThresholdML = c.smallLesionML
        if case .success(let prior) = c.prior { input.prior = prior }
        input.channelName = c.channelNames.first
        input.otherChannels = c.otherChannels.enumerated().compactMap { n, image in
            image.geometry.isSameGrid(as: c.image.geometry) ? (n + 1 < c.channelNames.count ? c.channelNames[n + 1] : "channel \(n + 2)", image) : nil
        }
        return input
    }

    static func styles(_ manifest: ModelManifest) -> [LabelStyle] {
        manifest.labels.map { l in
            LabelStyle(value: UInt8(l.value), name: l.name, color: RGB(UInt8(clamping: l.colorRGB[0]), UInt8(clamping: l.colorRGB[1]), UInt8(clamping: l.colorRGB[2])))
        }
    }

    /// Label styles from the store's label rows (`#rrggbb` colours).
    static func styles(_ labels: [LabelInfo]) -> [LabelStyle] {
        labels.map { l in
            var rgb: [UInt8] = [255, 96, 0]
            if let hex = l.colorHex, hex.count == 7, let v = UInt32(hex.dropFirst(), radix: 16) {
                rgb = [UInt8(v >> 16 & 0xff), UInt8(v >> 8 & 0xff), UInt8(v & 0xff)]
            }
            return LabelStyle(value: UInt8(clamping: l.value), name: l.name, color: RGB(rgb[0], rgb[1], rgb[2]))
        }
    }

    /// Prior-study volumes of the run's tracked lesions (empty when the run was not tracked against a prior).
    static func priorVolumes(store: StudyStore, run: RunID) -> [LesionKey: Double] {
        guard let tracked = try? store.trackedLesions(run: run), let priorRun = tracked.compactMap(\.priorRunID).first,
              let prior = try? store.show(priorRun).lesions else { return [:] }
        var result = [LesionKey: Double]()
        for t in tracked {
            guard let key = t.prior, let row = prior.first(where: { $0.labelValue == key.labelValue && $0.lesionIndex == key.lesionIndex }) else { continue }
            result[t.lesion] = row.volumeML
        }
        return result
    }

    /// The prior study `run`'s lesions were tracked against (`segstation track`), with the registration
    /// they were matched through (prior -> current) inverted; nil when no lesion of the run was matched to a
    /// prior one. `.failure` when the prior run's inputs or mask cannot be read back.
    static func priorStudy(store: StudyStore, run: RunID) throws -> Result<PriorStudy, Error>? {
        let matched = try store.trackedLesions(run: run).first { $0.priorRunID != nil && $0.registrationID != nil }
        guard let priorRun = matched?.priorRunID, let registrationID = matched?.registrationID,
              let registration = try store.registration(id: registrationID), registration.info.accepted,
              let priorToCurrent = AffineTransform3(rows: registration.info.transform),
              let currentToPrior = priorToCurrent.inverse else { return nil }
        return Result<PriorStudy, Error> {
            let materials = try RunMaterials.load(store, runID: priorRun)
            return PriorStudy(studyDate: isoDate(materials.detail.run.studyDate), image: materials.image, labelMap: materials.labels,
                              currentToPrior: currentToPrior)
        }
    }

    /// Earlier label volumes of the patient from the store (completed runs only).
    /// Only runs of the same model name and version: a chart never plots two models as one series,
    /// since a change of model is not a change of the tumour.
    static func history(store: StudyStore, patientID: String, model: ModelInfo) -> [HistoryPoint] {
        let options = HistoryOptions(modelName: model.name, modelVersion: model.version)
        guard let h = try? store.history(patientID: patientID, options: options) else { return [] }
        return h.labels.flatMap { series in
            series.points.map { HistoryPoint(studyDate: isoDate($0.studyDate), labelName: series.label, volumeML: $0.volumeML) }
        }
    }

    /// DICOM DA (YYYYMMDD) or ISO date as ISO (YYYY-MM-DD); `StudyHeader.unknownDate` ("unknown") when
    /// absent or malformed: never today's date, which would put the study at the wrong point of the history.
    static func isoDate(_ da: String?) -> String {
        da.flatMap { ISODate(dicomOrISO: $0) }?.description ?? StudyHeader.unknownDate
    }

    /// What the reader must know before trusting the numbers: a forced run, derived identifiers, no study date.
    static func warnings(_ c: Context, studyDate: String) -> [String] {
        var warnings = [String]()
        if let forced = c.parameters["FORCED (--force)"] {
            warnings.append("This run was forced (--force) outside the model's stated inputs: \(forced). The model was not validated for such input; its measurements may be wrong.")
        }
        if let derived = c.parameters["derived identifiers"] {
            warnings.append("Identifiers absent in the input were derived: \(derived). This study may not join the patient's history; check the identity before comparing studies.")
        }
        if case .failure(let error) = c.prior {
            warnings.append("The prior study's images could not be read, so the key images show no prior slice: \(error)")
        }
        if studyDate == StudyHeader.unknownDate {
            warnings.append("The input has no study date: the study cannot be placed in the patient's history, and no change is computed against it.")
        }
        return warnings
    }

    /// The run parameters shown on the report.
    static func parameters(inputs: [String], tta: Bool, minLesionML: Double, forced: String?) -> [String: String] {
        var p = ["tta": "\(tta)", "inputs": inputs.joined(separator: ", "), "min lesion (mL)": "\(minLesionML)"]
        if let forced { p["FORCED (--force)"] = forced }
        return p
    }
}
