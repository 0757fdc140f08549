import Core
import Foundation
import Pipeline

/// Segmentation options a route passes to the job (stored with the job as JSON, these keys).
public struct RouteOptions: Sendable, Equatable, Codable {
    public var tta: Bool = false
    /// Components under this volume (mL) are removed (segment's --min-lesion-ml).
    public var minLesionML: Double = 0
    /// Also write an RT Structure Set and send it with the SEG and SR (segment's --rtstruct).
    public var rtstruct: Bool = false
    /// How the mask becomes lesions (segment's --split, --min-distance-mm, --neck-depth-mm).
    public var split: LesionSplitChoice.Method = .components
    public var minDistanceMM: Double?
    public var neckDepthMM: Double?

    public init(tta: Bool = false, minLesionML: Double = 0, rtstruct: Bool = false, split: LesionSplitChoice = LesionSplitChoice()) {
        self.tta = tta; self.minLesionML = minLesionML; self.rtstruct = rtstruct
        self.split = split.method; minDistanceMM = split.minDistanceMM; neckDepthMM = split.neckDepthMM
    }

    /// The split, checked by the CLI's rule (`LesionSplitChoice`).
    public var splitChoice: LesionSplitChoice { LesionSplitChoice(method: split, minDistanceMM: minDistanceMM, neckDepthMM: neckDepthMM) }

    /// Every key optional, so a job queued before a key existed keeps its other options. A split the
    /// rule refuses (POST /jobs's options) does not decode.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tta = try c.decodeIfPresent(Bool.self, forKey: .tta) ?? false
        minLesionML = try c.decodeIfPresent(Double.self, forKey: .minLesionML) ?? 0
        rtstruct = try c.decodeIfPresent(Bool.self, forKey: .rtstruct) ?? false
        split = try c.decodeIfPresent(LesionSplitChoice.Method.self, forKey: .split) ?? .components
        minDistanceMM = try c.decodeIfPresent(Double.self, forKey: .minDistanceMM)
        neckDepthMM = try c.decodeIfPresent(Double.self, forKey: .neckDepthMM)
        if let problem = splitChoice.problem {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: Self.message(problem)))
        }
    }

    /// The key a split problem concerns and what is wrong, in the configuration's words.
    static func describe(_ problem: LesionSplitChoice.Problem) -> (key: String, problem: String) {
        switch problem {
        case .onlyWithWatershed(.minDistance): return ("minDistanceMM", "applies to \"split\": \"watershed\" only")
        case .onlyWithWatershed(.neckDepth): return ("neckDepthMM", "applies to \"split\": \"watershed\" only")
        case .minDistanceNotPositive: return ("minDistanceMM", "must be a positive number of mm")
        case .neckDepthNegative: return ("neckDepthMM", "must be 0 or a positive number of mm")
        }
    }

    static func message(_ problem: LesionSplitChoice.Problem) -> String {
        let (key, text) = describe(problem)
        return "options.\(key): \(text)"
    }

    /// Reads a route's `options` object (keys checked as every configuration key).
    static func read(_ o: inout ConfigReader) throws -> RouteOptions {
        var options = RouteOptions()
        options.tta = try o.bool("tta", default: false)
        options.minLesionML = try o.double("minLesionML", in: 0...1_000_000, default: 0)
        options.rtstruct = try o.bool("rtstruct", default: false)
        let method = try o.string("split", default: LesionSplitChoice.Method.components.rawValue)
        guard let split = LesionSplitChoice.Method(rawValue: method) else {
            let names = LesionSplitChoice.Method.allCases.map { "'\($0.rawValue)'" }.joined(separator: " or ")
            throw ServiceError.config(key: o.key("split"), problem: "'\(method)' is not a split method; expected \(names)")
        }
        options.split = split
        // Any number here: the split rule, shared with the CLI, says which ones are valid.
        let anyNumber = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude
        options.minDistanceMM = try o.optionalDouble("minDistanceMM", in: anyNumber)
        options.neckDepthMM = try o.optionalDouble("neckDepthMM", in: anyNumber)
        if let problem = options.splitChoice.problem {
            let (key, text) = describe(problem)
            throw ServiceError.config(key: o.key(key), problem: text)
        }
        try o.finish()
        return options
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
        if var o = try r.object("options", required: false) { options = try RouteOptions.read(&o) }
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
