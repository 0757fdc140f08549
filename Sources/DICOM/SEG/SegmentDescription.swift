internal import CDCMTKBridge
import Foundation

/// A coded concept (code value, coding scheme designator, code meaning), e.g. SNOMED CT "85756007" "SCT" "Tissue".
public struct CodedConcept: Sendable, Equatable, Hashable, Codable {
    public var value: String
    public var scheme: String
    public var meaning: String

    public init(value: String, scheme: String, meaning: String) {
        self.value = value; self.scheme = scheme; self.meaning = meaning
    }

    /// SNOMED CT "Tissue" (85756007): the default segmented property category and type.
    public static let tissue = CodedConcept(value: "85756007", scheme: "SCT", meaning: "Tissue")
    /// SNOMED CT "Morphologically Abnormal Structure" (49755003), a category for lesions.
    public static let morphologicallyAbnormalStructure = CodedConcept(value: "49755003", scheme: "SCT", meaning: "Morphologically Abnormal Structure")
    /// SNOMED CT "Lesion" (52988006).
    public static let lesion = CodedConcept(value: "52988006", scheme: "SCT", meaning: "Lesion")
}

/// Segment Algorithm Type (0062,0008), PS3.3 C.8.20.4 (highdicom's `SegmentAlgorithmTypeValues`).
/// SegStation writes `.automatic`; reading keeps what the file says.
public enum SegmentAlgorithmType: String, Sendable, Equatable, Codable, CaseIterable {
    case automatic = "AUTOMATIC"
    case semiautomatic = "SEMIAUTOMATIC"
    case manual = "MANUAL"
}

/// An sRGB colour, 0...255 per channel.
public struct RGBColor: Sendable, Equatable, Hashable, Codable {
    public var red: UInt8, green: UInt8, blue: UInt8
    public init(red: UInt8, green: UInt8, blue: UInt8) { self.red = red; self.green = green; self.blue = blue }

    /// DICOM-scaled CIELab (Recommended Display CIELab Value): L* 0...100 -> 0...65535,
    /// a*, b* -128...127 -> 0...65535; sRGB -> XYZ (D65) -> L*a*b* by DCMTK's IODCIELabUtil.
    public var dicomLab: [UInt16] {
        var lab: (UInt16, UInt16, UInt16) = (0, 0, 0)
        withUnsafeMutableBytes(of: &lab) { raw in
            ssseg_rgb_to_dicom_lab(Double(red) / 255, Double(green) / 255, Double(blue) / 255, raw.bindMemory(to: UInt16.self).baseAddress)
        }
        return [lab.0, lab.1, lab.2]
    }

    /// The sRGB colour of a DICOM-scaled CIELab value (rounded).
    public init(dicomLab lab: [UInt16]) {
        precondition(lab.count == 3, "CIELab needs 3 values")
        var rgb = [0.0, 0.0, 0.0]
        lab.withUnsafeBufferPointer { ssseg_dicom_lab_to_rgb($0.baseAddress, &rgb) }
        self.init(red: UInt8((rgb[0] * 255).rounded()), green: UInt8((rgb[1] * 255).rounded()), blue: UInt8((rgb[2] * 255).rounded()))
    }

    /// A distinct default colour for label `n` (a fixed 12-colour cycle).
    public static func defaultColor(for label: Int) -> RGBColor {
        let palette: [(UInt8, UInt8, UInt8)] = [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
                                                (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128), (170, 110, 40)]
        let c = palette[(max(label, 1) - 1) % palette.count]
        return RGBColor(red: c.0, green: c.1, blue: c.2)
    }
}

