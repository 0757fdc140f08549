import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest

/// Runs the built `segstation serve` against a real Orthanc (Scripts/ci/orthanc.sh) with DCMTK's
/// storescu/echoscu as the modality. Ports: the service 11104 (DICOM) / 11180 (HTTP); Orthanc from
/// SEGSTATION_TEST_ORTHANC (REST) and SEGSTATION_TEST_ORTHANC_DICOM.
final class ServiceHarness: @unchecked Sendable {
    static let dicomPort = 11104
    static let httpPort = 11180
    let scratch: URL
    /// Orthanc's REST base and DICOM port; nil when the harness runs without a PACS (no destinations).
    let orthancURL: URL?
    let orthancDICOMPort: Int
    var orthanc: URL { orthancURL! }
    var process: Process?
    /// The log (stdout and stderr) of the service started last.
    var logFile: URL?
    var token = ""
    var configPath: URL { scratch.appendingPathComponent("serve.json") }
    var base: URL { URL(string: "http://127.0.0.1:\(Self.httpPort)")! }

    /// The tiny fixture model: label 1 where FLAIR > 0.5.
    static let fixtureModel = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("PipelineTests/Fixtures/threshold-3d").path

    init(withPACS: Bool = true) throws {
        let env = ProcessInfo.processInfo.environment
        let rest = env["SEGSTATION_TEST_ORTHANC"].flatMap(URL.init(string:))
        let port = env["SEGSTATION_TEST_ORTHANC_DICOM"].flatMap(Int.init)
        if withPACS && (rest == nil || port == nil) {
            throw XCTSkip("SEGSTATION_TEST_ORTHANC / SEGSTATION_TEST_ORTHANC_DICOM are not set: start Orthanc with Scripts/ci/orthanc.sh (Scripts/test.sh does)")
        }
        for tool in ["/usr/bin/storescu", "/usr/bin/echoscu", "/usr/bin/dcmodify"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("\(tool) is missing (Debian package dcmtk)")
        }
        orthancURL = withPACS ? rest : nil
        orthancDICOMPort = port ?? 0
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    static func binary() throws -> URL {
        if let env = ProcessInfo.processInfo.environment["SEGSTATION_BIN"] { return URL(fileURLWithPath: env) }
        let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]), Bundle(for: ServiceHarness.self).bundleURL]
            .map { $0.deletingLastPathComponent().appendingPathComponent("segstation") }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw XCTSkip("segstation binary not found beside the tests: run `swift build` first or set SEGSTATION_BIN")
        }
        return found
    }

    /// Writes the configuration (one route: FLAIR + T1c by description -> the fixture model -> Orthanc).
    /// `dicomHost` nil leaves `dicom.host` out (its default, loopback).
    /// `deadDestinationPort`: without a PACS, send results to this loopback port, where nothing listens.
    /// `routeOptions`: the route's `options` object.
    func writeConfig(stableSeconds: Double = 1, workers: Int = 1, maxUploadBytes: Int = 1 << 20, maxUnzippedBytes: Int = 64 << 20,
                     dicomHost: String? = nil, deadDestinationPort: Int? = nil, routeOptions: [String: Any] = ["rtstruct": true]) throws {
        let pacsPort = orthancURL == nil ? deadDestinationPort : orthancDICOMPort
        var dicom: [String: Any] = ["aeTitle": "SEGSTATION", "port": Self.dicomPort, "allowedCallers": ["STORESCU", "ORTHANC@127.0.0.1"]]
        if let dicomHost { dicom["host"] = dicomHost }
        let config: [String: Any] = [
            "dicom": dicom,
            "http": ["host": "127.0.0.1", "port": Self.httpPort, "maxUploadBytes": maxUploadBytes, "maxUnzippedBytes": maxUnzippedBytes],
            "auth": ["tokensFile": "tokens"], "storage": ["folder": "storage"], "database": "studies.sqlite",
            "workers": workers, "threadsPerWorker": 1, "stableSeconds": stableSeconds,
            "routes": [["name": "brain", "match": ["modality": "MR", "seriesDescription": "^FLAIR"],
                        "channels": [["modality": "MR", "seriesDescription": "^T1c"]], "model": Self.fixtureModel,
                        "options": routeOptions,
                        "destinations": pacsPort == nil ? [] : ["pacs"]]],
            "destinations": pacsPort.map { [["name": "pacs", "aeTitle": "ORTHANC", "host": "127.0.0.1", "port": $0]] } ?? [],
        ]
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted]).write(to: configPath)
        if token.isEmpty {
            let out = try run(["serve", "--config", configPath.path, "--new-token"])
            XCTAssertEqual(out.status, 0, out.err)
            token = out.out.trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    @discardableResult
    func run(_ arguments: [String], tool: String? = nil) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = try tool.map { URL(fileURLWithPath: $0) } ?? Self.binary()
        p.arguments = arguments
        p.standardInput = FileHandle.nullDevice
        let out = scratch.appendingPathComponent("\(UUID().uuidString).out"), err = scratch.appendingPathComponent("\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: out)
        p.standardError = try FileHandle(forWritingTo: err)
        try p.run()
        p.waitUntilExit()
        return (p.terminationStatus, try String(contentsOf: out, encoding: .utf8), try String(contentsOf: err, encoding: .utf8))
    }

    /// Starts the service and waits until GET /health answers.
    func start(environment extra: [String: String] = [:]) throws {
        let p = Process()
        p.executableURL = try Self.binary()
        p.arguments = ["serve", "--config", configPath.path, "--shutdown-grace", "5"]
        p.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        let log = scratch.appendingPathComponent("serve-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        p.standardOutput = try FileHandle(forWritingTo: log)
        p.standardError = p.standardOutput
        try p.run()
        process = p
        logFile = log
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if (try? get("/health").status) == 200 { return }
            guard p.isRunning else { throw XCTSkip("serve exited at start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")") }
            Thread.sleep(forTimeInterval: 0.2)
        }
        XCTFail("serve did not answer /health within 30 s")
    }

    func stop(signal: Int32 = SIGTERM) {
        guard let p = process else { return }
        if p.isRunning { kill(p.processIdentifier, signal) }
        p.waitUntilExit()
        process = nil
    }

    func waitForExit(seconds: Double) -> Bool {
        guard let p = process else { return true }
        let deadline = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        return !p.isRunning
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: scratch)
    }

    // MARK: HTTP

    struct HTTPResult {
        var status: Int; var body: Data; var contentType: String
        var headers: [String: String] = [:]
        /// A response header, by case-insensitive name.
        func header(_ name: String) -> String? { headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value }
    }

    func request(_ url: URL, method: String = "GET", body: Data? = nil, headers: [String: String] = [:], auth: Bool = true,
                 timeout: TimeInterval = 30) throws -> HTTPResult {
        var r = URLRequest(url: url)
        r.httpMethod = method
        r.httpBody = body
        r.timeoutInterval = timeout
        for (k, v) in headers { r.setValue(v, forHTTPHeaderField: k) }
        if auth && url.host == base.host && url.port == base.port { r.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        URLSession.shared.dataTask(with: r) { data, response, error in
            box.value = (data, response as? HTTPURLResponse, error)
            done.signal()
        }.resume()
        done.wait()
        guard let (data, response, error) = box.value, let response else { throw box.value?.2 ?? URLError(.badServerResponse) }
        _ = error
        var fields: [String: String] = [:]
        for (k, v) in response.allHeaderFields { fields[String(describing: k)] = String(describing: v) }
        return HTTPResult(status: response.statusCode, body: data ?? Data(), contentType: response.value(forHTTPHeaderField: "Content-Type") ?? "",
                          headers: fields)
    }

    func get(_ path: String, auth: Bool = true) throws -> HTTPResult {
        try request(URL(string: path, relativeTo: base)!.absoluteURL, auth: auth)
    }

    func json(_ path: String) throws -> Any {
        let r = try get(path)
        guard r.status == 200 else { throw URLError(.badServerResponse, userInfo: ["status": r.status, "path": path]) }
        return try JSONSerialization.jsonObject(with: r.body)
    }

    /// Polls `condition` every 0.25 s for up to `seconds`.
    func wait(_ what: String, seconds: Double, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return }
            Thread.sleep(forTimeInterval: 0.25)
        }
        XCTFail("timed out after \(seconds) s waiting for \(what); jobs: \(String(decoding: (try? get("/jobs").body) ?? Data(), as: UTF8.self))")
        throw XCTSkip("gave up waiting for \(what)")
    }

    func jobs() throws -> [[String: Any]] { (try json("/jobs") as? [[String: Any]]) ?? [] }

    // MARK: Orthanc

    func orthancGet(_ path: String) throws -> Any {
        let r = try request(URL(string: orthanc.absoluteString + "/" + path)!, auth: false)
        return try JSONSerialization.jsonObject(with: r.body)
    }

    /// Orthanc instance IDs of a modality (SEG, SR).
    func orthancInstances(modality: String) throws -> [String] {
        let query = try JSONSerialization.data(withJSONObject: ["Level": "Instance", "Query": ["Modality": modality]])
        let r = try request(orthanc.appendingPathComponent("tools/find"), method: "POST", body: query, auth: false)
        return (try JSONSerialization.jsonObject(with: r.body) as? [String]) ?? []
    }

    func clearOrthanc() throws {
        for id in (try orthancGet("patients") as? [String]) ?? [] {
            _ = try request(orthanc.appendingPathComponent("patients/\(id)"), method: "DELETE", auth: false)
        }
    }

    // MARK: the modality

    /// `segstation sample --size` into `name`; returns the study folder (FLAIR/ and T1c/ inside).
    func phantom(_ name: String, size: String = "24,24,10") throws -> URL {
        let folder = scratch.appendingPathComponent(name)
        let r = try run(["sample", "-o", folder.path, "--size", size])
        XCTAssertEqual(r.status, 0, r.err)
        return folder
    }

    /// The README's `storescu` line (sample configuration: this harness's AE titles and DICOM port), with
    /// `Studies/sample` replaced by `study`: the documented command must work as written.
    func sendAsInREADME(_ study: URL) throws -> (status: Int32, out: String, err: String) {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../README.md").standardizedFileURL
        let line = try XCTUnwrap(try String(contentsOf: readme, encoding: .utf8).split(separator: "\n").first { $0.hasPrefix("storescu ") })
        let words = line.split(separator: " ").dropFirst().map { String($0).replacingOccurrences(of: "'", with: "") }
        XCTAssertTrue(words.contains(String(Self.dicomPort)), "the README sends to the sample configuration's port")
        return try run(words.map { $0 == "Studies/sample" ? study.path : $0 }, tool: "/usr/bin/storescu")
    }

    /// storescu from `callingAE` with every file under `folders`.
    func send(_ folders: [URL], callingAE: String = "STORESCU", verbose: Bool = false) throws -> (status: Int32, out: String, err: String) {
        try run(["-aet", callingAE, "-aec", "SEGSTATION", "+sd", "+r", "-nh"] + (verbose ? ["-v"] : []) + ["127.0.0.1", String(Self.dicomPort)] + folders.map(\.path),
                tool: "/usr/bin/storescu")
    }
}

private final class ResultBox: @unchecked Sendable {
    var value: (Data?, HTTPURLResponse?, (any Error)?)?
}
