import Core
import Foundation

extension StudyStore {
    /// Converts "YYYYMMDD" (DICOM DA) or "YYYY-MM-DD" to ISO "YYYY-MM-DD".
    /// - Throws: `StoreError.invalidArgument` naming `field` for anything else (including month 13).
    static func isoDate(_ text: String, field: String) throws -> String {
        guard let date = ISODate(dicomOrISO: text) else {
            throw StoreError.invalidArgument("\(field) '\(text)': expected YYYYMMDD or YYYY-MM-DD")
        }
        return date.description
    }

    static func validateJSONObject(_ text: String, field: String) throws {
        guard let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data),
              object is [String: Any] else {
            throw StoreError.invalidArgument("\(field) is not a JSON object: \(text.prefix(80))")
        }
    }

    static func validateJSON(_ text: String?, field: String) throws {
        guard let text else { return }
        guard let data = text.data(using: .utf8),
              (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil else {
            throw StoreError.invalidArgument("\(field) is not valid JSON: \(text.prefix(80))")
        }
    }

    static func validate(_ start: RunStart) throws {
        let required: [(String, String)] = [
            ("patient ID", start.patient.patientID), ("StudyInstanceUID", start.study.studyInstanceUID),
            ("SeriesInstanceUID", start.series.seriesInstanceUID), ("modality", start.series.modality),
            ("model name", start.model.name), ("model version", start.model.version),
            ("input fingerprint", start.inputFingerprint), ("SegStation version", start.segstationVersion),
        ]
        for (name, value) in required where value.trimmingCharacters(in: .whitespaces).isEmpty {
            throw StoreError.invalidArgument("\(name) is empty")
        }
        try validateJSONObject(start.parametersJSON, field: "run parameters")
        _ = try start.study.studyDate.map { try isoDate($0, field: "study date") }
        _ = try start.patient.birthDate.map { try isoDate($0, field: "birth date") }
    }

    static func validate(_ result: RunResult) throws {
        var values = Set<Int>()
        for label in result.labels {
            guard (1...65535).contains(label.value) else {
                throw StoreError.invalidArgument("label '\(label.name)' has value \(label.value), expected 1...65535")
            }
            guard values.insert(label.value).inserted else {
                throw StoreError.invalidArgument("label value \(label.value) is declared twice")
            }
            try validateJSON(label.codesJSON, field: "codes of label \(label.value)")
        }
        var keys = Set<[Int]>()
        for lesion in result.lesions {
            let name = "lesion \(lesion.index) of label \(lesion.labelValue)"
            guard keys.insert([lesion.labelValue, lesion.index]).inserted else {
                throw StoreError.invalidArgument("\(name) appears twice")
            }
            guard lesion.centroidLPSMM.count == 3, lesion.centroidLPSMM.allSatisfy(\.isFinite) else {
                throw StoreError.invalidArgument("\(name): centroid must be 3 finite LPS mm values, found \(lesion.centroidLPSMM)")
            }
            guard lesion.voxelCount > 0, lesion.volumeML.isFinite, lesion.volumeML >= 0 else {
                throw StoreError.invalidArgument("\(name): voxel count \(lesion.voxelCount) and volume \(lesion.volumeML) mL must be positive")
            }
            if let box = lesion.bboxIJK, box.count != 6 {
                throw StoreError.invalidArgument("\(name): bounding box needs 6 indices, found \(box.count)")
            }
            try validateJSON(lesion.extraJSON, field: "extra measurements of \(name)")
        }
        for artefact in result.artefacts where artefact.path.isEmpty || artefact.bytes < 0 {
            throw StoreError.invalidArgument("artefact '\(artefact.path)' needs a path and a size >= 0")
        }
    }
}
