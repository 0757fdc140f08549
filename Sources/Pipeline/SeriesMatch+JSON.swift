import Core
import Foundation

extension SeriesMatch {
    /// The JSON keys of a series rule, as `serve`'s configuration and `batch`'s rules spell them.
    public static let keys = ["modality", "seriesDescription", "excludeSeriesDescription", "bodyPartExamined",
                              "imageType", "minSlices", "maxSlices"]

    /// Reads a series rule object `{ "modality": ..., "seriesDescription": ..., ... }` at `path`
    /// (e.g. `routes[0].match`); any other key is refused. Errors are `ConfigKeyError`s naming the key.
    public static func read(_ value: JSONValue, path: String) throws -> SeriesMatch {
        var reader = try ConfigReader(value, path: path)
        let match = try read(from: &reader)
        try reader.finish()
        return match
    }

    /// Reads the series rule keys of an object that may hold other keys (a batch rule's `channel`);
    /// the caller reads those and calls `finish()`. The regular expressions are compiled here, so a
    /// bad one is refused when the document is read (the service at start-up), naming its key.
    public static func read(from r: inout ConfigReader) throws -> SeriesMatch {
        var m = SeriesMatch()
        m.modality = try r.optionalString("modality")
        m.seriesDescription = try regularExpression("seriesDescription", &r)
        m.excludeSeriesDescription = try regularExpression("excludeSeriesDescription", &r)
        m.bodyPartExamined = try r.optionalString("bodyPartExamined")
        m.imageType = try r.optionalString("imageType")
        m.minSlices = try r.optionalInt("minSlices", in: 1...100_000)
        m.maxSlices = try r.optionalInt("maxSlices", in: 1...100_000)
        if let lo = m.minSlices, let hi = m.maxSlices, lo > hi {
            throw ConfigKeyError(key: r.key("maxSlices"), problem: "\(hi) is below minSlices \(lo)")
        }
        return m
    }

    private static func regularExpression(_ name: String, _ r: inout ConfigReader) throws -> String? {
        guard let pattern = try r.optionalString(name) else { return nil }
        guard search(pattern, in: "") != nil else {
            // The usual mistake: a shell glob ("*flair*": a quantifier with nothing to repeat).
            let hint = pattern.hasPrefix("*") || pattern.hasPrefix("?")
                ? " (a regular expression, not a shell glob: write 'flair' or '.*flair.*' for '*flair*')" : ""
            throw ConfigKeyError(key: r.key(name), problem: "'\(pattern)' is not a valid regular expression\(hint)")
        }
        return pattern
    }
}
