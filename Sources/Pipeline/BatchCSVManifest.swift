import Foundation
import CSV
import Inference

/// A cohort listed in a CSV file (RFC 4180, UTF-8, header row):
///
/// | column | meaning |
/// | --- | --- |
/// | `case_id` | required, unique |
/// | one per model input, named as the input (`FLAIR`, `T1c`; case-insensitive) or by index (`0000`, `channel_0000`) | path of that channel (NIfTI, NRRD or DICOM folder), relative to the CSV's folder unless absolute |
/// | `patient_id`, `study_date`, `study_uid`, `series_description` | optional identifiers for NIfTI/NRRD cases (as `segment --patient-id`, `--study-date`, `--study-uid`, `--series-description`) |
enum BatchCSVManifest {
    static func read(_ path: String, manifest: ModelManifest) throws -> BatchCohort {
        guard let data = FileManager.default.contents(atPath: path) else { throw BatchError.notFound("\(path): cannot read the manifest") }
        guard let text = String(data: data, encoding: .utf8) else { throw BatchError.badInput("\(path): the manifest is not UTF-8 text") }
        let reader: CSVReader
        do { reader = try CSVReader(string: text, hasHeaderRow: true, trimFields: true) } catch {
            throw BatchError.badInput("\(path): not a CSV manifest (\(error))")
        }
        guard let header = reader.headerRow, !header.isEmpty else { throw BatchError.badInput("\(path): the manifest has no header row") }
        let keys = header.map { $0.lowercased() }
        func column(_ names: [String]) -> Int? { keys.firstIndex { names.contains($0) } }
        guard let caseColumn = column(["case_id", "case"]) else {
            throw BatchError.badInput("\(path): the header has no case_id column (found: \(header.joined(separator: ", ")))")
        }
        let channelColumns = try manifest.inputs.enumerated().map { index, input -> Int in
            let number = String(format: "%04d", index)
            guard let c = column([input.name.lowercased(), number, "channel_\(number)"]) else {
                throw BatchError.badInput("\(path): no column for model input \(index) '\(input.name)' (name it \(input.name) or \(number))")
            }
            return c
        }
        let patientColumn = column(["patient_id"]), dateColumn = column(["study_date"]), uidColumn = column(["study_uid"])
        let descriptionColumn = column(["series_description"])
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        var cases: [BatchCase] = []
        var seen = Set<String>()
        var line = 1
        while let row = reader.next() {
            line += 1
            if row.allSatisfy({ $0.isEmpty }) { continue }
            if let error = reader.error { throw BatchError.badInput("\(path) line \(line): \(error)") }
            func field(_ c: Int?) -> String? { c.flatMap { $0 < row.count && !row[$0].isEmpty ? row[$0] : nil } }
            guard let id = field(caseColumn) else { throw BatchError.badInput("\(path) line \(line): empty case_id") }
            guard seen.insert(id).inserted else { throw BatchError.badInput("\(path) line \(line): case_id '\(id)' appears twice") }
            var inputs: [String] = [], missing: [String] = []
            for (index, c) in channelColumns.enumerated() {
                guard let value = field(c) else { missing.append(manifest.inputs[index].name); continue }
                inputs.append(value.hasPrefix("/") ? value : base.appendingPathComponent(value).path)
            }
            let identity = IdentityOverrides(patientID: field(patientColumn), studyDate: field(dateColumn), studyInstanceUID: field(uidColumn),
                                             seriesDescription: field(descriptionColumn))
            cases.append(BatchCase(id: id, inputs: inputs, identity: identity,
                                   problem: missing.isEmpty ? nil : "missing channel \(missing.joined(separator: ", ")): empty cell in the manifest"))
        }
        if let error = reader.error { throw BatchError.badInput("\(path): \(error)") }
        return BatchCohort(kind: .csvManifest, cases: cases, notes: [])
    }
}
