import XCTest
import Core
import TestSupport
@testable import Pipeline

/// The one series rule (`SeriesMatch`) shared by the service's routes and `batch`'s channel rules:
/// matching, its JSON reading (errors name the key), and batch routing built on it.
final class SeriesMatchTests: XCTestCase {
    let flair = SeriesFacts(modality: "MR", seriesDescription: "Ax T2 FLAIR 3D", bodyPartExamined: "BRAIN",
                            imageType: ["ORIGINAL", "PRIMARY", "AXIAL"], sliceCount: 40)

    func testRegularExpressionsAreCaseInsensitiveAndSearched() {
        XCTAssertTrue(SeriesMatch(seriesDescription: "flair").matches(flair))
        XCTAssertTrue(SeriesMatch(seriesDescription: "t2 .*3d$").matches(flair))
        XCTAssertFalse(SeriesMatch(seriesDescription: "^flair").matches(flair), "anchors are honoured")
        XCTAssertTrue(SeriesMatch(seriesDescription: "t1|flair").matches(flair))
        XCTAssertFalse(SeriesMatch(seriesDescription: "*flair*").matches(flair), "an invalid pattern built in code matches nothing")
        XCTAssertFalse(SeriesMatch(seriesDescription: "f.air", excludeSeriesDescription: "3D").matches(flair), "the exclusion wins")
        XCTAssertTrue(SeriesMatch(seriesDescription: "flair", excludeSeriesDescription: "sub|mip").matches(flair))
        XCTAssertFalse(SeriesMatch(excludeSeriesDescription: "(").matches(flair), "an invalid exclusion excludes everything")
    }

    func testOtherCriteria() {
        XCTAssertTrue(SeriesMatch(modality: "mr", bodyPartExamined: "brain", imageType: "primary").matches(flair))
        XCTAssertFalse(SeriesMatch(modality: "CT").matches(flair))
        XCTAssertFalse(SeriesMatch(bodyPartExamined: "CHEST").matches(flair))
        XCTAssertFalse(SeriesMatch(imageType: "DERIVED").matches(flair))
        XCTAssertTrue(SeriesMatch(minSlices: 40, maxSlices: 40).matches(flair))
        XCTAssertFalse(SeriesMatch(minSlices: 41).matches(flair))
        XCTAssertFalse(SeriesMatch(maxSlices: 39).matches(flair))
        XCTAssertTrue(SeriesMatch().matches(flair))
        XCTAssertEqual(SeriesMatch().description, "any series")
        XCTAssertEqual(SeriesMatch(modality: "MR", seriesDescription: "flair", excludeSeriesDescription: "sub", minSlices: 20).description,
                       "modality MR, seriesDescription /flair/, excludeSeriesDescription /sub/, at least 20 instances")
    }

