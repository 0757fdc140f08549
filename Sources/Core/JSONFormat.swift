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
            bytes.append(UInt8(ascii: "\""))
            bytes.append(UInt8(ascii: ":"))
            needsComma = false
        }

        public mutating func field(_ name: StaticString, _ value: String?) { if let value { key(name); string(value) } }
        public mutating func field(_ name: StaticString, _ value: Double?) { if let value { key(name); number(value) } }
        public mutating func field(_ name: StaticString, _ value: Int?) { if let value { key(name); integer(Int64(value)) } }
        public mutating func field(_ name: StaticString, _ value: Int64?) { if let value { key(name); integer(value) } }
        public mutating func field(_ name: StaticString, _ value: Bool?) { if let value { key(name); bool(value) } }

        public mutating func bool(_ value: Bool) {
            separate()
            let text: StaticString = value ? "true" : "false"
            text.withUTF8Buffer { bytes.append(contentsOf: $0) }
            needsComma = true
        }

        /// An integer's decimal digits (as `String(value)`), written without a `String`.
        public mutating func integer(_ value: Int64) {
            separate()
            if value < 0 { bytes.append(UInt8(ascii: "-")) }
            appendDigits(value.magnitude)
            needsComma = true
        }

        /// A number as JSONEncoder writes it: `description` without a trailing ".0". Integral values of
        /// magnitude up to 2^53 (which `description` writes in plain decimal, e.g. "100.0", "-0.0") are
        /// written as integer digits without making a `String`; `description` writes larger ones with an
        /// exponent ("1e+16"), which JSONEncoder keeps.
        public mutating func number(_ value: Double) {
            guard value.isFinite else { return string(value.isNaN ? "nan" : value > 0 ? "inf" : "-inf") }
            separate()
            if value.magnitude <= 9_007_199_254_740_992, value == value.rounded(.towardZero) {
                if value.sign == .minus { bytes.append(UInt8(ascii: "-")) }
                appendDigits(UInt64(value.magnitude))
            } else {
                // Not integral, or written with an exponent: never ends in ".0".
                var text = value.description
                text.withUTF8 { bytes.append(contentsOf: $0) }
            }
            needsComma = true
        }

        /// The decimal digits of `magnitude`, most significant first.
        private mutating func appendDigits(_ magnitude: UInt64) {
            var m = magnitude
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for UInt64.max's 20 digits, filled from the end
            withUnsafeMutableBytes(of: &digits) { buffer in
                var at = buffer.count
                repeat {
                    at -= 1
                    buffer[at] = UInt8(ascii: "0") + UInt8(m % 10)
                    m /= 10
                } while m != 0
                bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[at...]))
            }
        }

        public mutating func string(_ value: String) {
            separate()
            bytes.append(UInt8(ascii: "\""))
            var value = value
            value.withUTF8 { utf8 in
                var start = 0
                for i in utf8.indices {
                    let byte = utf8[i]
                    guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<i]))
                    start = i + 1
                    bytes.append(UInt8(ascii: "\\"))
                    switch byte {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
                    case 0x08: bytes.append(UInt8(ascii: "b"))
                    case 0x09: bytes.append(UInt8(ascii: "t"))
                    case 0x0A: bytes.append(UInt8(ascii: "n"))
                    case 0x0C: bytes.append(UInt8(ascii: "f"))
                    case 0x0D: bytes.append(UInt8(ascii: "r"))
                    default:
                        let hex: StaticString = "0123456789abcdef"
                        hex.withUTF8Buffer { hex in
                            bytes.append(UInt8(ascii: "u")); bytes.append(UInt8(ascii: "0")); bytes.append(UInt8(ascii: "0"))
                            bytes.append(hex[Int(byte >> 4)]); bytes.append(hex[Int(byte & 0xF)])
                        }
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
