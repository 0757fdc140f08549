import XCTest
import Core
import Pipeline
@testable import Service

/// Key-by-key validation of the `serve` configuration: each rejection names the key.
final class ConfigTests: XCTestCase {
    static var valid: [String: Any] { [
        "dicom": ["aeTitle": "SEGSTATION", "port": 11104, "allowedCallers": ["STORESCU", "ORTHANC@127.0.0.1"]],
        "http": ["port": 11180],
        "auth": ["tokensFile": "tokens"],
        "storage": ["folder": "store"],
        "database": "db.sqlite",
        "workers": 2, "threadsPerWorker": 1, "stableSeconds": 2.5,
        "routes": [["name": "brain", "match": ["modality": "MR", "seriesDescription": "FLAIR"],
                    "channels": [["seriesDescription": "T1c"]], "model": "brats-wt-3d",
                    "options": ["minLesionML": 0.1, "rtstruct": true], "destinations": ["pacs"]]],
        "destinations": [["name": "pacs", "aeTitle": "ORTHANC", "host": "127.0.0.1", "port": 11142]],
    ] }

    func parse(_ object: [String: Any]) throws -> ServiceConfig {
        try ServiceConfig.parse(try JSONSerialization.data(withJSONObject: object), baseFolder: "/srv/seg")
    }

    /// Applies `edit` to a copy of the valid document and expects a refusal naming `key`.
    func assertRefused(_ key: String, contains fragment: String, _ edit: (inout [String: Any]) -> Void, line: UInt = #line) {
        var doc = Self.valid
        edit(&doc)
        XCTAssertThrowsError(try parse(doc), line: line) { error in
            guard case ServiceError.config(let k, let problem) = error else { return XCTFail("\(error)", line: line) }
            XCTAssertEqual(k, key, line: line)
            XCTAssertTrue(problem.contains(fragment), "\(problem)", line: line)
        }
    }

    func testValidDocumentWithDefaults() throws {
        let c = try parse(Self.valid)
        XCTAssertEqual(c.aeTitle, "SEGSTATION")
        XCTAssertEqual(c.httpHost, "127.0.0.1", "http.host defaults to loopback")
        XCTAssertEqual(c.allowedCallers, [.init(aeTitle: "STORESCU"), .init(aeTitle: "ORTHANC", host: "127.0.0.1")])
        XCTAssertEqual(c.storageFolder, "/srv/seg/store")
        XCTAssertEqual(c.databasePath, "/srv/seg/db.sqlite")
        XCTAssertEqual(c.routes.first?.channels.count, 1)
        XCTAssertEqual(c.routes.first?.options.minLesionML, 0.1)
        XCTAssertEqual(c.routes.first?.options.rtstruct, true)
        XCTAssertEqual(c.stableSeconds, 2.5)
        XCTAssertEqual(c.dicomHost, "127.0.0.1", "dicom.host defaults to loopback")
        XCTAssertEqual(c.maxUnzippedBytes, 4 << 30)
    }

    func testDICOMHostMustBeAnIPv4Address() throws {
        for bad in ["localhost", "::1", "127.0.0.256", "0.0.0.0 "] {
            assertRefused("dicom.host", contains: "is not an IPv4 address") { d in
                var dicom = d["dicom"] as! [String: Any]; dicom["host"] = bad; d["dicom"] = dicom
            }
        }
        assertRefused("dicom.host", contains: "expected a string") { d in
            var dicom = d["dicom"] as! [String: Any]; dicom["host"] = 127; d["dicom"] = dicom
        }
        var doc = Self.valid
        var dicom = doc["dicom"] as! [String: Any]; dicom["host"] = "0.0.0.0"; doc["dicom"] = dicom
        XCTAssertEqual(try parse(doc).dicomHost, "0.0.0.0")
        assertRefused("http.maxUnzippedBytes", contains: "outside") { d in d["http"] = ["port": 11180, "maxUnzippedBytes": 0] }
    }

