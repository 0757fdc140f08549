import Foundation

/// The one JSON style of everything SegStation writes (CLI `--json`, run summaries, report JSON,
/// database parameter columns): sorted keys, unescaped slashes, dates in ISO 8601 UTC, and
/// non-finite numbers as the strings "inf", "-inf" and "nan".
public enum JSONFormat {
    /// An encoder in that style; `pretty` adds line breaks and indentation (documents and CLI
    /// output), compact suits values stored in a database column. With `rejectNonFinite`, encoding
    /// a NaN or infinity throws instead (documents whose schema allows numbers only).
    public static func encoder(pretty: Bool = true, rejectNonFinite: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        if !rejectNonFinite {
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        }
        return encoder
    }
}
