import ArgumentParser
import Foundation
import StudyStore

/// `segstation history --patient ID`: per label and per lesion, volume over time across studies.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Volume over time for one patient, per label and per lesion, with absolute and % change.",
        discussion: """
            One timepoint per study: its latest completed run (of --model when given). Lesions of \
            consecutive studies are matched when their series share a frame of reference (or with \
            --assume-shared-frame), carry the same label and their centroids lie within --match-mm \
            (closest pairs first, one-to-one). See docs/DATABASE.md.
            """)

    @Option(name: .customLong("patient"), help: "Patient ID.")
    var patientID: String
    @Option(help: "Issuer of Patient ID, when the ID exists under several issuers.")
    var issuer: String?
    @Option(help: "Only runs of this model name.")
    var model: String?
    @Option(name: .customLong("match-mm"), help: "Largest centroid distance (mm) for two lesions to be the same lesion.")
    var matchDistanceMM: Double = 10
    @Flag(help: "Match lesions even when the studies' frames of reference differ (images already registered).")
    var assumeSharedFrame = false
    @Flag(help: "JSON output.")
    var json = false
    @OptionGroup var database: DatabaseOption

    func validate() throws {
        guard matchDistanceMM.isFinite, matchDistanceMM >= 0 else {
            throw ValidationError("--match-mm must be a finite number >= 0, found \(matchDistanceMM)")
        }
    }

    func run() throws {
        let store = try database.openForQuery()
        let options = HistoryOptions(matchDistanceMM: matchDistanceMM, modelName: model, issuer: issuer,
                                     assumeSharedFrame: assumeSharedFrame)
        let history = try store.history(patientID: patientID, options: options)
        if json { try Output.json(history); return }
        Output.text("Patient \(history.patientID): \(history.timepoints.count) timepoint(s)\n\n")
        let tpRows = history.timepoints.map {
            [$0.studyDate ?? "-", String($0.runID), "\($0.modelName) \($0.modelVersion)",
             $0.matchedToPrevious ? "yes" : "no", $0.studyInstanceUID]
        }
        Output.text(QueryOutput.alignedTable(header: ["studyDate", "runID", "model", "matchedToPrevious", "studyInstanceUID"], rows: tpRows))
        Output.text("\nPer label (total volume):\n")
        Output.text(QueryOutput.alignedTable(
            header: ["label", "studyDate", "lesions", "volumeML", "changeML", "change%"],
            rows: history.labels.flatMap { series in
                series.points.map { [series.label, $0.studyDate ?? "-", String($0.lesionCount ?? 0)] + Self.volumeCells($0) }
            }))
        Output.text("\nPer lesion (matched within \(Self.number(history.matchDistanceMM)) mm):\n")
        Output.text(QueryOutput.alignedTable(
            header: ["track", "label", "studyDate", "lesion", "volumeML", "changeML", "change%", "distanceMM"],
            rows: history.lesions.flatMap { series in
                series.points.map {
                    [series.trackID ?? "-", series.label, $0.studyDate ?? "-", $0.lesionIndex.map(String.init) ?? "-"]
                        + Self.volumeCells($0) + [$0.distanceMM.map(Self.number) ?? "-"]
                }
            }))
    }

    static func volumeCells(_ p: PatientHistory.Point) -> [String] {
        [number(p.volumeML), p.changeML.map { signed($0) } ?? "-", p.changePercent.map { signed($0) + "%" } ?? "-"]
    }

    static func number(_ v: Double) -> String { String(format: "%.2f", v) }
    static func signed(_ v: Double) -> String { String(format: "%+.2f", v) }
}
