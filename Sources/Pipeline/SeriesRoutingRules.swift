import Foundation
import DICOM
import Inference

/// Which series of a DICOM study feeds which model channel, by series description and modality.
///
/// Used by `batch` on a DICOM tree and meant for any other caller that receives whole studies
/// (the DICOM service routes incoming studies the same way). JSON form (a rules file, or the
/// optional `"seriesRules"` key of a model's manifest.json):
///
/// ```json
/// { "rules": [ { "channel": "FLAIR", "seriesDescription": ["*flair*"], "exclude": ["*sub*"], "modality": "MR" },
///              { "channel": "T1c",   "seriesDescription": ["*t1*c*", "*t1*gd*"] } ] }
/// ```
/// Patterns are shell globs (`fnmatch`, case-insensitive) matched against the whole Series
/// Description (0008,103E). `modality` defaults to the manifest input's modality.
public struct SeriesRoutingRules: Codable, Equatable, Sendable {
    public struct Rule: Codable, Equatable, Sendable {
        /// A model input name (manifest `inputs[].name`).
        public var channel: String
        /// Globs; a series matches when any matches its description.
        public var seriesDescription: [String]
        /// Globs that disqualify a series that matched.
        public var exclude: [String]?
        /// Required DICOM Modality; nil = the model input's modality.
        public var modality: String?

        public init(channel: String, seriesDescription: [String], exclude: [String]? = nil, modality: String? = nil) {
            self.channel = channel; self.seriesDescription = seriesDescription; self.exclude = exclude; self.modality = modality
        }
    }

    public var rules: [Rule]

    public init(rules: [Rule]) { self.rules = rules }

    /// A candidate series: what routing needs to know about it.
    public struct Candidate: Equatable, Sendable {
        public var seriesInstanceUID: String
        public var description: String
        public var modality: String?
        public init(seriesInstanceUID: String, description: String, modality: String?) {
            self.seriesInstanceUID = seriesInstanceUID; self.description = description; self.modality = modality
        }
    }

    /// Why a study could not be routed; the message names the channel and the series.
    public enum RoutingFailure: Error, Equatable, CustomStringConvertible {
        case missingChannel(channel: String, patterns: [String])
        case ambiguous(channel: String, series: [String])
        case wrongModality(channel: String, series: String, modality: String, expected: String)

        public var description: String {
            switch self {
            case .missingChannel(let c, let p):
                return "missing channel \(c): no series description matches \(p.joined(separator: " or "))"
            case .ambiguous(let c, let s):
                return "channel \(c) is ambiguous: series \(s.map { "'\($0)'" }.joined(separator: ", ")) all match its rule"
            case .wrongModality(let c, let s, let m, let e):
                return "channel \(c): series '\(s)' has modality \(m), the model expects \(e)"
            }
        }
    }

    /// The default rules of a manifest: each input's name (and sequence, when it differs) as `*name*`.
    public static func defaults(for manifest: ModelManifest) -> SeriesRoutingRules {
        SeriesRoutingRules(rules: manifest.inputs.map { input in
            var patterns = ["*\(input.name)*"]
            if let sequence = input.sequence, sequence.lowercased() != input.name.lowercased() { patterns.append("*\(sequence)*") }
            return Rule(channel: input.name, seriesDescription: patterns)
        })
    }

    /// The rules in `rulesFile` when given, else the manifest's `"seriesRules"`, else `defaults(for:)`;
    /// checked against the manifest's inputs (every input has exactly one rule).
    public static func resolve(rulesFile: String?, package: ModelPackage) throws -> SeriesRoutingRules {
        struct ManifestRules: Decodable { var seriesRules: SeriesRoutingRules? }
        let rules: SeriesRoutingRules
        if let rulesFile {
            guard let data = FileManager.default.contents(atPath: rulesFile) else {
                throw BatchError.notFound("cannot read the rules file \(rulesFile)")
            }
            do { rules = try JSONDecoder().decode(SeriesRoutingRules.self, from: data) } catch {
                throw BatchError.badInput("\(rulesFile): not a rules file (\(error))")
            }
        } else if let data = FileManager.default.contents(atPath: package.folder.appendingPathComponent("manifest.json").path),
                  let fromManifest = (try? JSONDecoder().decode(ManifestRules.self, from: data))?.seriesRules {
            rules = fromManifest
        } else {
            rules = defaults(for: package.manifest)
        }
        try rules.check(against: package.manifest)
        return rules
    }

    /// Every manifest input has exactly one rule with at least one pattern, and no rule names another channel.
    public func check(against manifest: ModelManifest) throws {
        let names = manifest.inputs.map(\.name)
        for rule in rules where !names.contains(rule.channel) {
            throw BatchError.badInput("series rule for '\(rule.channel)': the model's inputs are \(names.joined(separator: ", "))")
        }
        for name in names {
            let matching = rules.filter { $0.channel == name }
            guard matching.count == 1, !matching[0].seriesDescription.isEmpty else {
                throw BatchError.badInput("series rules: input '\(name)' needs exactly one rule with at least one pattern, found \(matching.count)")
            }
        }
    }

    /// Picks one series per manifest input, in manifest order.
    public func route(_ candidates: [Candidate], manifest: ModelManifest) -> Result<[Candidate], RoutingFailure> {
        var chosen: [Candidate] = []
        for input in manifest.inputs {
            guard let rule = rules.first(where: { $0.channel == input.name }) else {
                return .failure(.missingChannel(channel: input.name, patterns: []))
            }
            let matches = candidates.filter { rule.matches($0.description) }
            guard !matches.isEmpty else { return .failure(.missingChannel(channel: input.name, patterns: rule.seriesDescription)) }
            guard matches.count == 1 else { return .failure(.ambiguous(channel: input.name, series: matches.map(\.description))) }
            let expected = (rule.modality ?? input.modality).uppercased()
            let modality = (matches[0].modality ?? "").uppercased()
            guard modality == expected else {
                return .failure(.wrongModality(channel: input.name, series: matches[0].description,
                                               modality: modality.isEmpty ? "(none)" : modality, expected: expected))
            }
            chosen.append(matches[0])
        }
        return .success(chosen)
    }
}

extension SeriesRoutingRules.Rule {
    /// True when a description pattern matches and no exclusion does (case-insensitive globs).
    public func matches(_ description: String) -> Bool {
        // FNM_CASEFOLD (1 << 4 in glibc and the BSDs) is a GNU extension Swift's Glibc module leaves out.
        let caseFold: Int32 = 1 << 4
        func glob(_ pattern: String) -> Bool { fnmatch(pattern, description, caseFold) == 0 }
        return seriesDescription.contains(where: glob) && !(exclude ?? []).contains(where: glob)
    }
}
