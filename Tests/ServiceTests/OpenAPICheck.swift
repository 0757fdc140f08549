import Foundation
import Core
@testable import Service
import Yams

/// Checks real responses against docs/openapi.yaml without Python: the operation must exist, the status
/// must be documented, and a JSON body must match the schema (types, required fields, enums, nested
/// objects and arrays through $ref).
struct OpenAPICheck {
    let root: [String: Any]

    init() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/openapi.yaml").standardizedFileURL
        guard let root = try Yams.load(yaml: String(contentsOf: url, encoding: .utf8)) as? [String: Any] else {
            throw ServiceError.invalidArgument("docs/openapi.yaml is not a mapping")
        }
        self.root = root
    }

    /// The documented operation for a concrete path ("/runs/3/seg.dcm" matches "/runs/{id}/{file}").
    func operation(_ method: String, _ path: String) -> [String: Any]? {
        let paths = root["paths"] as? [String: Any] ?? [:]
        let parts = path.split(separator: "/")
        for (template, item) in paths {
            let t = template.split(separator: "/")
            guard t.count == parts.count, zip(t, parts).allSatisfy({ $0.hasPrefix("{") || $0 == $1 }) else { continue }
            if let op = (item as? [String: Any])?[method.lowercased()] as? [String: Any] { return op }
        }
        return nil
    }

    func resolve(_ node: [String: Any]) -> [String: Any] {
        guard let ref = node["$ref"] as? String, ref.hasPrefix("#/") else { return node }
        var current: Any = root
        for key in ref.dropFirst(2).split(separator: "/") { current = (current as? [String: Any])?[String(key)] ?? [:] }
        return resolve(current as? [String: Any] ?? [:])
    }

    /// Problems found (empty when the response conforms).
    func problems(method: String, path: String, status: Int, contentType: String, body: Data) -> [String] {
        guard let op = operation(method, path) else { return ["\(method) \(path) is not in docs/openapi.yaml"] }
        guard let response = (op["responses"] as? [String: Any])?[String(status)] as? [String: Any] else {
            return ["\(method) \(path): status \(status) is not documented"]
        }
        let content = resolve(response)["content"] as? [String: Any] ?? [:]
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard let media = content[mediaType] as? [String: Any] else {
            return ["\(method) \(path) \(status): content type '\(mediaType)' is not documented (\(content.keys.sorted()))"]
        }
        guard mediaType == "application/json" else { return [] }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: body) else { return ["\(path): body is not JSON"] }
        return check(value, against: resolve(media["schema"] as? [String: Any] ?? [:]), at: path)
    }

    func check(_ value: JSONValue, against schema: [String: Any], at where_: String) -> [String] {
        let schema = resolve(schema)
        switch (schema["type"] as? String, value) {
        case ("object"?, .object(let fields)):
            var found: [String] = []
            for key in schema["required"] as? [String] ?? [] where fields[key] == nil { found.append("\(where_): required '\(key)' is missing") }
            for (key, property) in schema["properties"] as? [String: Any] ?? [:] {
                if let v = fields[key], let p = property as? [String: Any] { found += check(v, against: p, at: "\(where_).\(key)") }
            }
            return found
        case ("array"?, .array(let items)):
            let itemSchema = schema["items"] as? [String: Any] ?? [:]
            return items.enumerated().flatMap { check($1, against: itemSchema, at: "\(where_)[\($0)]") }
        case ("string"?, .string(let s)):
            if let allowed = schema["enum"] as? [String], !allowed.contains(s) { return ["\(where_): '\(s)' is not one of \(allowed)"] }
            return []
        case ("integer"?, .number(let d)): return d.rounded() == d ? [] : ["\(where_): \(d) is not an integer"]
        case ("number"?, .number): return []
        case ("boolean"?, .bool): return []
        case (nil, _): return []
        case (let type?, _): return ["\(where_): expected \(type), found \(value.kind)"]
        }
    }
}
