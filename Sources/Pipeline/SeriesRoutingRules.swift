import Core
import Foundation
import Inference

/// Which series of a DICOM study feeds which model channel: one rule per model input, each a channel
/// name and a `SeriesMatch`, the series rule the DICOM service's routes use (same keys, same regular
/// expressions, same JSON reader).
///
/// Used by `batch` on a DICOM tree. JSON form (a `--rules` file, or the optional `"seriesRules"` key of
/// a model's manifest.json):
///
/// ```json
/// { "rules": [ { "channel": "FLAIR", "seriesDescription": "flair", "excludeSeriesDescription": "sub" },
///              { "channel": "T1c",   "seriesDescription": "t1.*(c|gd|post)", "modality": "MR", "minSlices": 20 } ] }
/// ```
/// A rule is `channel` plus any key of a series rule (`SeriesMatch.keys`). Its `modality` defaults to
/// the manifest input's modality.
public struct SeriesRoutingRules: Equatable, Sendable {
    public struct Rule: Equatable, Sendable {
        /// A model input name (manifest `inputs[].name`).
        public var channel: String
        /// The series that may feed the channel. A nil `modality` means the model input's modality.
        public var match: SeriesMatch

        public init(channel: String, match: SeriesMatch) { self.channel = channel; self.match = match }
    }

    public var rules: [Rule]

    public init(rules: [Rule]) { self.rules = rules }

    /// A candidate series: its UID and what matching looks at.
    public struct Candidate: Equatable, Sendable {
        public var seriesInstanceUID: String
        public var facts: SeriesFacts
        public init(seriesInstanceUID: String, facts: SeriesFacts) { self.seriesInstanceUID = seriesInstanceUID; self.facts = facts }
    }

    /// Why a study could not be routed; the message names the channel and the series.
    public enum RoutingFailure: Error, Equatable, CustomStringConvertible {
        /// No series matches the channel's rule (described as `SeriesMatch.description`).
        case missingChannel(channel: String, rule: String)
        case ambiguous(channel: String, series: [String])
        case wrongModality(channel: String, series: String, modality: String, expected: String)

        public var description: String {
            switch self {
            case .missingChannel(let c, let rule):
                return "missing channel \(c): no series matches \(rule)"
            case .ambiguous(let c, let s):
                return "channel \(c) is ambiguous: series \(s.map { "'\($0)'" }.joined(separator: ", ")) all match its rule"
            case .wrongModality(let c, let s, let m, let e):
                return "channel \(c): series '\(s)' has modality \(m), the model expects \(e)"
            }
        }
    }

    /// The default rules of a manifest: the series description contains the input's name (or its
    /// sequence, when that differs), as literal text.
    public static func defaults(for manifest: ModelManifest) -> SeriesRoutingRules {
        SeriesRoutingRules(rules: manifest.inputs.map { input in
            var names = [input.name]
            if let sequence = input.sequence, sequence.lowercased() != input.name.lowercased() { names.append(sequence) }
            let pattern = names.map { NSRegularExpression.escapedPattern(for: $0) }.joined(separator: "|")
            return Rule(channel: input.name, match: SeriesMatch(seriesDescription: pattern))
        })
    }

    /// Reads `{ "rules": [ { "channel": ..., <series rule keys> }, ... ] }` at `path`; errors are
    /// `ConfigKeyError`s naming the key (`rules[1].seriesDescription`).
    public static func read(_ value: JSONValue, path: String) throws -> SeriesRoutingRules {
        var top = try ConfigReader(value, path: path)
        let rules = try top.array("rules").enumerated().map { i, v -> Rule in
            var r = try ConfigReader(v, path: top.key("rules[\(i)]"))
            let channel = try r.string("channel")
            let match = try SeriesMatch.read(from: &r)
            try r.finish()
            return Rule(channel: channel, match: match)
        }
        try top.finish()
        return SeriesRoutingRules(rules: rules)
    }

