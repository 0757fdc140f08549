import Core
import Foundation

/// The validated configuration of `segstation serve` (one JSON file; every key in docs/SERVICE.md).
/// Relative paths are resolved against the configuration file's folder.
public struct ServiceConfig: Sendable, Equatable {
    /// A calling AE title allowed to open associations, optionally only from one host (IP or name).
    public struct AllowedCaller: Sendable, Equatable {
        public var aeTitle: String
        public var host: String?
        public init(aeTitle: String, host: String? = nil) { self.aeTitle = aeTitle; self.host = host }

        public func allows(aeTitle caller: String, host peer: String) -> Bool {
            caller == aeTitle && (host == nil || host == peer)
        }
    }

    /// A DICOM node results are sent to by C-STORE.
    public struct Destination: Sendable, Equatable {
        public var name: String
        public var aeTitle: String
        public var host: String
        public var port: Int
        public init(name: String, aeTitle: String, host: String, port: Int) {
            self.name = name; self.aeTitle = aeTitle; self.host = host; self.port = port
        }
    }

    public var aeTitle: String
    /// IPv4 address the DICOM port is bound to (`dicom.host`, 127.0.0.1 unless configured).
    public var dicomHost: String
    public var dicomPort: Int
    public var allowedCallers: [AllowedCaller]
    public var httpHost: String
    public var httpPort: Int
    /// Largest accepted POST /jobs body in bytes (413 beyond).
    public var maxUploadBytes: Int
    /// Most bytes an uploaded zip may expand to (413 beyond).
    public var maxUnzippedBytes: Int64
    /// Bytes of answers the response cache may hold (`http.cacheMaxBytes`; 0: no cache).
    public var cacheMaxBytes: Int
    /// Answers the response cache may hold (`http.cacheMaxEntries`).
    public var cacheMaxEntries: Int
    public var tokensFile: String
    public var storageFolder: String
    public var databasePath: String
    public var workers: Int
    public var threadsPerWorker: Int
    public var stableSeconds: Double
    public var routes: [Route]
    public var destinations: [Destination]

