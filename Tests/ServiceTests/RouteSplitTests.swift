import Logging
import XCTest
import Core
import Pipeline
@testable import Service
@testable import StudyStore

/// A route's lesion split (`options.split`, `minDistanceMM`, `neckDepthMM`): read and checked with the
/// CLI's rule, refused for an instances model at start-up, and carried through the queued job into the
/// pipeline's request.
final class RouteSplitTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("route-split-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func document(options: [String: Any], model: String = "brats-wt-3d") -> [String: Any] {
        var doc = ConfigTests.valid
        doc["routes"] = [["name": "brain", "match": ["modality": "MR", "seriesDescription": "FLAIR"], "model": model, "options": options]]
        doc["database"] = folder.appendingPathComponent("db.sqlite").path
        return doc
    }

    func parse(_ doc: [String: Any]) throws -> ServiceConfig {
        try ServiceConfig.parse(try JSONSerialization.data(withJSONObject: doc), baseFolder: folder.path)
    }

    func testSplitOptionsAreReadWithTheCLIDefaults() throws {
        let plain = try parse(document(options: ["minLesionML": 0.1]))
        XCTAssertEqual(plain.routes[0].options.split, .components)
        XCTAssertNil(plain.routes[0].options.splitChoice.splitting, "default: connected components")
        let given = try parse(document(options: ["split": "watershed", "minDistanceMM": 7.5, "neckDepthMM": 0]))
        XCTAssertEqual(given.routes[0].options.splitChoice.splitting,
                       LesionSplitChoice(method: .watershed, minDistanceMM: 7.5, neckDepthMM: 0).splitting)
        let defaults = try parse(document(options: ["split": "watershed"]))
        XCTAssertEqual(defaults.routes[0].options.splitChoice.splitting, LesionSplitChoice(method: .watershed, minDistanceMM: 5, neckDepthMM: 1).splitting,
                       "segment --split watershed's defaults")
        XCTAssertEqual(try parse(document(options: ["split": "components"])).routes[0].options, RouteOptions())
    }

    func testInvalidSplitOptionsAreRefusedNamingTheKey() {
        func refused(_ options: [String: Any], _ key: String, _ fragment: String, line: UInt = #line) {
            XCTAssertThrowsError(try parse(document(options: options)), line: line) { error in
                XCTAssertEqual("\(error)".contains(key), true, "\(error)", line: line)
                XCTAssertEqual("\(error)".contains(fragment), true, "\(error)", line: line)
            }
        }
        refused(["minDistanceMM": 4], "routes[0].options.minDistanceMM", "watershed")
        refused(["split": "components", "neckDepthMM": 1], "routes[0].options.neckDepthMM", "watershed")
        refused(["split": "watershed", "minDistanceMM": 0], "routes[0].options.minDistanceMM", "positive")
        refused(["split": "watershed", "minDistanceMM": -2], "routes[0].options.minDistanceMM", "positive")
        refused(["split": "watershed", "neckDepthMM": -0.5], "routes[0].options.neckDepthMM", "0 or a positive")
        refused(["split": "Watershed"], "routes[0].options.split", "not a split method")
        refused(["split": 1], "routes[0].options.split", "expected a string")
        refused(["split": "watershed", "minDistanceMM": "5"], "routes[0].options.minDistanceMM", "expected a number")
        refused(["split": "watershed", "minDistanceMm": 5], "routes[0].options.minDistanceMm", "unknown key")
    }

    /// segment's rule: an instances model detects each lesion itself, so a route asking for a split with
    /// one is refused when the service starts (and by `serve --check`), naming the route, its key and model.
    func testSplitWithAnInstancesModelIsRefusedAtStartUp() throws {
        let config = try parse(document(options: ["split": "watershed"], model: "brats-instances-2d"))
        XCTAssertThrowsError(try SegStationService(config: config, logger: Logger(label: "test"))) { error in
            guard case ServiceError.config(let key, let problem) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(key, "routes[0].options.split")
            XCTAssertTrue(problem.contains("route 'brain'") && problem.contains("brats-instances-2d"), problem)
        }
        // The same model without a split starts; a semantic model with one too.
        XCTAssertNoThrow(try SegStationService(config: try parse(document(options: [:], model: "brats-instances-2d")), logger: Logger(label: "test")))
        XCTAssertNoThrow(try SegStationService(config: try parse(document(options: ["split": "watershed"])), logger: Logger(label: "test")))
    }

    /// The route's split travels with the job the router queues (its options JSON) into the
    /// `SegmentRequest` the worker runs; jobs queued before the keys existed read as connected components.
    func testTheRoutesSplitReachesTheJobsRequest() throws {
        let config = try parse(document(options: ["split": "watershed", "minDistanceMM": 8, "neckDepthMM": 2, "minLesionML": 0.2]))
        let store = try StudyStore(path: config.databasePath)
        let router = SeriesRouter(store: store, routes: config.routes, stableSeconds: 5, logger: Logger(label: "test"))
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        for k in 0..<3 {
            _ = try store.recordReceivedInstance(ReceivedInstance(
                sopInstanceUID: "1.1.\(k)", sopClassUID: "1.2.840.10008.5.1.4.1.1.4", studyInstanceUID: "1.9", seriesInstanceUID: "1.1",
                modality: "MR", seriesDescription: "Ax FLAIR", bodyPartExamined: "BRAIN", imageType: "ORIGINAL\\PRIMARY",
                folder: "/s/1.1", path: "/s/1.1/\(k).dcm", bytes: 10), now: t0)
        }
        let queued = try router.tick(now: t0.addingTimeInterval(6))
        XCTAssertEqual(queued.count, 1)
        let job = try XCTUnwrap(try store.job(queued[0]))
        let request = JobWorker.request(for: job, config: config)
        XCTAssertEqual(request.splitting, LesionSplitChoice(method: .watershed, minDistanceMM: 8, neckDepthMM: 2).splitting)
        XCTAssertNotNil(request.splitting)
        XCTAssertEqual(request.minLesionML, 0.2)

        var old = job
        old.optionsJSON = #"{"minLesionML":0.2,"tta":false}"#
        XCTAssertNil(JobWorker.request(for: old, config: config).splitting, "a job queued before the split keys: components")
    }
}
