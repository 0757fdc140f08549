import Core
import DICOM
import Foundation
import Imaging
import Lesions
import StudyStore

/// How `track` pairs a run's lesions with the prior run's.
public struct TrackOptions: Sendable {
    /// Registration when the two series do not share a frame of reference.
    public var registration: RegistrationKind = .rigid
    /// Register even when the frames of reference are equal (the patient may have moved between scans
    /// that a scanner still reports in one frame).
    public var alwaysRegister = false
    public var match = LesionMatchOptions()
    public var minimumNMI = RegistrationQuality.defaultMinimumNMI
    /// Replace identities recorded by an earlier `track` of the same run (new tracking UIDs for new lesions).
    public var replace = false
    public init() {}
}

/// The registration that tracking used, as shown by `track`.
public struct TrackingRegistration: Codable, Equatable, Sendable {
    public var id: Int64
    /// "identity" (shared frame of reference), "rigid" or "affine".
    public var kind: String
    /// Prior (fixed) point -> current (moving) point, row-major 3 x 4, LPS mm.
    public var transform: [[Double]]
    public var rotationDegrees: Double
    public var quality: RegistrationQuality?
    public var seconds: Double?
}

/// One row of the matched table: a tracked lesion now and at the prior study.
public struct TrackedLesionRow: Codable, Equatable, Sendable {
    /// "Lesion N" of the patient, the same N at every matched study.
    public var number: Int
    public var trackingUID: String?
    public var label: String
    /// Label value and index in the current run (nil: gone since the prior study).
    public var current: LesionKey?
    /// Label value and index in the prior run (nil: new, or no prior).
    public var prior: LesionKey?
    /// "baseline", "overlap", "centroid", "new" or "gone".
    public var method: String
    public var dice: Double?
    public var distanceMM: Double?
    public var volumeML: Double?
    public var priorVolumeML: Double?
    /// Volume change from the prior study, percent (nil without a prior volume).
    public var volumeChangePercent: Double?
    public var recistLongMM: Double?
    public var recistShortMM: Double?
    public var priorRecistLongMM: Double?
    public var priorRecistShortMM: Double?
}

/// What `track` prints.
public struct TrackingReport: Codable, Equatable, Sendable {
    public var patientID: String
    public var currentRunID: RunID
    public var currentStudyDate: String?
    public var priorRunID: RunID?
    public var priorStudyDate: String?
    public var model: String
    public var registration: TrackingRegistration?
    public var matchOptions: LesionMatchOptions
    public var lesions: [TrackedLesionRow]
    /// Study dates of the tracked runs the response is assessed over, oldest (baseline) first.
    public var timepoints: [String]
    /// RECIST 1.1 response of the target lesions (nil at baseline).
    public var response: RecistResponse.Assessment?
}

/// `segstation track RUN`: pairs a run's lesions with the prior run's (registering the studies when
/// their frames of reference differ), records stable identities, and returns the matched table.
public enum TrackJob {
    /// - Parameters:
    ///   - prior: the prior run; nil for the latest earlier run of the same patient and model (none: baseline).
    /// - Throws: `PipelineError.badInput` when the two runs are of different models or patients,
    ///   `RegistrationError.rejected` when registration fails the quality threshold (it is recorded first),
    ///   and the loaders' and the store's errors.
    public static func run(store: StudyStore, current: RunID, prior requestedPrior: RunID? = nil,
                           options: TrackOptions = TrackOptions()) throws -> TrackingReport {
        let now = try RunMaterials.load(store, runID: current)
        let priorID = try requestedPrior ?? store.priorRun(of: current)
        var report = TrackingReport(patientID: now.detail.run.patientID, currentRunID: current, currentStudyDate: now.detail.run.studyDate,
                                    priorRunID: priorID, priorStudyDate: nil, model: "\(now.detail.run.modelName) \(now.detail.run.modelVersion)",
                                    registration: nil, matchOptions: options.match, lesions: [],
                                    timepoints: [], response: nil)
        let currentLabelling = try labelling(now)
        guard let priorID else {
            let tracked = try store.recordTracking(currentRun: current, priorRun: nil, registrationID: nil, matches: [],
                                                   replace: options.replace, newUID: newTrackingUID)
            report.lesions = rows(tracked, current: now.detail.lesions, prior: [], gone: [])
            return report
        }
        guard priorID != current else { throw PipelineError.invalidArgument("run \(current) cannot be its own prior") }
        let before = try RunMaterials.load(store, runID: priorID)
        report.priorStudyDate = before.detail.run.studyDate
        guard before.detail.run.patientID == now.detail.run.patientID else {
            throw PipelineError.badInput("run \(priorID) is of patient \(before.detail.run.patientID), run \(current) of another: lesions are tracked within one patient")
        }
        guard before.detail.run.modelName == now.detail.run.modelName, before.detail.run.modelVersion == now.detail.run.modelVersion else {
            throw PipelineError.badInput("run \(priorID) used model \(before.detail.run.modelName) \(before.detail.run.modelVersion), run \(current) \(now.detail.run.modelName) \(now.detail.run.modelVersion): a change of model is a break in the history, not a change of the lesions; track runs of one model")
        }
        let registration = try register(store, prior: before, current: now, options: options)
        report.registration = registration
        let priorLabelling = try labelling(before)
        let transform = AffineTransform3(rows: registration.transform) ?? .identity
        let matches = LesionMatcher.match(current: currentLabelling.labelling, prior: priorLabelling.labelling,
                                          priorToCurrent: transform, options: options.match)
        let trackingMatches = matches.compactMap { m -> TrackingMatch? in
            guard let c = m.currentID else { return nil }
            return TrackingMatch(current: currentLabelling.keys[c]!, prior: m.priorID.map { priorLabelling.keys[$0]! },
                                 method: m.method.rawValue, dice: m.dice, distanceMM: m.distanceMM)
        }
        let tracked = try store.recordTracking(currentRun: current, priorRun: priorID, registrationID: registration.id,
                                               matches: trackingMatches, replace: options.replace, newUID: newTrackingUID)
        let priorTracked = try store.trackedLesions(run: priorID)
        let continued = Set(tracked.compactMap(\.prior))
        let gone = priorTracked.filter { !continued.contains($0.lesion) }
        report.lesions = rows(tracked, current: now.detail.lesions, prior: before.detail.lesions, gone: gone)
        let chain = try timepoints(store, ending: current)
        report.timepoints = chain.map(\.date)
        report.response = RecistResponse.assess(chain)
        return report
    }