/// What one segment of a SEG says about itself: the one description type for writing (`SEGWriter`) and
/// reading (`SEGDocument.segments`), as highdicom's `SegmentDescription`.
public struct SegmentDescription: Sendable, Equatable, Codable {
    /// The segment's value in a label map. Writing: the voxel value it covers (1...255); the file numbers
    /// segments 1, 2, ... in ascending order of these values (DICOM wants consecutive numbers). Read from
    /// a SEG: its Segment Number (0062,0004), which is also its value in `SEGDocument.labelMap(on:)`.
    public var labelValue: Int
    /// Segment Label (LO, at most 64 characters).
    public var label: String
    public var description: String?
    /// Recommended display colour; nil picks `RGBColor.defaultColor(for:)`.
    public var color: RGBColor?
    /// Segmented Property Category Code (CID 7150); default SNOMED CT Tissue.
    public var category: CodedConcept
    /// Segmented Property Type Code (CID 7151); default SNOMED CT Tissue.
    public var type: CodedConcept
    public var trackingID: String?
    /// Segment Algorithm Type (0062,0008): read from a file, what it says (nil when absent or not a
    /// defined term); `SEGWriter` writes AUTOMATIC segmentations and refuses another type.
    public var algorithmType: SegmentAlgorithmType?
    /// Segment Algorithm Name (0062,0009): read from a file, what it says (nil when absent); writing,
    /// nil takes `SEGWriteOptions.algorithmName`.
    public var algorithmName: String?

    public init(labelValue: Int, label: String, description: String? = nil, color: RGBColor? = nil,
                category: CodedConcept = .tissue, type: CodedConcept = .tissue, trackingID: String? = nil,
                algorithmType: SegmentAlgorithmType? = .automatic, algorithmName: String? = nil) {
        self.labelValue = labelValue; self.label = label; self.description = description; self.color = color
        self.category = category; self.type = type; self.trackingID = trackingID
        self.algorithmType = algorithmType; self.algorithmName = algorithmName
    }

    /// The description used for a label that has none: "Label N", Tissue/Tissue, default colour.
    public static func placeholder(for labelValue: Int) -> SegmentDescription {
        SegmentDescription(labelValue: labelValue, label: "Label \(labelValue)")
    }
}

/// DICOM value representation limits for the text a segment carries (PS3.5 6.2): checked before
/// writing, so a SEG never holds a value that would be written as UN or cut at a NUL.
extension SegmentDescription {
    /// nil when every field fits its VR; else what does not, naming the field.
    public var vrViolation: String? {
        func check(_ value: String?, _ field: String, max: Int, allowBackslash: Bool = false) -> String? {
            guard let value else { return nil }
            if value.count > max { return "\(field) has \(value.count) characters; the DICOM limit is \(max)" }
            // LO/SH/ST/UT exclude control characters other than ESC (and LF/FF/CR in ST); NUL would cut the value.
            if let bad = value.unicodeScalars.first(where: { ($0.value < 0x20 && $0.value != 0x1B) || $0.value == 0x7F }) {
                return "\(field) contains the control character U+\(String(format: "%04X", bad.value)) (NUL, tab, newline... are not allowed)"
            }
            if !allowBackslash, value.contains("\\") { return "\(field) contains a backslash (the DICOM value separator)" }
            return nil
        }
        if label.trimmingCharacters(in: .whitespaces).isEmpty { return "segment label is empty" }
        // A table, not one `??` chain: such a chain of interpolated strings takes the type checker tens of seconds.
        var checks: [(value: String?, field: String, max: Int, allowBackslash: Bool)] = [
            (label, "segment label (Segment Label, LO)", 64, false),
            (description, "segment description (Segment Description, ST)", 1024, true),
            (trackingID, "tracking ID (LO)", 64, false),
            (algorithmName, "algorithm name (Segment Algorithm Name, LO)", 64, false),
        ]
        for (name, code) in [("category", category), ("type", type)] {
            checks.append((code.value, "\(name) code value (SH)", 16, false))
            checks.append((code.scheme, "\(name) coding scheme (SH)", 16, false))
            checks.append((code.meaning, "\(name) code meaning (LO)", 64, false))
        }
        for c in checks {
            if let violation = check(c.value, c.field, max: c.max, allowBackslash: c.allowBackslash) { return violation }
        }
        return nil
    }
}
