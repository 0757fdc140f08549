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

extension JSONFormat {
    /// Writes compact JSON in the same style as `encoder(pretty: false)`, byte for byte, without
    /// Foundation's encoder: for the hot answers of the HTTP API (GET /lesions), where JSONEncoder's
    /// intermediate tree and key sorting took half the server's CPU. A type writes its own keys, in
    /// sorted order (`JSONFormat`'s order: byte-wise); its test compares the bytes with JSONEncoder's.
    ///
    /// Style (as JSONEncoder writes it): numbers as `description` without a trailing ".0"; non-finite
    /// numbers as the strings "inf", "-inf", "nan"; strings with `"` and `\` escaped, \b \t \n \f \r,
    /// other control characters as \u00xx (lowercase hex), everything else (slashes, non-ASCII) as is;
    /// nil optionals omitted.
    public struct CompactWriter {
        public private(set) var bytes: [UInt8] = []
        /// Whether the next value in the current object or array needs a comma first.
        private var needsComma = false

        public init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

        public mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma = false }
        public mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma = true }
        public mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma = false }
        public mutating func endArray() { bytes.append(UInt8(ascii: "]")); needsComma = true }

        /// `"key":` (keys are plain ASCII names); the value follows.
        public mutating func key(_ key: StaticString) {
            separate()
            bytes.append(UInt8(ascii: "\""))
            key.withUTF8Buffer { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
            needsComma = false
        }

        public mutating func field(_ name: StaticString, _ value: String?) { if let value { key(name); string(value) } }
        public mutating func field(_ name: StaticString, _ value: Double?) { if let value { key(name); number(value) } }
        public mutating func field<I: BinaryInteger>(_ name: StaticString, _ value: I?) { if let value { key(name); integer(value) } }
        public mutating func field(_ name: StaticString, _ value: Bool?) { if let value { key(name); bool(value) } }

        public mutating func bool(_ value: Bool) {
            separate()
            bytes.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
            needsComma = true
        }

        public mutating func integer<I: BinaryInteger>(_ value: I) {
            separate()
            bytes.append(contentsOf: String(value).utf8)
            needsComma = true
        }

        public mutating func number(_ value: Double) {
            guard value.isFinite else { return string(value.isNaN ? "nan" : value > 0 ? "inf" : "-inf") }
            separate()
            var text = value.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            bytes.append(contentsOf: text.utf8)
            needsComma = true
        }

        public mutating func string(_ value: String) {
            separate()
            bytes.append(UInt8(ascii: "\""))
            var value = value
            value.withUTF8 { utf8 in
                var start = 0
                for (i, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
                    start = i + 1
                    switch byte {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), byte])
                    case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
                    case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                    case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                    case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
                    case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                    default:
                        let hex = Array("0123456789abcdef".utf8)
                        bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
                    }
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
            }
            bytes.append(UInt8(ascii: "\""))
            needsComma = true
        }

        private mutating func separate() {
            if needsComma { bytes.append(UInt8(ascii: ",")) }
        }
    }
}

/// A value that writes itself with `JSONFormat.CompactWriter`, byte for byte as `JSONFormat.encoder(pretty: false)`
/// encodes it.
public protocol CompactJSONWritable {
    func writeJSON(to writer: inout JSONFormat.CompactWriter)
}