    /// A fresh DICOM UID for a new lesion identity (PS3.5 B.2 "2.25." form).
    @Sendable static func newTrackingUID() -> String { DerivedIdentity.uid("segstation-tracking|\(UUID().uuidString)") }

    /// The run's lesions (its connected components, or its recorded instance map), and the lesion key
    /// (label, index within label) of each lesion id: the numbering `LesionAnalyzer` and the `lesion`
    /// table use. Checked against the recorded lesions.
    static func labelling(_ run: RunMaterials) throws -> (labelling: ComponentLabeling, keys: [Int: LesionKey]) {
        let labelling = run.lesionLabeling
        var keys = [Int: LesionKey](), perLabel = [Int: Int]()
        for c in labelling.components {
            perLabel[c.label, default: 0] += 1
            keys[Int(c.id)] = LesionKey(labelValue: c.label, lesionIndex: perLabel[c.label]!)
        }
        let recorded = Set(run.detail.lesions.map { LesionKey(labelValue: $0.labelValue, lesionIndex: $0.lesionIndex) })
        guard recorded == Set(keys.values) else {
            throw PipelineError.badInput("the mask of run \(run.runID) (\(run.maskPath)) has \(keys.count) lesions, the database \(recorded.count): the mask file no longer matches the run")
        }
        return (labelling, keys)
    }

    /// The identity transform when both series share a frame of reference (and registration is not forced);
    /// else elastix's. Recorded either way; a rejected registration is recorded, then refused.
    static func register(_ store: StudyStore, prior: RunMaterials, current: RunMaterials, options: TrackOptions) throws -> TrackingRegistration {
        let shared = prior.detail.frameOfReferenceUID != nil && prior.detail.frameOfReferenceUID == current.detail.frameOfReferenceUID
        if shared && !options.alwaysRegister {
            let info = RegistrationInfo(kind: "identity", transform: AffineTransform3.identity.rows, accepted: true,
                                        tool: "shared FrameOfReferenceUID")
            let id = try store.recordRegistration(fixed: prior.runID, moving: current.runID, info)
            return TrackingRegistration(id: id, kind: info.kind, transform: info.transform, rotationDegrees: 0, quality: nil, seconds: nil)
        }
        if !options.replace, let reused = try recordedRegistration(store, prior: prior.runID, current: current.runID, options: options) {
            return reused
        }
        let result = try Registration.register(fixed: prior.image, moving: current.image, kind: options.registration,
                                               minimumNMI: options.minimumNMI)
        let info = RegistrationInfo(kind: result.kind.rawValue, transform: result.fixedToMoving.rows, nmiBefore: result.quality.nmiBefore,
                                    nmiAfter: result.quality.nmiAfter, overlapFraction: result.quality.overlapFraction,
                                    accepted: result.quality.accepted, tool: result.tool, seconds: result.seconds)
        let id = try store.recordRegistration(fixed: prior.runID, moving: current.runID, info)
        guard result.quality.accepted else { throw RegistrationError.rejected(result.quality) }
        return TrackingRegistration(id: id, kind: info.kind, transform: info.transform, rotationDegrees: result.fixedToMoving.rotationDegrees,
                                    quality: result.quality, seconds: result.seconds)
    }

