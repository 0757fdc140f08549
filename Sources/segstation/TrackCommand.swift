import ArgumentParser
import Core
import Foundation
import Lesions
import Pipeline
import StudyStore

/// `segstation track RUN`: matches a run's lesions with the prior run's and prints the matched table.
struct TrackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "track",
        abstract: "Match a run's lesions with the prior study's: stable lesion numbers, volume change, RECIST 1.1 response.",
        discussion: """
            The prior is the latest completed run of the same patient and model (name and version) on an \
            earlier study, or --prior. When the two series do not share a FrameOfReferenceUID, the images \
            are registered first with elastix (rigid; --affine on request), and lesions are not matched when \
            the registration fails its quality threshold (--min-nmi; exit 65). Lesions are paired by overlap \
            (Dice >= --min-dice), then by centroid distance (<= --match-mm), same label, one to one. Each \
            lesion keeps its number and DICOM tracking UID across studies; they are stored in the database \
            and re-used by later runs of `track`, as is an accepted registration (--retrack registers and \
            assigns them again). See docs/TRACKING.md and \
            docs/RECIST.md.
            """)

    @Argument(help: ArgumentHelp("The run ID to track (the later study).", valueName: "run"))
    var runID: Int64
    @Option(help: "The prior run ID (default: the latest earlier run of the same patient and model).")
    var prior: Int64?
    @Flag(help: "Affine (12 parameters) instead of rigid registration.")
    var affine = false
    @Flag(help: "Register even when both series share a frame of reference.")
    var alwaysRegister = false
    @Option(name: .customLong("match-mm"), help: "Largest centroid distance (mm, after registration) for lesions without overlap to be the same lesion.")
    var matchDistanceMM: Double = LesionMatchOptions().maxCentroidDistanceMM
    @Option(name: .customLong("min-dice"), help: "Smallest overlap (Dice, after registration) that pairs two lesions.")
    var minimumDice: Double = LesionMatchOptions().minimumDice
    @Option(name: .customLong("min-nmi"), help: "Registration quality threshold: normalised mutual information after registration.")
    var minimumNMI: Double = RegistrationQuality.defaultMinimumNMI
    @Option(name: .customLong("export-sr"), help: ArgumentHelp(
        "Also write the run's DICOM SR (TID 1500) with the tracked identities to this file (DICOM runs with a SEG).", valueName: "file"))
    var exportSR: String?
    @Flag(help: "Register again and assign identities again although this run was tracked before (new lesions get new tracking UIDs).")
    var retrack = false
    @OptionGroup var query: QueryOptions

    func validate() throws {
        guard matchDistanceMM.isFinite, matchDistanceMM >= 0 else { throw ValidationError("--match-mm must be a finite number >= 0, found \(matchDistanceMM)") }
        guard minimumDice.isFinite, minimumDice > 0, minimumDice <= 1 else { throw ValidationError("--min-dice must be in (0, 1], found \(minimumDice)") }
        guard minimumNMI.isFinite, minimumNMI >= 1, minimumNMI <= 2 else { throw ValidationError("--min-nmi must be in [1, 2], found \(minimumNMI)") }
    }

    func run() throws {
        var options = TrackOptions()
        options.registration = affine ? .affine : .rigid
        options.alwaysRegister = alwaysRegister
        options.match = LesionMatchOptions(minimumDice: minimumDice, maxCentroidDistanceMM: matchDistanceMM)
        options.minimumNMI = minimumNMI
        options.replace = retrack
        if let exportSR { try InputFile.requireWritableFileTarget(exportSR, flag: "--export-sr") }
        let store = try query.database.openExistingForWriting()
        let report = try TrackJob.run(store: store, current: runID, prior: prior, options: options)
        if let exportSR {
            let uid = try TrackedSR.write(store: store, run: runID, to: URL(fileURLWithPath: exportSR))
            Log.logger(.pipeline).info("wrote \(exportSR) (SR with tracked identities, SOP instance \(uid))")
        }
        switch query.format {
        case .json: try Output.json(report)
        case .csv: Output.text(QueryOutput.csv(report.lesions))
        case .table: Output.text(Self.text(report))
        }
    }

    static func text(_ r: TrackingReport) -> String {
        var out = "Patient \(r.patientID), model \(r.model): run \(r.currentRunID) (\(r.currentStudyDate ?? "undated"))"
        out += r.priorRunID.map { " against run \($0) (\(r.priorStudyDate ?? "undated"))\n" } ?? ", baseline (no earlier run of this model)\n"
        if let g = r.registration {
            out += "Registration: \(g.kind)"
            if g.kind != "identity" {
                let t = g.transform.map { $0[3] }
                out += String(format: ", rotation %.2f degrees, translation (%.1f, %.1f, %.1f) mm", g.rotationDegrees, t[0], t[1], t[2])
            } else {
                out += " (shared frame of reference)"
            }
            if let q = g.quality { out += "; \(q.summary)" }
            out += "\n"
        }
        out += String(format: "Matching: overlap (Dice >= %.2f), then centroids within %.1f mm\n\n", r.matchOptions.minimumDice, r.matchOptions.maxCentroidDistanceMM)
        out += r.lesions.isEmpty ? "(no lesions)\n" : QueryOutput.table(r.lesions)
        if let a = r.response {
            out += "\nRECIST 1.1 (\(r.timepoints.joined(separator: " -> "))): \(a.category.rawValue)\n"
            out += "  targets: " + (a.targets.isEmpty ? "none measurable" : a.targets.map { "lesion \($0)" }.joined(separator: ", ")) + "\n"
            out += String(format: "  sum of diameters: baseline %.1f mm, nadir %.1f mm, now %.1f mm", a.baselineSumMM, a.nadirSumMM, a.currentSumMM)
            if let p = a.changeFromBaselinePercent { out += String(format: " (%+.1f %% from baseline", p) + (a.changeFromNadirPercent.map { String(format: ", %+.1f %% from nadir)", $0) } ?? ")") }
            out += "\n  new lesions: " + (a.newLesions.isEmpty ? "none" : a.newLesions.map { "lesion \($0)" }.joined(separator: ", ")) + "\n"
        }
        return out
    }
}

