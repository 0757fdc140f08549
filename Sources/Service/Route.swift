import Core
import Foundation
import Pipeline

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

/// A routing rule: a series matching `match` (a `SeriesMatch`, the rule `batch` uses too) is segmented with `model`. A multi-channel model takes
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
