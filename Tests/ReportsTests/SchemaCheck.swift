import Foundation

/// A small JSON Schema checker for the keywords `Reports/schema/report.schema.json` uses (type,
/// required, properties, additionalProperties: false, items, minItems, maxItems, enum, const,
/// pattern, minimum, maximum, exclusiveMinimum, $ref into $defs). Formats are not checked.
/// The full draft 2020-12 validation is Scripts/reference/report_validate_schema.py (python jsonschema).
struct SchemaCheck {
    let root: [String: Any]

    init(schemaURL: URL) throws {
        root = try XCTUnwrapDictionary(JSONSerialization.jsonObject(with: Data(contentsOf: schemaURL)))
    }

    /// Every violation, as "path: problem"; empty when the document conforms.
    func errors(_ value: Any) -> [String] { check(value, root, path: "$") }

    private func resolve(_ schema: [String: Any]) -> [String: Any] {
        guard let ref = schema["$ref"] as? String, ref.hasPrefix("#/$defs/"),
              let defs = root["$defs"] as? [String: Any], let target = defs[String(ref.dropFirst(8))] as? [String: Any]
        else { return schema }
        return target
    }

    private func check(_ value: Any, _ rawSchema: [String: Any], path: String) -> [String] {
        let schema = resolve(rawSchema)
        var errors = [String]()
        if let type = schema["type"] as? String, !Self.matches(value, type: type) {
            return ["\(path): expected \(type), found \(Swift.type(of: value))"]
        }
        if let options = schema["enum"] as? [Any], !options.contains(where: { Self.equal($0, value) }) {
            errors.append("\(path): \(value) not in enum")
        }
        if let constant = schema["const"], !Self.equal(constant, value) { errors.append("\(path): expected \(constant)") }
        if let pattern = schema["pattern"] as? String, let s = value as? String,
           s.range(of: pattern, options: .regularExpression) == nil {
            errors.append("\(path): '\(s)' does not match \(pattern)")
        }
        if let n = Self.number(value) {
            if let min = schema["minimum"].flatMap(Self.number), n < min { errors.append("\(path): \(n) < \(min)") }
            if let max = schema["maximum"].flatMap(Self.number), n > max { errors.append("\(path): \(n) > \(max)") }
            if let min = schema["exclusiveMinimum"].flatMap(Self.number), n <= min { errors.append("\(path): \(n) <= \(min)") }
        }
        if let object = value as? [String: Any] {
            for key in schema["required"] as? [String] ?? [] where object[key] == nil { errors.append("\(path): missing '\(key)'") }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (key, child) in object {
                if let sub = properties[key] as? [String: Any] { errors += check(child, sub, path: "\(path).\(key)") }
                else if (schema["additionalProperties"] as? Bool) == false { errors.append("\(path): unexpected '\(key)'") }
            }
        }
        if let array = value as? [Any] {
            if let min = schema["minItems"] as? Int, array.count < min { errors.append("\(path): \(array.count) items < \(min)") }
            if let max = schema["maxItems"] as? Int, array.count > max { errors.append("\(path): \(array.count) items > \(max)") }
            if let items = schema["items"] as? [String: Any] {
                for (n, element) in array.enumerated() { errors += check(element, items, path: "\(path)[\(n)]") }
            }
        }
        return errors
    }

    /// JSONSerialization returns booleans as NSNumber with Objective-C type "c" (numbers are "i", "q", "d").
    static func isBool(_ v: Any) -> Bool { (v as? NSNumber).map { String(cString: $0.objCType) == "c" } ?? false }

    static func number(_ v: Any) -> Double? { isBool(v) ? nil : (v as? NSNumber)?.doubleValue }

    static func matches(_ v: Any, type: String) -> Bool {
        switch type {
        case "object": return v is [String: Any]
        case "array": return v is [Any]
        case "string": return v is String
        case "boolean": return isBool(v)
        case "number": return number(v) != nil
        case "integer": return number(v).map { $0 == $0.rounded() } ?? false
        default: return false
        }
    }

    static func equal(_ a: Any, _ b: Any) -> Bool {
        if let x = a as? String, let y = b as? String { return x == y }
        if let x = number(a), let y = number(b) { return x == y }
        return false
    }
}

struct SchemaError: Error { let message: String }

func XCTUnwrapDictionary(_ value: Any) throws -> [String: Any] {
    guard let d = value as? [String: Any] else { throw SchemaError(message: "not a JSON object") }
    return d
}