extension TrackedLesionRow: QueryRow {
    static let columns: [Column<TrackedLesionRow>] = [
        Column("number") { .integer(Int64($0.number)) },
        Column("label") { .text($0.label) },
        Column("method") { .text($0.method) },
        Column("lesionIndex") { .optional($0.current?.lesionIndex) { .integer(Int64($0)) } },
        Column("priorLesionIndex") { .optional($0.prior?.lesionIndex) { .integer(Int64($0)) } },
        Column("volumeML") { .optional($0.volumeML, Cell.decimal) },
        Column("priorVolumeML") { .optional($0.priorVolumeML, Cell.decimal) },
        Column("volumeChangePercent") { .optional($0.volumeChangePercent, Cell.decimal) },
        Column("recistLongMM") { .optional($0.recistLongMM, Cell.decimal) },
        Column("priorRecistLongMM") { .optional($0.priorRecistLongMM, Cell.decimal) },
        Column("recistShortMM") { .optional($0.recistShortMM, Cell.decimal) },
        Column("priorRecistShortMM") { .optional($0.priorRecistShortMM, Cell.decimal) },
        Column("dice") { .optional($0.dice, Cell.decimal) },
        Column("distanceMM") { .optional($0.distanceMM, Cell.decimal) },
        Column("trackingUID") { .optional($0.trackingUID, Cell.text) },
    ]
    static let tableColumns = ["number", "label", "method", "lesionIndex", "priorLesionIndex", "volumeML", "priorVolumeML",
                               "volumeChangePercent", "recistLongMM", "priorRecistLongMM", "dice", "distanceMM"]
}
