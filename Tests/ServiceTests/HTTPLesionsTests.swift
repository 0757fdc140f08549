import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XCTest
@testable import Service
import StudyStore

/// GET /lesions of a running `segstation serve`: pages (`limit`/`offset`, `X-Total-Count`, `Link`), compact
/// JSON with the CLI's `lesions --json` keys and values, and database reads that do not hold up the
/// other requests (issue 14, session 12).
final class HTTPLesionsTests: XCTestCase {
    func testPagingParametersAndHeaders() throws {
        XCTAssertEqual(try Paging.parse(limit: nil, offset: nil).get(), Paging(limit: Paging.defaultLimit, offset: 0))
        XCTAssertEqual(try Paging.parse(limit: "10", offset: "20").get(), Paging(limit: 10, offset: 20))
        XCTAssertEqual(try Paging.parse(limit: String(Paging.maximumLimit), offset: "0").get().limit, Paging.maximumLimit)
        for (limit, offset) in [("0", "0"), ("-1", "0"), ("\(Paging.maximumLimit + 1)", "0"), ("ten", "0"), ("10", "-1"), ("10", "x"), ("", "")] {
            guard case .failure(let error) = Paging.parse(limit: limit, offset: offset) else {
                return XCTFail("limit '\(limit)' offset '\(offset)' accepted")
            }
            XCTAssertTrue(error.message.hasPrefix("limit") || error.message.hasPrefix("offset"), error.message)
        }
        let rows = Array(0..<25)
        XCTAssertEqual(Array(Paging(limit: 10, offset: 20).page(rows)), [20, 21, 22, 23, 24])
        XCTAssertEqual(Array(Paging(limit: 10, offset: 30).page(rows)), [])
        let middle = Paging(limit: 10, offset: 10).headers(total: 25, path: "/lesions", query: [("patient", "A&B 1"), ("limit", "10"), ("offset", "10")])
        XCTAssertEqual(middle[Paging.totalCount], "25")
        XCTAssertEqual(middle[Paging.link], "</lesions?patient=A%26B%201&limit=10&offset=20>; rel=\"next\"")
        XCTAssertNil(Paging(limit: 10, offset: 20).headers(total: 25, path: "/lesions", query: [])[Paging.link])
    }