    func json(_ object: Any) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: try JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed]))
    }

    func assertRefused(_ object: Any, key: String, contains fragment: String, line: UInt = #line) throws {
        XCTAssertThrowsError(try SeriesMatch.read(try json(object), path: "match"), line: line) { error in
            guard let error = error as? ConfigKeyError else { return XCTFail("\(error)", line: line) }
            XCTAssertEqual(error.key, key, line: line)
            XCTAssertTrue(error.problem.contains(fragment), error.problem, line: line)
        }
    }

    func testReadingNamesTheKey() throws {
        let read = try SeriesMatch.read(try json(["modality": "MR", "seriesDescription": "flair", "excludeSeriesDescription": "sub",
                                                 "bodyPartExamined": "BRAIN", "imageType": "ORIGINAL", "minSlices": 10, "maxSlices": 400]),
                                        path: "match")
        XCTAssertEqual(read, SeriesMatch(modality: "MR", seriesDescription: "flair", excludeSeriesDescription: "sub",
                                         bodyPartExamined: "BRAIN", imageType: "ORIGINAL", minSlices: 10, maxSlices: 400))
        try assertRefused(["seriesDescription": "(flair"], key: "match.seriesDescription", contains: "not a valid regular expression")
        try assertRefused(["seriesDescription": "*flair*"], key: "match.seriesDescription", contains: "not a shell glob")
        try assertRefused(["excludeSeriesDescription": "[sub"], key: "match.excludeSeriesDescription", contains: "not a valid regular expression")
        try assertRefused(["seriesDescription": ["flair"]], key: "match.seriesDescription", contains: "expected a string, found an array")
        try assertRefused(["minSlices": 10, "maxSlices": 5], key: "match.maxSlices", contains: "below minSlices")
        try assertRefused(["minSlices": 0], key: "match.minSlices", contains: "outside")
        try assertRefused(["exclude": "sub"], key: "match.exclude", contains: "unknown key")
        try assertRefused("flair", key: "match", contains: "expected a JSON object")
    }

    func testBatchRulesReadChannelPlusTheSharedKeys() throws {
        let rules = try SeriesRoutingRules.read(try json(["rules": [
            ["channel": "FLAIR", "seriesDescription": "flair", "excludeSeriesDescription": "sub"],
            ["channel": "T1c", "seriesDescription": "t1", "modality": "MR", "minSlices": 20],
        ]]), path: "")
        XCTAssertEqual(rules, SeriesRoutingRules(rules: [
            .init(channel: "FLAIR", match: SeriesMatch(seriesDescription: "flair", excludeSeriesDescription: "sub")),
            .init(channel: "T1c", match: SeriesMatch(modality: "MR", seriesDescription: "t1", minSlices: 20)),
        ]))
        for (doc, key) in [(["rules": [["channel": "FLAIR", "seriesDescription": "*flair*"]]], "seriesRules.rules[0].seriesDescription"),
                           (["rules": [["seriesDescription": "flair"]]], "seriesRules.rules[0].channel"),
                           (["rules": [["channel": "FLAIR", "exclude": ["*sub*"]]]], "seriesRules.rules[0].exclude"),
                           (["rules": [], "extra": 1], "seriesRules.extra")] as [([String: Any], String)] {
            XCTAssertThrowsError(try SeriesRoutingRules.read(try json(doc), path: "seriesRules")) { error in
                XCTAssertEqual((error as? ConfigKeyError)?.key, key, "\(error)")
            }
        }
    }

    func candidate(_ description: String, _ modality: String = "MR", slices: Int = 20) -> SeriesRoutingRules.Candidate {
        .init(seriesInstanceUID: "\(description)#\(modality)#\(slices)",
              facts: SeriesFacts(modality: modality, seriesDescription: description, sliceCount: slices))
    }

    func testModalityDefaultsToTheManifestInputAndSlicesDisambiguate() throws {
        let manifest = try ModelPackage.resolve(SegmentJobTests.fixture("threshold-3d")).manifest
        let rules = SeriesRoutingRules(rules: [.init(channel: "FLAIR", match: SeriesMatch(seriesDescription: "flair", minSlices: 10)),
                                               .init(channel: "T1c", match: SeriesMatch(seriesDescription: "t1"))])
        // A CT series with the same description is not a candidate of the MR input: no ambiguity.
        let routed = try rules.route([candidate("FLAIR", "CT"), candidate("FLAIR"), candidate("T1c")], manifest: manifest).get()
        XCTAssertEqual(routed.map(\.facts.modality), ["MR", "MR"])
        // A 3-instance FLAIR (a scout) is below minSlices: not ambiguous either.
        XCTAssertEqual(try rules.route([candidate("FLAIR", slices: 3), candidate("FLAIR", slices: 30), candidate("T1c")], manifest: manifest)
                        .get().first?.facts.sliceCount, 30)
        XCTAssertEqual(rules.route([candidate("FLAIR", slices: 3), candidate("T1c")], manifest: manifest),
                       .failure(.missingChannel(channel: "FLAIR", rule: "modality MR, seriesDescription /flair/, at least 10 instances")))
        // A rule's own modality replaces the input's.
        let ctRules = SeriesRoutingRules(rules: [.init(channel: "FLAIR", match: SeriesMatch(modality: "CT", seriesDescription: "flair")),
                                                 .init(channel: "T1c", match: SeriesMatch(seriesDescription: "t1"))])
        XCTAssertEqual(try ctRules.route([candidate("FLAIR", "CT"), candidate("T1c")], manifest: manifest).get().first?.facts.modality, "CT")
        // One series feeds one channel: a rule matching everything takes what is left.
        let greedy = SeriesRoutingRules(rules: [.init(channel: "FLAIR", match: SeriesMatch(seriesDescription: "flair")),
                                                .init(channel: "T1c", match: SeriesMatch())])
        XCTAssertEqual(try greedy.route([candidate("FLAIR"), candidate("T1c")], manifest: manifest).get().map(\.facts.seriesDescription),
                       ["FLAIR", "T1c"])
    }

    /// A package folder: the threshold fixture with `seriesRules` added to its manifest.
    func package(seriesRules: Any) throws -> ModelPackage {
        let folder = try TestData.temporaryDirectory("rules-package")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let source = URL(fileURLWithPath: SegmentJobTests.fixture("threshold-3d"))
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.onnx"), to: folder.appendingPathComponent("model.onnx"))
        var manifest = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("manifest.json"))) as? [String: Any])
        manifest["seriesRules"] = seriesRules
        try JSONSerialization.data(withJSONObject: manifest).write(to: folder.appendingPathComponent("manifest.json"))
        return try ModelPackage.resolve(folder.path)
    }

    func testResolveFromTheManifestOrARulesFileNamesTheKey() throws {
        let good = try package(seriesRules: ["rules": [["channel": "FLAIR", "seriesDescription": "dark.?fluid"],
                                                       ["channel": "T1c", "seriesDescription": "post"]]])
        XCTAssertEqual(try SeriesRoutingRules.resolve(rulesFile: nil, package: good).rules.map(\.match.seriesDescription), ["dark.?fluid", "post"])

        let bad = try package(seriesRules: ["rules": [["channel": "FLAIR", "seriesDescription": "*flair*"],
                                                      ["channel": "T1c", "seriesDescription": "post"]]])
        XCTAssertThrowsError(try SeriesRoutingRules.resolve(rulesFile: nil, package: bad)) { error in
            guard case BatchError.badInput(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.contains("manifest.json: key 'seriesRules.rules[0].seriesDescription'"), message)
        }
        let unknownChannel = try package(seriesRules: ["rules": [["channel": "T2", "seriesDescription": "t2"]]])
        XCTAssertThrowsError(try SeriesRoutingRules.resolve(rulesFile: nil, package: unknownChannel)) { error in
            XCTAssertTrue("\(error)".contains("key 'seriesRules.rules[0].channel': 'T2' is not an input of the model"), "\(error)")
        }

        let file = try TestData.temporaryDirectory("rules-file").appendingPathComponent("rules.json")
        addTeardownBlock { try? FileManager.default.removeItem(at: file.deletingLastPathComponent()) }
        try Data(#"{ "rules": [ { "channel": "FLAIR", "seriesDescription": "flair" }, { "channel": "T1c", "maxSlices": 0 } ] }"#.utf8).write(to: file)
        XCTAssertThrowsError(try SeriesRoutingRules.resolve(rulesFile: file.path, package: good)) { error in
            XCTAssertTrue("\(error)".contains("rules file \(file.path): key 'rules[1].maxSlices'"), "\(error)")
        }
        try Data(#"{ "rules": [ { "channel": "FLAIR", "seriesDescription": "flair" } ] }"#.utf8).write(to: file)
        XCTAssertThrowsError(try SeriesRoutingRules.resolve(rulesFile: file.path, package: good)) { error in
            XCTAssertTrue("\(error)".contains("input 'T1c' needs exactly one rule, found 0"), "\(error)")
        }
        try Data(#"{ "rules": [ { "channel": "FLAIR", "seriesDescription": "flair" }, { "channel": "T1c" } ] }"#.utf8).write(to: file)
        XCTAssertEqual(try SeriesRoutingRules.resolve(rulesFile: file.path, package: good).rules[1].match, SeriesMatch(),
                       "a rules file wins over the manifest's seriesRules")
    }

    /// The sample in deploy/ (shown in docs/SCALE.md) reads, and routes a typical study as documented.
    func testSampleRulesFile() throws {
        let package = try ModelPackage.resolve(SegmentJobTests.fixture("threshold-3d"))
        let sample = TestData.repositoryRoot.appendingPathComponent("deploy/batch-rules.sample.json").path
        let rules = try SeriesRoutingRules.resolve(rulesFile: sample, package: package)
        let study = [candidate("Ax FLAIR"), candidate("FLAIR sub"), candidate("FLAIR MIP"), candidate("T1 post GD", slices: 120),
                     candidate("T1 post GD scout", slices: 3), candidate("T2")]
        XCTAssertEqual(try rules.route(study, manifest: package.manifest).get().map(\.facts.seriesDescription), ["Ax FLAIR", "T1 post GD"])
    }

    /// On DICOM files written through DCMTK, batch sees what the service sees: ImageType values and the
    /// instance count, so `imageType` and `minSlices` rules work on a DICOM tree as in `serve`.
    func testDICOMTreeFactsFeedImageTypeAndSliceRules() throws {
        let tree = try TestData.temporaryDirectory("rules-tree")
        addTeardownBlock { try? FileManager.default.removeItem(at: tree) }
        let study = try SampleStudy.write(to: tree.appendingPathComponent("study"), phantom: SamplePhantom(size: SIMD3(16, 16, 8)))
        let manifest = try ModelPackage.resolve(SegmentJobTests.fixture("threshold-3d")).manifest
        func route(_ flair: SeriesMatch) throws -> BatchCase {
            let rules = SeriesRoutingRules(rules: [.init(channel: "FLAIR", match: flair), .init(channel: "T1c", match: SeriesMatch(seriesDescription: "t1c"))])
            return try XCTUnwrap(try BatchDICOMTree.read(tree.path, manifest: manifest, rules: rules).cases.first)
        }
        // SegStation's writer marks its images DERIVED\SECONDARY; the phantom has 8 slices.
        let routed = try route(SeriesMatch(seriesDescription: "flair", imageType: "secondary", minSlices: 8, maxSlices: 8))
        XCTAssertNil(routed.problem, routed.problem ?? "")
        XCTAssertEqual(routed.id, study.studyInstanceUID)
        XCTAssertEqual(routed.inputs.first, study.flairSeries)
        XCTAssertEqual(try route(SeriesMatch(seriesDescription: "flair", minSlices: 9)).problem,
                       "missing channel FLAIR: no series matches modality MR, seriesDescription /flair/, at least 9 instances")
        XCTAssertEqual(try route(SeriesMatch(seriesDescription: "flair", imageType: "ORIGINAL")).problem,
                       "missing channel FLAIR: no series matches modality MR, seriesDescription /flair/, imageType ORIGINAL")
    }
}
