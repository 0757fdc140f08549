import Foundation

/// What the router knows of a received series when it becomes stable.
public struct SeriesFacts: Sendable, Equatable {
    public var modality: String
    public var seriesDescription: String
    public var bodyPartExamined: String
    /// ImageType (0008,0008) values, e.g. ["ORIGINAL", "PRIMARY", "AXIAL"].
    public var imageType: [String]
    /// Instances received (slices for classic series; 1 for an enhanced multi-frame object).
    public var sliceCount: Int

    public init(modality: String, seriesDescription: String = "", bodyPartExamined: String = "", imageType: [String] = [], sliceCount: Int) {
        self.modality = modality; self.seriesDescription = seriesDescription; self.bodyPartExamined = bodyPartExamined
        self.imageType = imageType; self.sliceCount = sliceCount
    }
}

/// A rule a series must satisfy; absent criteria match anything.
/// Modality, BodyPartExamined and ImageType compare case-insensitively; SeriesDescription is a regular
/// expression searched (not anchored) case-insensitively.
public struct SeriesMatch: Sendable, Equatable {
    public var modality: String?
    public var seriesDescription: String?
    public var bodyPartExamined: String?
    /// One value that must be among the series' ImageType values (e.g. "ORIGINAL").
    public var imageType: String?
    public var minSlices: Int?
    public var maxSlices: Int?

    public init(modality: String? = nil, seriesDescription: String? = nil, bodyPartExamined: String? = nil,
                imageType: String? = nil, minSlices: Int? = nil, maxSlices: Int? = nil) {
        self.modality = modality; self.seriesDescription = seriesDescription; self.bodyPartExamined = bodyPartExamined
        self.imageType = imageType; self.minSlices = minSlices; self.maxSlices = maxSlices
    }

    public func matches(_ s: SeriesFacts) -> Bool {
        if let modality, modality.caseInsensitiveCompare(s.modality) != .orderedSame { return false }
        if let bodyPartExamined, bodyPartExamined.caseInsensitiveCompare(s.bodyPartExamined) != .orderedSame { return false }
        if let imageType, !s.imageType.contains(where: { $0.caseInsensitiveCompare(imageType) == .orderedSame }) { return false }
        if let minSlices, s.sliceCount < minSlices { return false }
        if let maxSlices, s.sliceCount > maxSlices { return false }
        if let seriesDescription {
            guard let regex = try? NSRegularExpression(pattern: seriesDescription, options: [.caseInsensitive]) else { return false }
            let range = NSRange(s.seriesDescription.startIndex..., in: s.seriesDescription)
            if regex.firstMatch(in: s.seriesDescription, options: [], range: range) == nil { return false }
        }
        return true
    }

    /// Reads `{ "modality": ..., "seriesDescription": ..., ... }`; the regular expression is compiled here
    /// so a bad one is refused at start-up, naming its key.
    static func read(_ value: JSONValue, path: String) throws -> SeriesMatch {
        var r = try ConfigReader(value, path: path)
        var m = SeriesMatch()
        m.modality = try r.optionalString("modality")
        m.seriesDescription = try r.optionalString("seriesDescription")
        if let pattern = m.seriesDescription {
            do { _ = try NSRegularExpression(pattern: pattern) } catch {
                throw ServiceError.config(key: r.key("seriesDescription"), problem: "'\(pattern)' is not a valid regular expression")
            }
        }
        m.bodyPartExamined = try r.optionalString("bodyPartExamined")
        m.imageType = try r.optionalString("imageType")
        m.minSlices = try r.optionalInt("minSlices", in: 1...100_000)
        m.maxSlices = try r.optionalInt("maxSlices", in: 1...100_000)
        if let lo = m.minSlices, let hi = m.maxSlices, lo > hi {
            throw ServiceError.config(key: r.key("maxSlices"), problem: "\(hi) is below minSlices \(lo)")
        }
        try r.finish()
        return m
    }
}

/// Segmentation options a route passes to the job.
public struct RouteOptions: Sendable, Equatable, Codable {
    public var tta: Bool = false
    /// Components under this volume (mL) are removed (segment's --min-lesion-ml).
    public var minLesionML: Double = 0
    /// Also write an RT Structure Set and send it with the SEG and SR (segment's --rtstruct).
    public var rtstruct: Bool = false
    public init(tta: Bool = false, minLesionML: Double = 0, rtstruct: Bool = false) {
        self.tta = tta; self.minLesionML = minLesionML; self.rtstruct = rtstruct
    }

    /// Every key optional, so a job queued before a key existed keeps its other options.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tta = try c.decodeIfPresent(Bool.self, forKey: .tta) ?? false
        minLesionML = try c.decodeIfPresent(Double.self, forKey: .minLesionML) ?? 0
        rtstruct = try c.decodeIfPresent(Bool.self, forKey: .rtstruct) ?? false
    }
}

/// A routing rule: a series matching `match` is segmented with `model`. A multi-channel model takes
/// the matched series as its first input and finds each further input in the same study with
/// `channels[i]` (in the model's input order); the job waits until all of them are stable.
/// Results go to `destinations` (names from the configuration's destinations[]).
public struct Route: Sendable, Equatable {
    public var name: String
    public var match: SeriesMatch
    public var channels: [SeriesMatch]
    public var model: String
    public var options: RouteOptions
    public var destinations: [String]

    public init(name: String, match: SeriesMatch, channels: [SeriesMatch] = [], model: String, options: RouteOptions = RouteOptions(), destinations: [String] = []) {
        self.name = name; self.match = match; self.channels = channels; self.model = model; self.options = options; self.destinations = destinations
    }

    /// The first route whose `match` accepts the series, or nil (stored, listed, not segmented).
    public static func first(in routes: [Route], matching facts: SeriesFacts) -> Route? {
        routes.first { $0.match.matches(facts) }
    }

    static func read(_ value: JSONValue, path: String, destinationNames: Set<String>) throws -> Route {
        var r = try ConfigReader(value, path: path)
        let name = try r.string("name")
        let match = try SeriesMatch.read(try r.value("match"), path: r.key("match"))
        let channels = try r.array("channels", required: false).enumerated().map { i, v in
            try SeriesMatch.read(v, path: r.key("channels[\(i)]"))
        }
        let model = try r.string("model")
        var options = RouteOptions()
        if var o = try r.object("options", required: false) {
            options.tta = try o.bool("tta", default: false)
            options.minLesionML = try o.double("minLesionML", in: 0...1_000_000, default: 0)
            options.rtstruct = try o.bool("rtstruct", default: false)
            try o.finish()
        }
        let destinations = try r.array("destinations", required: false).enumerated().map { i, v -> String in
            guard case .string(let s) = v else { throw ServiceError.config(key: r.key("destinations[\(i)]"), problem: "expected a destination name, found \(v.kind)") }
            guard destinationNames.contains(s) else {
                throw ServiceError.config(key: r.key("destinations[\(i)]"), problem: "'\(s)' is not the name of an entry of destinations[]")
            }
            return s
        }
        try r.finish()
        return Route(name: name, match: match, channels: channels, model: model, options: options, destinations: destinations)
    }
}