    func testPagesAreTheCLIAnswerInCompactJSONAndReadsDoNotBlockOtherRequests() throws {
        let h = try ServiceHarness(withPACS: false)
        try h.writeConfig()
        let database = h.scratch.appendingPathComponent("studies.sqlite").path
        do {
            let store = try StudyStore(path: database)
            for run in 0..<2 { try Self.addRun(store, patient: "MANY", run: run, lesions: 1300) }
            try Self.addRun(store, patient: "FEW", run: 0, lesions: 3)
        }
        try h.start()
        let spec = try OpenAPICheck()
        func conform(_ path: String, _ r: ServiceHarness.HTTPResult, line: UInt = #line) {
            XCTAssertEqual(spec.problems(method: "GET", path: "/lesions", status: r.status, contentType: r.contentType, body: r.body), [], path, line: line)
        }

        // Pages: the default page, then the Link header's pages; together the CLI's answer, in its order.
        var path: String? = "/lesions?patient=MANY"
        var pages: [HTTPLesionsTests.Page] = []
        while let next = path, pages.count < 10 {
            let r = try h.get(next)
            XCTAssertEqual(r.status, 200, next)
            conform(next, r)
            let page = try Page(r)
            pages.append(page)
            path = page.next
        }
        XCTAssertEqual(pages.map(\.rows.count), [Paging.defaultLimit, Paging.defaultLimit, 600])
        XCTAssertEqual(pages.map(\.total), [2600, 2600, 2600])
        XCTAssertEqual(pages.first?.next, "/lesions?patient=MANY&limit=\(Paging.defaultLimit)&offset=\(Paging.defaultLimit)")
        let cli = try h.run(["lesions", "--patient", "MANY", "--json", "--db", database])
        XCTAssertEqual(cli.status, 0, cli.err)
        let cliRows = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(cli.out.utf8)) as? [NSDictionary])
        XCTAssertEqual(cliRows.count, 2600)
        XCTAssertEqual(pages.flatMap(\.rows), cliRows, "the pages are the CLI's rows with the same keys and values, in order")
        // Compact: the body is one line; only whitespace differs from the CLI's pretty-printed --json.
        let few = try h.get("/lesions?patient=FEW")
        let body = String(decoding: few.body, as: UTF8.self)
        XCTAssertFalse(body.dropLast().contains("\n"), body)
        let fewCLI = try h.run(["lesions", "--patient", "FEW", "--json", "--db", database])
        XCTAssertEqual(Self.withoutWhitespace(body), Self.withoutWhitespace(fewCLI.out))
        XCTAssertEqual(try JSONSerialization.jsonObject(with: few.body) as? [NSDictionary],
                       try JSONSerialization.jsonObject(with: Data(fewCLI.out.utf8)) as? [NSDictionary])
        let big = try h.get("/lesions?patient=MANY&limit=\(Paging.maximumLimit)")
        XCTAssertEqual((try JSONSerialization.jsonObject(with: big.body) as? [Any])?.count, 2600)
        let past = try h.get("/lesions?patient=MANY&offset=5000")
        XCTAssertEqual(past.status, 200)
        XCTAssertEqual(String(decoding: past.body, as: UTF8.self), "[]\n")
        for bad in ["limit=0", "limit=\(Paging.maximumLimit + 1)", "limit=ten", "offset=-1"] {
            let r = try h.get("/lesions?\(bad)")
            XCTAssertEqual(r.status, 400, bad)
            conform(bad, r)
        }
        h.stop()

        // Reads that wait (held at a FIFO inside the /lesions handler, as a slow query would) hold
        // pool threads, not the cooperative threads that run every connection: /health and another
        // database read still answer. More reads are held than the machine has cores (the cooperative
        // pool's width), fewer than the blocking pool's threads.
        let fifo = h.scratch.appendingPathComponent("hold")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        try h.start(environment: ["SEGSTATION_FAULT": "http-lesions-read:wait=\(fifo.path)"])
        let pid = try XCTUnwrap(h.process?.processIdentifier)
        let held = max(2, min(ProcessInfo.processInfo.activeProcessorCount + 1, BlockingWork.threads - 1))
        let finished = Finished()
        for i in 0..<held {
            // Distinct queries (limits), each its own read: identical ones would share one (`ReadFlights`).
            var request = URLRequest(url: URL(string: "/lesions?patient=FEW&limit=\(i + 1)", relativeTo: h.base)!.absoluteURL)
            request.setValue("Bearer \(h.token)", forHTTPHeaderField: "Authorization")
            request.timeoutInterval = 120
            URLSession.shared.dataTask(with: request) { _, response, _ in finished.add((response as? HTTPURLResponse)?.statusCode ?? -1) }.resume()
        }
        let deadline = Date().addingTimeInterval(20)
        while try Self.threadsWaitingOnFIFO(pid) < held, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        XCTAssertEqual(try Self.threadsWaitingOnFIFO(pid), held, "the held /lesions reads all reached the database step")
        for probe in ["/health", "/runs", "/studies"] {
            let started = Date()
            let r = try h.request(URL(string: probe, relativeTo: h.base)!.absoluteURL, timeout: 15)
            XCTAssertEqual(r.status, 200, "\(probe) answered while \(held) reads were held")
            XCTAssertLessThan(Date().timeIntervalSince(started), 15, probe)
        }
        XCTAssertEqual(finished.statuses, [], "the held reads were still held during the probes")
        let released = Date().addingTimeInterval(30)
        while finished.statuses.count < held, Date() < released {
            let fd = open(fifo.path, O_WRONLY | O_NONBLOCK)   // opening and closing the FIFO releases its waiting readers
            if fd >= 0 { close(fd) }
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTAssertEqual(finished.statuses, Array(repeating: 200, count: held))
    }

    /// One page of GET /lesions: its rows, X-Total-Count and the Link header's next path.
    struct Page {
        var rows: [NSDictionary]
        var total: Int?
        var next: String?
        init(_ r: ServiceHarness.HTTPResult) throws {
            rows = try XCTUnwrap(try JSONSerialization.jsonObject(with: r.body) as? [NSDictionary])
            total = r.header("X-Total-Count").flatMap { Int($0) }
            next = r.header("Link").flatMap { link in
                guard link.hasPrefix("<"), let end = link.firstIndex(of: ">"), link.hasSuffix("rel=\"next\"") else { return nil }
                return String(link[link.index(after: link.startIndex)..<end])
            }
        }
    }

    /// A completed run of `lesions` lesions (label 1 "tumour", label 2 "cyst"), through the store's public API.
    static func addRun(_ store: StudyStore, patient: String, run: Int, lesions: Int) throws {
        let study = "2.25.\(patient.utf8.count).\(run)"
        let runID = try store.beginRun(RunStart(
            patient: PatientInfo(patientID: patient), study: StudyInfo(studyInstanceUID: study, studyDate: "2025-0\(run + 1)-15"),
            series: SeriesInfo(seriesInstanceUID: study + ".1", modality: "MR", frameOfReferenceUID: study + ".0"),
            model: ModelInfo(name: "test-model", version: "1", sha256: String(repeating: "0", count: 64)),
            inputFingerprint: "test \(patient) \(run)", segstationVersion: "test"))
        let found = (1...lesions).map { (i: Int) -> LesionInfo in
            let x = Double(i)
            let centroid: [Double] = [x, -x, 0.5]
            return LesionInfo(labelValue: 1 + i % 2, index: i, voxelCount: i, volumeML: x / 1000, centroidLPSMM: centroid,
                       meshVolumeML: x / 1100, surfaceAreaMM2: 10, sphericity: 0.75, maxDiameter3DMM: 5, recistLongMM: 4,
                       recistShortMM: 3, bboxIJK: [0, 0, 0, 1, 2, 3], meanIntensity: 50, stdIntensity: 5, minIntensity: 30,
                       maxIntensity: 80, medianIntensity: 50)
        }
        try store.completeRun(runID, RunResult(labels: [LabelInfo(value: 1, name: "tumour"), LabelInfo(value: 2, name: "cyst")],
                                               lesions: found, artefacts: []))
    }

    /// Threads of process `pid` blocked opening a FIFO that has no writer yet (kernel wait channel).
    static func threadsWaitingOnFIFO(_ pid: Int32) throws -> Int {
        let tasks = "/proc/\(pid)/task"
        guard FileManager.default.fileExists(atPath: tasks) else { throw XCTSkip("needs /proc (Linux) to see the held reads") }
        return try FileManager.default.contentsOfDirectory(atPath: tasks).filter {
            (try? String(contentsOfFile: "\(tasks)/\($0)/wchan", encoding: .utf8)) == "wait_for_partner"
        }.count
    }

    /// JSON text without whitespace outside strings.
    static func withoutWhitespace(_ text: String) -> String {
        var out = "", inString = false, escaped = false
        for c in text {
            if inString {
                out.append(c)
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
            } else if c == "\"" {
                inString = true
                out.append(c)
            } else if !c.isWhitespace {
                out.append(c)
            }
        }
        return out
    }
}

/// Statuses of finished requests (URLSession calls back on its own queue).
private final class Finished: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Int] = []
    func add(_ status: Int) { lock.lock(); values.append(status); lock.unlock() }
    var statuses: [Int] { lock.lock(); defer { lock.unlock() }; return values }
}
