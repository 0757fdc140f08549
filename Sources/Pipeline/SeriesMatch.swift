import Foundation

/// What series matching knows of a series: the DICOM service learns it from the instances it
/// received, `batch` from the scanned files of a study.
public struct SeriesFacts: Sendable, Equatable {
    public var modality: String
    public var seriesDescription: String
    public var bodyPartExamined: String
    /// ImageType (0008,0008) values, e.g. ["ORIGINAL", "PRIMARY", "AXIAL"].
    public var imageType: [String]
    /// Instances: the slices of a classic series, 1 for an enhanced multi-frame object.
    public var sliceCount: Int

    public init(modality: String, seriesDescription: String = "", bodyPartExamined: String = "", imageType: [String] = [], sliceCount: Int) {
        self.modality = modality; self.seriesDescription = seriesDescription; self.bodyPartExamined = bodyPartExamined
        self.imageType = imageType; self.sliceCount = sliceCount
    }
}

/// The one series-matching rule of SegStation: the DICOM service's routes (`routes[].match` and
/// `routes[].channels[]` of `serve`'s configuration) and `batch`'s channel rules (`SeriesRoutingRules`,
/// a `--rules` file or a manifest's `"seriesRules"`) are all this type, read from JSON by
/// `SeriesMatch.read` (SeriesMatch+JSON.swift).
///
/// Absent criteria match anything. Modality, BodyPartExamined and ImageType compare exactly but
/// case-insensitively. `seriesDescription` and `excludeSeriesDescription` are regular expressions
/// (ICU syntax, `NSRegularExpression`), case-insensitive and searched, not anchored: `flair` matches
/// "Ax T2 FLAIR 3D"; `^t1` needs the description to start with T1. A series matches when
/// `seriesDescription` finds a match and `excludeSeriesDescription` finds none.
public struct SeriesMatch: Sendable, Equatable, CustomStringConvertible {
    public var modality: String?
    public var seriesDescription: String?
    /// A regular expression that disqualifies a series whose description it finds (e.g. `sub|mip`).
    public var excludeSeriesDescription: String?
    public var bodyPartExamined: String?
    /// One value that must be among the series' ImageType values (e.g. "ORIGINAL").
    public var imageType: String?
    /// Bounds on `SeriesFacts.sliceCount` (instances), inclusive.
    public var minSlices: Int?
    public var maxSlices: Int?

    public init(modality: String? = nil, seriesDescription: String? = nil, excludeSeriesDescription: String? = nil,
                bodyPartExamined: String? = nil, imageType: String? = nil, minSlices: Int? = nil, maxSlices: Int? = nil) {
        self.modality = modality; self.seriesDescription = seriesDescription; self.excludeSeriesDescription = excludeSeriesDescription
        self.bodyPartExamined = bodyPartExamined; self.imageType = imageType; self.minSlices = minSlices; self.maxSlices = maxSlices
    }

    /// True when the series satisfies every criterion present. A pattern that is not a valid regular
    /// expression (possible only for a match built in code: `read` refuses them) matches nothing.
    public func matches(_ s: SeriesFacts) -> Bool {
        if let modality, modality.caseInsensitiveCompare(s.modality) != .orderedSame { return false }
        if let bodyPartExamined, bodyPartExamined.caseInsensitiveCompare(s.bodyPartExamined) != .orderedSame { return false }
        if let imageType, !s.imageType.contains(where: { $0.caseInsensitiveCompare(imageType) == .orderedSame }) { return false }
        if let minSlices, s.sliceCount < minSlices { return false }
        if let maxSlices, s.sliceCount > maxSlices { return false }
        if let seriesDescription, Self.search(seriesDescription, in: s.seriesDescription) != true { return false }
        if let excludeSeriesDescription, Self.search(excludeSeriesDescription, in: s.seriesDescription) != false { return false }
        return true
    }

    /// Whether the case-insensitive regular expression `pattern` finds a match in `text`; nil when
    /// `pattern` is not a valid regular expression.
    static func search(_ pattern: String, in text: String) -> Bool? {
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) else { return nil }
        return regex.firstMatch(in: text, options: [], range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// The criteria for messages: `modality MR, seriesDescription /flair/ but not /sub/, 20...400 instances`.
    public var description: String {
        var parts: [String] = []
        if let modality { parts.append("modality \(modality)") }
        if let seriesDescription { parts.append("seriesDescription /\(seriesDescription)/") }
        if let excludeSeriesDescription { parts.append("excludeSeriesDescription /\(excludeSeriesDescription)/") }
        if let bodyPartExamined { parts.append("bodyPartExamined \(bodyPartExamined)") }
        if let imageType { parts.append("imageType \(imageType)") }
        switch (minSlices, maxSlices) {
        case let (lo?, hi?): parts.append("\(lo)...\(hi) instances")
        case let (lo?, nil): parts.append("at least \(lo) instances")
        case let (nil, hi?): parts.append("at most \(hi) instances")
        case (nil, nil): break
        }
        return parts.isEmpty ? "any series" : parts.joined(separator: ", ")
    }
}
