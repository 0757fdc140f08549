import Foundation

extension SegmentDescription {
    /// Segment descriptions from a labels JSON file: either the `labels` array of a SegStation model
    /// manifest or the whole manifest (an object with a `labels` key). Each entry:
    /// `{"value": 1, "name": "liver", "colorRGB": [r, g, b], "category": {"code", "scheme", "meaning"},
    ///   "type": {...}, "description": "..."}`; `colorRGB`, `category`, `type`, `description` are optional
    /// (defaults: `RGBColor.defaultColor`, SNOMED CT Tissue).
    /// - Throws: `DICOMError.badInput` naming the file and entry when the JSON does not fit.
    public static func list(fromLabelsFile url: URL) throws -> [SegmentDescription] {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw DICOMError.notFound(path: url.path, reason: "does not exist") }
        struct Code: Decodable { var code: String; var scheme: String; var meaning: String }
        struct Entry: Decodable { var value: Int; var name: String; var colorRGB: [Int]?; var category: Code?; var type: Code?; var description: String? }
        struct Manifest: Decodable { var labels: [Entry] }
        let entries: [Entry]
        do {
            if let list = try? JSONDecoder().decode([Entry].self, from: data) { entries = list }
            else { entries = try JSONDecoder().decode(Manifest.self, from: data).labels }
        } catch {
            throw DICOMError.badInput(file: url.path, detail: "expected a labels array or a manifest with \"labels\": \(error)")
        }
        return try entries.enumerated().map { index, e in
            guard (1...255).contains(e.value) else {
                throw DICOMError.badInput(file: url.path, detail: "labels[\(index)] has value \(e.value); expected 1...255")
            }
            var color: RGBColor?
            if let c = e.colorRGB {
                guard c.count == 3, c.allSatisfy({ (0...255).contains($0) }) else {
                    throw DICOMError.badInput(file: url.path, detail: "labels[\(index)].colorRGB \(c); expected 3 values 0...255")
                }
                color = RGBColor(red: UInt8(c[0]), green: UInt8(c[1]), blue: UInt8(c[2]))
            }
            func concept(_ c: Code?) -> CodedConcept { c.map { CodedConcept(value: $0.code, scheme: $0.scheme, meaning: $0.meaning) } ?? .tissue }
            let segment = SegmentDescription(labelValue: e.value, label: e.name, description: e.description, color: color,
                                             category: concept(e.category), type: concept(e.type))
            if let violation = segment.vrViolation { throw DICOMError.badInput(file: url.path, detail: "labels[\(index)]: \(violation)") }
            return segment
        }
    }
}