    /// Reads and validates the file at `path`.
    /// - Throws: `ServiceError.configFile` (unreadable, not JSON) or `.config(key:problem:)`.
    public static func load(path: String) throws -> ServiceConfig {
        let url = URL(fileURLWithPath: path)
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ServiceError.configFile(path: path, reason: "cannot be read (\(error.localizedDescription))")
        }
        return try parse(data, baseFolder: url.deletingLastPathComponent().path, source: path)
    }

    /// Validates a configuration document; relative paths are taken from `baseFolder`.
    public static func parse(_ data: Data, baseFolder: String, source: String = "(configuration)") throws -> ServiceConfig {
        let root: JSONValue
        do { root = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw ServiceError.configFile(path: source, reason: "is not valid JSON")
        }
        do { return try read(root, baseFolder: baseFolder) } catch let error as ConfigKeyError {
            throw ServiceError.config(key: error.key, problem: error.problem)
        }
    }

    /// The keys of the document, read by `ConfigReader` (whose errors name the key).
    private static func read(_ root: JSONValue, baseFolder: String) throws -> ServiceConfig {
        var top = try ConfigReader(root, path: "")
        func absolute(_ p: String) -> String {
            p.hasPrefix("/") ? p : URL(fileURLWithPath: baseFolder).appendingPathComponent(p).standardizedFileURL.path
        }

        var dicom = try top.object("dicom")!
        let aeTitle = try aeTitleValue(try dicom.string("aeTitle"), key: dicom.key("aeTitle"))
        let dicomHost = try ipv4Value(try dicom.string("host", default: "127.0.0.1"), key: dicom.key("host"))
        let dicomPort = try dicom.int("port", in: 1...65535)
        let callers = try dicom.array("allowedCallers").enumerated().map { i, v in
            try caller(v, key: dicom.key("allowedCallers[\(i)]"))
        }
        guard !callers.isEmpty else {
            throw ServiceError.config(key: dicom.key("allowedCallers"), problem: "must name at least one calling AE title")
        }
        try dicom.finish()

        var http = try top.object("http")!
        let httpHost = try http.string("host", default: "127.0.0.1")
        let httpPort = try http.int("port", in: 1...65535)
        let maxUpload = try http.int("maxUploadBytes", in: 1...(64 << 30), default: 512 << 20)
        let maxUnzipped = try http.int("maxUnzippedBytes", in: 1...(1 << 40), default: 4 << 30)
        let cacheMaxBytes = try http.int("cacheMaxBytes", in: 0...(16 << 30), default: ResponseCache.defaultMaxBytes)
        let cacheMaxEntries = try http.int("cacheMaxEntries", in: 1...1_000_000, default: ResponseCache.defaultMaxEntries)
        try http.finish()
        guard httpPort != dicomPort else { throw ServiceError.config(key: "http.port", problem: "\(httpPort) is also dicom.port") }

        var auth = try top.object("auth")!
        let tokensFile = absolute(try auth.string("tokensFile"))
        try auth.finish()

        var storage = try top.object("storage")!
        let storageFolder = absolute(try storage.string("folder"))
        try storage.finish()

        let database = absolute(try top.string("database"))
        let workers = try top.int("workers", in: 1...64, default: 1)
        let threads = try top.int("threadsPerWorker", in: 1...256, default: 1)
        let stable = try top.double("stableSeconds", in: 0.1...86_400, default: 60)

        var destinations: [Destination] = []
        for (i, v) in try top.array("destinations", required: false).enumerated() {
            var d = try ConfigReader(v, path: "destinations[\(i)]")
            let name = try d.string("name")
            guard !destinations.contains(where: { $0.name == name }) else {
                throw ServiceError.config(key: d.key("name"), problem: "'\(name)' is used by an earlier destination")
            }
            destinations.append(Destination(name: name, aeTitle: try aeTitleValue(try d.string("aeTitle"), key: d.key("aeTitle")),
                                            host: try d.string("host"), port: try d.int("port", in: 1...65535)))
            try d.finish()
        }
        let names = Set(destinations.map(\.name))
        var routes: [Route] = []
        for (i, v) in try top.array("routes", required: false).enumerated() {
            let route = try Route.read(v, path: "routes[\(i)]", destinationNames: names)
            guard !routes.contains(where: { $0.name == route.name }) else {
                throw ServiceError.config(key: "routes[\(i)].name", problem: "'\(route.name)' is used by an earlier route")
            }
            routes.append(route)
        }
        try top.finish()
        return ServiceConfig(aeTitle: aeTitle, dicomHost: dicomHost, dicomPort: dicomPort, allowedCallers: callers, httpHost: httpHost, httpPort: httpPort,
                             maxUploadBytes: maxUpload, maxUnzippedBytes: Int64(maxUnzipped),
                             cacheMaxBytes: cacheMaxBytes, cacheMaxEntries: cacheMaxEntries, tokensFile: tokensFile, storageFolder: storageFolder, databasePath: database,
                             workers: workers, threadsPerWorker: threads, stableSeconds: stable, routes: routes, destinations: destinations)
    }

    /// An AE title: 1-16 characters of printable ASCII without backslash, not all spaces (PS3.5 AE VR).
    static func aeTitleValue(_ s: String, key: String) throws -> String {
        let trimmed = s.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, s.utf8.count <= 16, s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F && $0 != 0x5C }) else {
            throw ServiceError.config(key: key, problem: "'\(s)' is not an AE title (1-16 printable ASCII characters, no backslash)")
        }
        return trimmed
    }

    /// A dotted IPv4 address ("127.0.0.1", "0.0.0.0" for every interface): DCMTK 3.6.7's acceptor
    /// handles IPv4 peers only.
    static func ipv4Value(_ s: String, key: String) throws -> String {
        var address = in_addr()
        guard inet_pton(AF_INET, s, &address) == 1 else {
            throw ServiceError.config(key: key, problem: "'\(s)' is not an IPv4 address (e.g. 127.0.0.1, or 0.0.0.0 for every interface)")
        }
        return s
    }

    /// "AE" or "AE@host".
    static func caller(_ v: JSONValue, key: String) throws -> AllowedCaller {
        guard case .string(let s) = v else { throw ServiceError.config(key: key, problem: "expected \"AE\" or \"AE@host\", found \(v.kind)") }
        let parts = s.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        if parts.count == 2 && parts[1].isEmpty { throw ServiceError.config(key: key, problem: "'\(s)' has an empty host after '@'") }
        return AllowedCaller(aeTitle: try aeTitleValue(parts[0], key: key), host: parts.count == 2 ? parts[1] : nil)
    }

    /// The destination named `name` (names are validated when the configuration is read).
    public func destination(named name: String) -> Destination? { destinations.first { $0.name == name } }
}
