import Foundation

/// A JSON configuration value that is missing, of the wrong type, out of range or unknown; `key` is
/// its dotted path from the document's top (`routes[0].match.seriesDescription`). Callers wrap it into
/// their own error (the service's `ServiceError.config`, `batch`'s `BatchError.badInput`) with the file.
public struct ConfigKeyError: CategorizedError, Equatable {
    public var key: String
    public var problem: String
    public init(key: String, problem: String) { self.key = key; self.problem = problem }
    public var category: ErrorCategory { .badInput }
    public var description: String { "key '\(key)': \(problem)" }
}

/// Reads one JSON object of a configuration key by key: every value is checked for type and range,
/// every error names the dotted key (`ConfigKeyError`), and keys nobody asked for are refused (`finish()`).
/// The one strict JSON reader of the project: the service's configuration and the series rules
/// (`SeriesMatch`, shared by the service's routes and `batch`) use it.
public struct ConfigReader {
    public let path: String
    private let object: [String: JSONValue]
    private var consumed: Set<String> = []

    public init(_ value: JSONValue?, path: String) throws {
        guard case .object(let object)? = value else {
            throw ConfigKeyError(key: path.isEmpty ? "(top level)" : path, problem: "expected a JSON object, found \(value?.kind ?? "nothing")")
        }
        self.path = path
        self.object = object
    }

    public func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    private mutating func raw(_ name: String) -> JSONValue? {
        consumed.insert(name)
        let value = object[name]
        return value == .null ? nil : value
    }

    public func has(_ name: String) -> Bool { object[name] != nil && object[name] != .null }

    public mutating func string(_ name: String, default fallback: String? = nil) throws -> String {
        guard let value = raw(name) else {
            if let fallback { return fallback }
            throw ConfigKeyError(key: key(name), problem: "is required")
        }
        guard case .string(let s) = value else { throw ConfigKeyError(key: key(name), problem: "expected a string, found \(value.kind)") }
        guard !s.isEmpty else { throw ConfigKeyError(key: key(name), problem: "must not be empty") }
        return s
    }

    public mutating func optionalString(_ name: String) throws -> String? {
        guard has(name) else { consumed.insert(name); return nil }
        return try string(name)
    }

    public mutating func int(_ name: String, in range: ClosedRange<Int>, default fallback: Int? = nil) throws -> Int {
        guard let value = raw(name) else {
            if let fallback { return fallback }
            throw ConfigKeyError(key: key(name), problem: "is required")
        }
        guard case .number(let d) = value, let i = Int(exactly: d) else {
            throw ConfigKeyError(key: key(name), problem: "expected an integer, found \(value.kind)")
        }
        guard range.contains(i) else { throw ConfigKeyError(key: key(name), problem: "\(i) is outside \(range.lowerBound)...\(range.upperBound)") }
        return i
    }

    public mutating func optionalInt(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard has(name) else { consumed.insert(name); return nil }
        return try int(name, in: range)
    }

    public mutating func double(_ name: String, in range: ClosedRange<Double>, default fallback: Double? = nil) throws -> Double {
        guard let value = raw(name) else {
            if let fallback { return fallback }
            throw ConfigKeyError(key: key(name), problem: "is required")
        }
        guard case .number(let d) = value else {
            throw ConfigKeyError(key: key(name), problem: "expected a number, found \(value.kind)")
        }
        guard range.contains(d) else {
            throw ConfigKeyError(key: key(name), problem: "\(d) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return d
    }

    public mutating func optionalDouble(_ name: String, in range: ClosedRange<Double>) throws -> Double? {
        guard has(name) else { consumed.insert(name); return nil }
        return try double(name, in: range)
    }

    public mutating func bool(_ name: String, default fallback: Bool) throws -> Bool {
        guard let value = raw(name) else { return fallback }
        guard case .bool(let b) = value else {
            throw ConfigKeyError(key: key(name), problem: "expected true or false, found \(value.kind)")
        }
        return b
    }

    /// The raw value of a required key (to hand it to another reader).
    public mutating func value(_ name: String) throws -> JSONValue {
        guard let v = raw(name) else { throw ConfigKeyError(key: key(name), problem: "is required") }
        return v
    }

    public mutating func object(_ name: String, required: Bool = true) throws -> ConfigReader? {
        guard let value = raw(name) else {
            if required { throw ConfigKeyError(key: key(name), problem: "is required") }
            return nil
        }
        return try ConfigReader(value, path: key(name))
    }

    public mutating func array(_ name: String, required: Bool = true) throws -> [JSONValue] {
        guard let value = raw(name) else {
            if required { throw ConfigKeyError(key: key(name), problem: "is required") }
            return []
        }
        guard case .array(let a) = value else { throw ConfigKeyError(key: key(name), problem: "expected an array, found \(value.kind)") }
        return a
    }

    /// Refuses keys that were never read (typos, keys of another version).
    public func finish() throws {
        let unknown = Set(object.keys).subtracting(consumed).sorted()
        if let first = unknown.first {
            throw ConfigKeyError(key: key(first), problem: "unknown key (known here: \(consumed.sorted().joined(separator: ", ")))")
        }
    }
}

