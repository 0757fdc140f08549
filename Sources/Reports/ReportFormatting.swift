import Foundation
import Imaging

/// Number and text formatting shared by the HTML and PDF reports (the JSON keeps full precision).
enum ReportFormatting {
    static func volume(_ ml: Double) -> String { String(format: "%.2f", ml) }
    static func mm(_ value: Double) -> String { String(format: "%.1f", value) }
    static func intensity(_ mean: Double, _ sd: Double) -> String { String(format: "%.1f ± %.1f", mean, sd) }
    static func lps(_ v: Vector3) -> String { String(format: "%.1f, %.1f, %.1f", v.x, v.y, v.z) }
    static func seconds(_ s: Double) -> String { String(format: "%.2f s", s) }

    /// Column titles of the lesion table, as (title, unit line); the HTML joins them, the PDF stacks them.
    static let lesionColumnTitles = [("Label", ""), ("#", ""), ("Volume", "(mL)"), ("Long axial", "(mm)"),
                                     ("Short axis", "(mm)"), ("Max 3D", "(mm)"), ("Mean ± SD", "(image units)"),
                                     ("Centroid LPS", "(mm)"), ("Border", ""), ("RECIST", ""),
                                     ("Change", "(prior mL)"), ("Score", "(mean/max)")]
    static var lesionColumns: [String] { lesionColumnTitles.map { $0.1.isEmpty ? $0.0 : "\($0.0) \($0.1)" } }

    static func lesionCells(_ row: LesionRow) -> [String] {
        [row.labelName, String(row.lesionIndex), volume(row.volumeML), mm(row.longestAxialDiameterMM),
         mm(row.shortAxisMM), mm(row.max3DDiameterMM), intensity(row.meanIntensity, row.stdIntensity),
         lps(row.centroidLPS), row.touchesBorder ? "yes" : "no", row.isTarget == true ? "target" : row.longestAxialDiameterMM >= 10 ? "measurable" : "-",
         change(row), score(row)]
    }

    /// "0.83/0.97": an instance model's detection score, mean over the lesion's slices / maximum; "-" otherwise.
    static func score(_ row: LesionRow) -> String {
        guard let mean = row.detectionScoreMean, let max = row.detectionScoreMax else { return "-" }
        return String(format: "%.2f/%.2f", mean, max)
    }

    /// "+23.0 % (10.00)": change from the prior study and the prior volume; "new" or "-" otherwise.
    static func change(_ row: LesionRow) -> String {
        guard let prior = row.priorVolumeML else { return "-" }
        return (row.volumeChangePercent.map { String(format: "%+.1f %%", $0) } ?? "new") + " (\(volume(prior)))"
    }

    /// The table's summary row text for components under the threshold, e.g. "37 components < 0.1 mL, 0.52 mL in total".
    static func smallLesionSummary(_ input: ReportInput) -> String? {
        input.smallLesionSummary.map { s in
            "\(s.count) component\(s.count == 1 ? "" : "s") < \(String(format: "%g", input.smallLesionThresholdML)) mL, \(volume(s.volumeML)) mL in total"
        }
    }

    /// Header fields in display order (patient identifiers exactly as given).
    static func studyFields(_ h: StudyHeader) -> [(String, String)] {
        var fields = [("Patient ID", h.patientID)]
        if let name = h.patientName { fields.append(("Patient name", name)) }
        fields += [("Study date", h.studyDate), ("Modality", h.modality), ("Series", h.seriesDescription),
                   ("Study UID", h.studyInstanceUID)]
        if let uid = h.seriesInstanceUID { fields.append(("Series UID", uid)) }
        return fields
    }

    static func provenanceFields(_ p: Provenance) -> [(String, String)] {
        var fields = [("Model", "\(p.modelName) \(p.modelVersion)")]
        if let use = p.intendedUse { fields.append(("Intended use", use)) }
        if let licence = p.modelLicence { fields.append(("Model licence", licence)) }
        fields += [("Model SHA-256", p.modelSHA256), ("SegStation", p.segStationVersion), ("Run", p.runID), ("Started", p.startedAt)]
        if !p.timings.isEmpty { fields.append(("Time taken", timingWords(p.timings))) }
        if !p.parameters.isEmpty {
            fields.append(("Parameters", p.parameters.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")))
        }
        return fields
    }

    /// Stage timings in words, in pipeline order: "load 0.5 s, inference 61.7 s, ...".
    static func timingWords(_ timings: [StageTiming]) -> String {
        let order = ["loadSeconds", "preprocessSeconds", "inferenceSeconds", "restoreSeconds", "cleanupSeconds", "measureSeconds",
                     "maskWriteSeconds", "dicomExportSeconds", "reportSeconds", "databaseSeconds"]
        let words = ["loadSeconds": "load", "preprocessSeconds": "preprocessing", "inferenceSeconds": "inference",
                     "restoreSeconds": "back to the scan grid", "cleanupSeconds": "clean-up", "measureSeconds": "measurements",
                     "maskWriteSeconds": "mask file", "dicomExportSeconds": "DICOM export", "reportSeconds": "report",
                     "databaseSeconds": "database"]
        return timings.sorted { (order.firstIndex(of: $0.stage) ?? order.count, $0.stage) < (order.firstIndex(of: $1.stage) ?? order.count, $1.stage) }
            .map { t in
                // Unknown stages: the key without "Seconds", camel case split into words.
                let name = words[t.stage] ?? t.stage.replacingOccurrences(of: "Seconds", with: "")
                    .reduce(into: "") { out, c in out += c.isUppercase ? " " + c.lowercased() : String(c) }
                return "\(name) \(String(format: t.seconds < 10 ? "%.2f" : "%.1f", t.seconds)) s"
            }.joined(separator: ", ")
    }

    static let disclaimer = "Automatic segmentation: measurements must be checked against the source images before clinical use."
}