    /// The rules in `rulesFile` when given, else the manifest's `"seriesRules"`, else `defaults(for:)`;
    /// checked against the manifest's inputs (every input has exactly one rule).
    public static func resolve(rulesFile: String?, package: ModelPackage) throws -> SeriesRoutingRules {
        if let rulesFile {
            guard let data = FileManager.default.contents(atPath: rulesFile) else {
                throw BatchError.notFound("cannot read the rules file \(rulesFile) (--rules)")
            }
            return try parse(data, path: "", source: "rules file \(rulesFile)", manifest: package.manifest)
        }
        let manifestPath = package.folder.appendingPathComponent("manifest.json").path
        if let data = FileManager.default.contents(atPath: manifestPath),
           case .object(let manifest)? = try? JSONDecoder().decode(JSONValue.self, from: data),
           let rules = manifest["seriesRules"], rules != .null {
            return try parse(rules, path: "seriesRules", source: manifestPath, manifest: package.manifest)
        }
        return defaults(for: package.manifest)
    }

    /// Reads and checks a rules document; any refusal is a `BatchError.badInput` naming `source` and the key.
    static func parse(_ data: Data, path: String, source: String, manifest: ModelManifest) throws -> SeriesRoutingRules {
        let root: JSONValue
        do { root = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw BatchError.badInput("\(source): not valid JSON")
        }
        return try parse(root, path: path, source: source, manifest: manifest)
    }

    private static func parse(_ value: JSONValue, path: String, source: String, manifest: ModelManifest) throws -> SeriesRoutingRules {
        do {
            let rules = try read(value, path: path)
            try rules.check(against: manifest, path: path)
            return rules
        } catch let error as ConfigKeyError {
            throw BatchError.badInput("\(source): \(error)")
        }
    }

    /// Every manifest input has exactly one rule, and no rule names another channel.
    public func check(against manifest: ModelManifest, path: String = "") throws {
        let names = manifest.inputs.map(\.name)
        func key(_ k: String) -> String { path.isEmpty ? k : "\(path).\(k)" }
        for (i, rule) in rules.enumerated() where !names.contains(rule.channel) {
            throw ConfigKeyError(key: key("rules[\(i)].channel"), problem: "'\(rule.channel)' is not an input of the model (its inputs: \(names.joined(separator: ", ")))")
        }
        for name in names {
            let count = rules.filter { $0.channel == name }.count
            guard count == 1 else {
                throw ConfigKeyError(key: key("rules"), problem: "input '\(name)' needs exactly one rule, found \(count)")
            }
        }
    }

    /// Picks one series per manifest input, in manifest order; a series feeds one channel at most.
    /// A rule without `modality` takes the input's. When no series of the expected modality matches
    /// but one of another modality does, the failure says so (`wrongModality`).
    public func route(_ candidates: [Candidate], manifest: ModelManifest) -> Result<[Candidate], RoutingFailure> {
        var chosen: [Candidate] = []
        for input in manifest.inputs {
            guard let rule = rules.first(where: { $0.channel == input.name }) else {
                return .failure(.missingChannel(channel: input.name, rule: "(no rule)"))
            }
            var match = rule.match
            match.modality = match.modality ?? input.modality
            let free = candidates.filter { c in !chosen.contains { $0.seriesInstanceUID == c.seriesInstanceUID } }
            let matches = free.filter { match.matches($0.facts) }
            if matches.count > 1 { return .failure(.ambiguous(channel: input.name, series: matches.map(\.facts.seriesDescription))) }
            if let only = matches.first { chosen.append(only); continue }
            var anyModality = match
            anyModality.modality = nil
            if let other = free.first(where: { anyModality.matches($0.facts) }) {
                return .failure(.wrongModality(channel: input.name, series: other.facts.seriesDescription,
                                               modality: other.facts.modality.isEmpty ? "(none)" : other.facts.modality.uppercased(),
                                               expected: (match.modality ?? "").uppercased()))
            }
            return .failure(.missingChannel(channel: input.name, rule: match.description))
        }
        return .success(chosen)
    }
}
