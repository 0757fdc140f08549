import Foundation

/// What one ROI of an RT Structure Set says about itself. `labelValue` is the voxel value of the label map
/// it is traced from; ROI numbers in the file are 1, 2, ... in ascending label value.
public struct RTROIDescription: Sendable, Equatable {
    public var labelValue: UInt8
    /// ROI Name (LO: at most 64 characters, no backslash).
    public var name: String
    public var description: String?
    /// ROI Display Color.
    public var color: RGBColor
    /// RT ROI Interpreted Type (a defined term of `interpretedTypes`, or "" for unknown; type 2).
    public var interpretedType: String

    public init(labelValue: UInt8, name: String, description: String? = nil, color: RGBColor? = nil, interpretedType: String = "") {
        self.labelValue = labelValue; self.name = name; self.description = description
        self.color = color ?? RGBColor.defaultColor(for: Int(labelValue)); self.interpretedType = interpretedType
    }

    /// The ROI of a SEG segment description: same name, colour and description; the interpreted type is
    /// `interpretedType` if given, else derived from the segment's category (`interpretedType(forCategory:)`).
    public init(segment: SegmentDescription, interpretedType: String? = nil) {
        self.init(labelValue: UInt8(clamping: segment.labelValue), name: segment.label, description: segment.description, color: segment.color,
                  interpretedType: interpretedType ?? Self.interpretedType(forCategory: segment.category))
    }

    /// "Label N", default colour, no interpreted type.
    public static func placeholder(for labelValue: UInt8) -> RTROIDescription {
        RTROIDescription(labelValue: labelValue, name: "Label \(labelValue)")
    }

    /// The defined terms of RT ROI Interpreted Type (3006,00A4), PS3.3 C.8.8.8.
    public static let interpretedTypes: Set<String> = [
        "EXTERNAL", "PTV", "CTV", "GTV", "TREATED_VOLUME", "IRRAD_VOLUME", "OAR", "BOLUS", "AVOIDANCE", "ORGAN", "MARKER",
        "REGISTRATION", "ISOCENTER", "CONTRAST_AGENT", "CAVITY", "BRACHY_CHANNEL", "BRACHY_ACCESSORY", "BRACHY_SRC_APP",
        "BRACHY_CHNL_SHLD", "SUPPORT", "FIXATION", "DOSE_REGION", "CONTROL", "DOSE_MEASUREMENT",
    ]

    /// ORGAN for the SNOMED CT category Anatomical Structure (123037004); every other category (lesions,
    /// tissue) leaves the type empty, since a target volume (GTV, CTV) is a clinician's decision, not a model's.
    public static func interpretedType(forCategory category: CodedConcept) -> String {
        category.scheme == "SCT" && category.value == "123037004" ? "ORGAN" : ""
    }

    /// ROI descriptions from a labels JSON file (a model manifest or its `labels` array, as
    /// `SegmentDescription.list(fromLabelsFile:)`), each entry optionally with `"rtROIInterpretedType"`.
    /// - Throws: `DICOMError` as `SegmentDescription.list`; `.badInput` for an interpreted type that
    ///   is not a defined term, or a name longer than 64 characters or holding a backslash.
    public static func list(fromLabelsFile url: URL) throws -> [RTROIDescription] {
        let segments = try SegmentDescription.list(fromLabelsFile: url)
        struct Entry: Decodable { var value: Int; var rtROIInterpretedType: String? }
        struct Manifest: Decodable { var labels: [Entry] }
        let data = FileManager.default.contents(atPath: url.path) ?? Data()
        let entries = (try? JSONDecoder().decode([Entry].self, from: data)) ?? (try? JSONDecoder().decode(Manifest.self, from: data).labels) ?? []
        return try segments.map { segment in
            let explicit = entries.first { $0.value == segment.labelValue }?.rtROIInterpretedType
            if let explicit, !explicit.isEmpty, !interpretedTypes.contains(explicit) {
                throw DICOMError.badInput(file: url.path, detail: "label \(segment.labelValue): rtROIInterpretedType '\(explicit)' is not a defined term of RT ROI Interpreted Type (3006,00A4)")
            }
            let roi = RTROIDescription(segment: segment, interpretedType: explicit)
            try roi.check(file: url.path)
            return roi
        }
    }

    /// Checks the name fits ROI Name (LO).
    func check(file: String) throws {
        guard !name.isEmpty, name.count <= 64, !name.contains("\\"), !name.contains(where: { $0.isNewline }) else {
            throw DICOMError.badInput(file: file, detail: "label \(labelValue): ROI Name (3006,0026) '\(name)' must be 1...64 characters without backslash or line break")
        }
    }
}