    /// The registration recorded by an earlier `track` of the same two runs, when it is of the kind asked
    /// for and passes today's thresholds: `track` run again (to print the table as CSV, to export the SR)
    /// does not wait for elastix again (seconds on a phantom, minutes on whole scans). `--retrack`
    /// (`options.replace`) registers anew.
    static func recordedRegistration(_ store: StudyStore, prior: RunID, current: RunID, options: TrackOptions) throws -> TrackingRegistration? {
        guard let (id, info) = try store.acceptedRegistration(fixed: prior, moving: current, kind: options.registration.rawValue),
              let transform = AffineTransform3(rows: info.transform),
              let nmiBefore = info.nmiBefore, let nmiAfter = info.nmiAfter, let overlap = info.overlapFraction else { return nil }
        let quality = RegistrationQuality(nmiBefore: nmiBefore, nmiAfter: nmiAfter, overlapFraction: overlap,
                                          minimumNMI: options.minimumNMI, minimumOverlap: RegistrationQuality.defaultMinimumOverlap)
        guard quality.accepted else { return nil }
        return TrackingRegistration(id: id, kind: info.kind, transform: info.transform, rotationDegrees: transform.rotationDegrees,
                                    quality: quality, seconds: info.seconds)
    }

    /// The tracked runs back from `run` (each to the prior it was tracked against), oldest first, as RECIST time points.
    static func timepoints(_ store: StudyStore, ending run: RunID) throws -> [RecistResponse.Timepoint] {
        var chain = [RecistResponse.Timepoint](), next: RunID? = run, seen = Set<RunID>()
        while let id = next, seen.insert(id).inserted {
            let detail = try store.show(id)
            let rows = Dictionary(uniqueKeysWithValues: detail.lesions.map { (LesionKey(labelValue: $0.labelValue, lesionIndex: $0.lesionIndex), $0) })
            let lesions = try store.trackedLesions(run: id).compactMap { t -> RecistResponse.Lesion? in
                guard let row = rows[t.lesion] else { return nil }
                return RecistResponse.Lesion(identity: t.number, label: t.labelName, isNode: t.labelName.lowercased().contains("node"),
                                             longAxisMM: row.recistLongMM ?? 0, shortAxisMM: row.recistShortMM ?? 0, volumeML: row.volumeML)
            }
            chain.insert(RecistResponse.Timepoint(date: detail.run.studyDate ?? "unknown", lesions: lesions), at: 0)
            next = try store.trackedPriorRun(of: id)
        }
        return chain
    }

    static func rows(_ tracked: [TrackedLesion], current: [LesionRow], prior: [LesionRow], gone: [TrackedLesion]) -> [TrackedLesionRow] {
        func find(_ rows: [LesionRow], _ key: LesionKey?) -> LesionRow? {
            key.flatMap { k in rows.first { $0.labelValue == k.labelValue && $0.lesionIndex == k.lesionIndex } }
        }
        var result = tracked.map { t -> TrackedLesionRow in
            let now = find(current, t.lesion), before = find(prior, t.prior)
            let change = before.flatMap { b in now.flatMap { n in b.volumeML > 0 ? (n.volumeML - b.volumeML) / b.volumeML * 100 : nil } }
            return TrackedLesionRow(number: t.number, trackingUID: t.trackingUID, label: t.labelName, current: t.lesion, prior: t.prior,
                                    method: t.method, dice: t.dice, distanceMM: t.distanceMM, volumeML: now?.volumeML,
                                    priorVolumeML: before?.volumeML, volumeChangePercent: change, recistLongMM: now?.recistLongMM,
                                    recistShortMM: now?.recistShortMM, priorRecistLongMM: before?.recistLongMM,
                                    priorRecistShortMM: before?.recistShortMM)
        }
        result += gone.map { g in
            let before = find(prior, g.lesion)
            return TrackedLesionRow(number: g.number, trackingUID: g.trackingUID, label: g.labelName, current: nil, prior: g.lesion,
                                    method: "gone", dice: nil, distanceMM: nil, volumeML: 0, priorVolumeML: before?.volumeML,
                                    volumeChangePercent: before.map { $0.volumeML > 0 ? -100 : 0 }, recistLongMM: 0, recistShortMM: 0,
                                    priorRecistLongMM: before?.recistLongMM, priorRecistShortMM: before?.recistShortMM)
        }
        return result.sorted { $0.number < $1.number }
    }
}