    func testSampleConfigIsValid() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../deploy/serve.sample.json").standardizedFileURL
        let c = try ServiceConfig.load(path: url.path)
        XCTAssertEqual(c.httpHost, "127.0.0.1")
        XCTAssertEqual(c.destinations.first?.port, 11142)
    }

    func testUnknownKeysAreRefusedAtEveryLevel() {
        assertRefused("dicmo", contains: "unknown key") { $0["dicmo"] = 1 }
        assertRefused("dicom.aetitle", contains: "unknown key") { d in
            var dicom = d["dicom"] as! [String: Any]; dicom["aetitle"] = "X"; d["dicom"] = dicom
        }
        assertRefused("routes[0].match.modalty", contains: "unknown key") { d in
            var r = (d["routes"] as! [[String: Any]])[0]; r["match"] = ["modalty": "MR"]; d["routes"] = [r]
        }
        assertRefused("routes[0].options.ttaa", contains: "unknown key") { d in
            var r = (d["routes"] as! [[String: Any]])[0]; r["options"] = ["ttaa": true]; d["routes"] = [r]
        }
    }

    func testTypesAndRanges() {
        assertRefused("dicom.port", contains: "outside 1...65535") { d in
            var dicom = d["dicom"] as! [String: Any]; dicom["port"] = 70000; d["dicom"] = dicom
        }
        assertRefused("http.port", contains: "expected an integer") { d in d["http"] = ["port": "11180"] }
        assertRefused("http.port", contains: "expected an integer") { d in d["http"] = ["port": true] }
        assertRefused("workers", contains: "outside 1...64") { $0["workers"] = 0 }
        assertRefused("stableSeconds", contains: "expected a number") { $0["stableSeconds"] = "5" }
        assertRefused("database", contains: "is required") { $0.removeValue(forKey: "database") }
        assertRefused("auth", contains: "is required") { $0.removeValue(forKey: "auth") }
        assertRefused("http.port", contains: "also dicom.port") { d in d["http"] = ["port": 11104] }
        assertRefused("http.cacheMaxBytes", contains: "outside") { d in d["http"] = ["port": 11180, "cacheMaxBytes": -1] }
        assertRefused("http.cacheMaxEntries", contains: "outside") { d in d["http"] = ["port": 11180, "cacheMaxEntries": 0] }
    }

    func testResponseCacheKeys() throws {
        let defaults = try parse(Self.valid)
        XCTAssertEqual(defaults.cacheMaxBytes, ResponseCache.defaultMaxBytes)
        XCTAssertEqual(defaults.cacheMaxEntries, ResponseCache.defaultMaxEntries)
        var doc = Self.valid
        doc["http"] = ["port": 11180, "cacheMaxBytes": 0, "cacheMaxEntries": 10]
        let off = try parse(doc)
        XCTAssertEqual(off.cacheMaxBytes, 0, "0 turns the cache off")
        XCTAssertEqual(off.cacheMaxEntries, 10)
    }

    func testAETitlesAndCallers() {
        assertRefused("dicom.aeTitle", contains: "not an AE title") { d in
            var dicom = d["dicom"] as! [String: Any]; dicom["aeTitle"] = "SEVENTEEN_CHARS_X"; d["dicom"] = dicom
        }
        assertRefused("dicom.allowedCallers[1]", contains: "empty host") { d in
            var dicom = d["dicom"] as! [String: Any]; dicom["allowedCallers"] = ["A", "B@"]; d["dicom"] = dicom
        }
        assertRefused("dicom.allowedCallers", contains: "at least one") { d in
            var dicom = d["dicom"] as! [String: Any]; dicom["allowedCallers"] = [String](); d["dicom"] = dicom
        }
        let caller = ServiceConfig.AllowedCaller(aeTitle: "ORTHANC", host: "127.0.0.1")
        XCTAssertTrue(caller.allows(aeTitle: "ORTHANC", host: "127.0.0.1"))
        XCTAssertFalse(caller.allows(aeTitle: "ORTHANC", host: "127.0.0.2"))
        XCTAssertFalse(caller.allows(aeTitle: "OTHER", host: "127.0.0.1"))
    }

    func testRoutesAndDestinations() {
        assertRefused("routes[0].destinations[0]", contains: "not the name") { d in
            var r = (d["routes"] as! [[String: Any]])[0]; r["destinations"] = ["nowhere"]; d["routes"] = [r]
        }
        assertRefused("routes[0].match.seriesDescription", contains: "not a valid regular expression") { d in
            var r = (d["routes"] as! [[String: Any]])[0]; r["match"] = ["seriesDescription": "(FLAIR"]; d["routes"] = [r]
        }
        assertRefused("routes[0].channels[0].maxSlices", contains: "below minSlices") { d in
            var r = (d["routes"] as! [[String: Any]])[0]; r["channels"] = [["minSlices": 10, "maxSlices": 5]]; d["routes"] = [r]
        }
        assertRefused("destinations[1].name", contains: "earlier destination") { d in
            let dest: [String: Any] = ["name": "pacs", "aeTitle": "B", "host": "127.0.0.1", "port": 1]
            d["destinations"] = [dest, dest]
        }
        assertRefused("destinations[0].host", contains: "is required") { d in
            d["destinations"] = [["name": "pacs", "aeTitle": "B", "port": 1]]
        }
    }

    func testSeriesMatching() {
        let flair = SeriesFacts(modality: "MR", seriesDescription: "Ax FLAIR 3D", bodyPartExamined: "BRAIN",
                                imageType: ["ORIGINAL", "PRIMARY"], sliceCount: 40)
        XCTAssertTrue(SeriesMatch(modality: "mr", seriesDescription: "flair").matches(flair))
        XCTAssertFalse(SeriesMatch(modality: "CT").matches(flair))
        XCTAssertFalse(SeriesMatch(seriesDescription: "^FLAIR").matches(flair), "regular expression, searched")
        XCTAssertTrue(SeriesMatch(imageType: "original", minSlices: 40, maxSlices: 40).matches(flair))
        XCTAssertFalse(SeriesMatch(imageType: "DERIVED").matches(flair))
        XCTAssertFalse(SeriesMatch(minSlices: 41).matches(flair))
        XCTAssertFalse(SeriesMatch(bodyPartExamined: "CHEST").matches(flair))
        let routes = [Route(name: "ct", match: SeriesMatch(modality: "CT"), model: "m"),
                      Route(name: "mr", match: SeriesMatch(modality: "MR"), model: "m")]
        XCTAssertEqual(Route.first(in: routes, matching: flair)?.name, "mr")
        XCTAssertNil(Route.first(in: routes, matching: SeriesFacts(modality: "US", sliceCount: 1)))
    }

    /// A route's `match` and a `batch` channel rule are the same rule, read by the same code: the same
    /// JSON object gives the same `SeriesMatch`, and the same mistake the same key-naming refusal.
    func testRoutesAndBatchRulesShareOneSeriesRule() throws {
        let match: [String: Any] = ["modality": "MR", "seriesDescription": "flair", "excludeSeriesDescription": "sub|mip",
                                    "imageType": "ORIGINAL", "minSlices": 20]
        var doc = Self.valid
        var route = (doc["routes"] as! [[String: Any]])[0]
        route["match"] = match
        doc["routes"] = [route]
        let fromService = try XCTUnwrap(try parse(doc).routes.first?.match)
        let rulesJSON = try JSONSerialization.data(withJSONObject: ["rules": [match.merging(["channel": "FLAIR"]) { $1 }]])
        let fromBatch = try SeriesRoutingRules.read(try JSONDecoder().decode(JSONValue.self, from: rulesJSON), path: "")
        XCTAssertEqual(fromBatch.rules.first?.match, fromService)
        XCTAssertEqual(fromService, SeriesMatch(modality: "MR", seriesDescription: "flair", excludeSeriesDescription: "sub|mip",
                                                imageType: "ORIGINAL", minSlices: 20))
        XCTAssertFalse(fromService.matches(SeriesFacts(modality: "MR", seriesDescription: "FLAIR MIP", imageType: ["ORIGINAL"], sliceCount: 30)))
        assertRefused("routes[0].channels[0].seriesDescription", contains: "not a shell glob") { d in
            var r = (d["routes"] as! [[String: Any]])[0]; r["channels"] = [["seriesDescription": "*t1*"]]; d["routes"] = [r]
        }
    }
}
