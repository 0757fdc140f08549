import Foundation
import Core
import XCTest
import NIOCore
@testable import Service
import StudyStore

/// The response cache of GET /lesions and GET /runs/{id} (issue 14): invalidated by any commit to the
/// database (the store's own writer, another connection or process), keyed by the normalised query,
/// bounded in entries and bytes, and answering byte for byte what an uncached read answers.
final class ResponseCacheTests: XCTestCase {
    static func answer(_ text: String, total: Int? = nil) -> ResponseCache.Answer {
        ResponseCache.Answer(body: ByteBuffer(string: text), total: total)
    }

    static func key(_ patient: String, limit: Int = 1000, offset: Int = 0) -> ResponseCache.Key {
        .lesions(.init(patient: patient, label: nil, latest: false, minVolumeMLBits: nil, run: nil, limit: limit, offset: offset))
    }

    /// The probe changes with every commit, whoever makes it: the store it belongs to (as the service's job
    /// worker and listener write) and a second store on the same file (as `batch` in another process
    /// does); reads change nothing.
    func testDataVersionChangesWithEveryCommitAndOnlyThen() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("studies.sqlite").path
        let store = try StudyStore(path: path)
        let probe = try XCTUnwrap(try store.dataVersionProbe())
        let v0 = try probe.current()
        _ = try store.lesions()
        _ = try store.runs()
        XCTAssertEqual(try probe.current(), v0, "reads do not change the data version")

        try HTTPLesionsTests.addRun(store, patient: "A", run: 0, lesions: 3)
        let v1 = try probe.current()
        XCTAssertNotEqual(v1, v0, "a commit through the store itself")
        XCTAssertEqual(try probe.current(), v1)

        let other = try StudyStore(path: path)   // another connection pool on the file, as another process has
        try HTTPLesionsTests.addRun(other, patient: "BB", run: 0, lesions: 2)
        let v2 = try probe.current()
        XCTAssertNotEqual(v2, v1, "a commit through another connection")
        _ = try other.enqueueJob(JobSpec(source: "api", model: "m", inputs: [JobInput(path: "/nowhere")]))
        XCTAssertNotEqual(try probe.current(), v2, "a job queued by another connection")

        XCTAssertNil(try StudyStore(inMemory: ()).dataVersionProbe(), "an in-memory store has no second connection")
    }

    /// Lookups against the probe's versions: a hit until a commit, a miss after it.
    func testCommitInvalidatesEntries() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cache-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("studies.sqlite").path
        let store = try StudyStore(path: path)
        let probe = try XCTUnwrap(try store.dataVersionProbe())
        let cache = ResponseCache()
        let v0 = try probe.current()
        XCTAssertNil(cache.lookup(Self.key("A"), version: v0))
        cache.store(Self.key("A"), Self.answer("[1]"), version: v0)
        XCTAssertEqual(cache.lookup(Self.key("A"), version: try probe.current())?.body, ByteBuffer(string: "[1]"))
        try HTTPLesionsTests.addRun(store, patient: "A", run: 0, lesions: 1)
        XCTAssertNil(cache.lookup(Self.key("A"), version: try probe.current()), "the store's own commit invalidates")
        XCTAssertEqual(cache.usage.entries, 0, "a new version drops every entry")

        let v1 = try probe.current()
        cache.store(Self.key("A"), Self.answer("[2]"), version: v1)
        try HTTPLesionsTests.addRun(try StudyStore(path: path), patient: "A", run: 1, lesions: 1)
        XCTAssertNil(cache.lookup(Self.key("A"), version: try probe.current()), "another connection's commit invalidates")
        // An answer read before the newest version was seen is not kept (it may be older than the database).
        cache.store(Self.key("A"), Self.answer("[3]"), version: v1)
        XCTAssertNil(cache.lookup(Self.key("A"), version: try probe.current()))
    }

    func testKeysAreSeparateAndBoundsEvictLeastRecentlyUsed() throws {
        let cache = ResponseCache(maxEntries: 4, maxBytes: 1 << 20)
        cache.store(Self.key("A"), Self.answer("[0]"), version: 7)
        XCTAssertEqual(cache.usage.entries, 0, "an answer is kept only for a version a lookup has seen")
        XCTAssertNil(cache.lookup(Self.key("A"), version: 7))
        for (i, key) in [Self.key("A"), Self.key("B"), Self.key("A", limit: 10), Self.key("A", limit: 10, offset: 10)].enumerated() {
            cache.store(key, Self.answer("[\(i)]"), version: 7)
        }
        XCTAssertNil(cache.lookup(.run(1), version: 7))
        cache.store(.run(1), Self.answer("{}"), version: 7)   // 5 > 4 entries: evicts the least recently used
        XCTAssertLessThanOrEqual(cache.usage.entries, 4)
        XCTAssertNil(cache.lookup(Self.key("A"), version: 7), "the oldest entry went first")
        XCTAssertEqual(cache.lookup(.run(1), version: 7)?.body, ByteBuffer(string: "{}"))
        XCTAssertEqual(cache.lookup(Self.key("A", limit: 10, offset: 10), version: 7)?.body, ByteBuffer(string: "[3]"))
        XCTAssertEqual(cache.lookup(Self.key("A", limit: 10), version: 7)?.body, ByteBuffer(string: "[2]"))

        // Bytes: 1,000-byte bodies (+ overhead) in 8,000 bytes: never more than 8,000 held, the newest kept.
        let small = ResponseCache(maxEntries: 1000, maxBytes: 8000)
        XCTAssertNil(small.lookup(Self.key("P0"), version: 1))
        for i in 0..<20 {
            small.store(Self.key("P\(i)"), Self.answer(String(repeating: "x", count: 1000)), version: 1)
            XCTAssertLessThanOrEqual(small.usage.bytes, 8000)
        }
        XCTAssertNotNil(small.lookup(Self.key("P19"), version: 1))
        XCTAssertNil(small.lookup(Self.key("P0"), version: 1))
        small.store(Self.key("huge"), Self.answer(String(repeating: "x", count: 3000)), version: 1)
        XCTAssertNil(small.lookup(Self.key("huge"), version: 1), "an answer over a quarter of the bytes is not kept")
        let off = ResponseCache(maxEntries: 10, maxBytes: 0)
        XCTAssertNil(off.lookup(Self.key("A"), version: 1))
        off.store(Self.key("A"), Self.answer("[]"), version: 1)
        XCTAssertEqual(off.usage.entries, 0)
    }

    func testEntityTagsAndIfNoneMatch() {
        let a = Self.answer("[1]", total: 5), b = Self.answer("[1]", total: 6), c = Self.answer("[1]", total: 5)
        XCTAssertEqual(a.etag, c.etag)
        XCTAssertNotEqual(a.etag, b.etag, "the same rows with another total are another representation")
        XCTAssertTrue(a.etag.hasPrefix("\"") && a.etag.hasSuffix("\""))
        // The documented tag: SHA-256 of the body, a NUL and the total; its first 32 hex digits, quoted.
        let body = String(decoding: a.body.readableBytesView, as: UTF8.self)
        XCTAssertEqual(a.etag, "\"" + Digest.sha256Hex(body + "\u{0}5").prefix(32) + "\"")
        XCTAssertEqual(Self.answer("[]", total: nil).etag, "\"" + Digest.sha256Hex("[]").prefix(32) + "\"")
        XCTAssertTrue(ConditionalGET.matches(ifNoneMatch: a.etag, etag: a.etag))
        XCTAssertTrue(ConditionalGET.matches(ifNoneMatch: "\"x\", W/\(a.etag)", etag: a.etag))
        XCTAssertTrue(ConditionalGET.matches(ifNoneMatch: "*", etag: a.etag))
        XCTAssertFalse(ConditionalGET.matches(ifNoneMatch: b.etag, etag: a.etag))
        XCTAssertFalse(ConditionalGET.matches(ifNoneMatch: nil, etag: a.etag))
    }

    /// Through a running `segstation serve`: hits answer the same bytes as the uncached read (and as a
    /// server with the cache off), queries spelled differently share an entry and different ones do not,
    /// If-None-Match gives 304, and a commit by another process shows at once.
    func testServedAnswersAreTheUncachedOnesAndFollowOtherProcessesCommits() throws {
        let h = try ServiceHarness(withPACS: false)
        try h.writeConfig()
        let database = h.scratch.appendingPathComponent("studies.sqlite").path
        do {
            let store = try StudyStore(path: database)
            try HTTPLesionsTests.addRun(store, patient: "FEW", run: 0, lesions: 3)
            try HTTPLesionsTests.addRun(store, patient: "MANY", run: 0, lesions: 40)
        }
        let queries = ["/lesions?patient=FEW", "/lesions?patient=FEW&minVolumeML=0.002", "/lesions?patient=MANY&limit=5",
                       "/lesions?patient=MANY&limit=5&offset=5", "/lesions?label=cyst&limit=7", "/runs/1", "/runs/2"]
        func hits() throws -> Int {
            let text = String(decoding: try h.get("/metrics").body, as: UTF8.self)
            let line = text.split(separator: "\n").first { $0.hasPrefix("segstation_http_cache_hits_total ") }
            return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        }

        // Cache off: the reference answers.
        try Self.setHTTP(h.configPath, "cacheMaxBytes", 0)
        try h.start()
        let uncached = try queries.map { try h.get($0) }
        XCTAssertEqual(try hits(), 0)
        h.stop()

        try Self.setHTTP(h.configPath, "cacheMaxBytes", 1 << 20)
        try h.start()
        let first = try queries.map { try h.get($0) }
        XCTAssertEqual(try hits(), 0, "first requests read the database")
        let second = try queries.map { try h.get($0) }
        XCTAssertEqual(try hits(), queries.count, "repeated requests are served from the cache")
        let spec = try OpenAPICheck()
        for (i, q) in queries.enumerated() {
            XCTAssertEqual(first[i].status, 200, q)
            let path = String(q.split(separator: "?")[0])
            XCTAssertEqual(spec.problems(method: "GET", path: path, status: second[i].status, contentType: second[i].contentType, body: second[i].body), [], q)
            XCTAssertEqual(second[i].body, first[i].body, "\(q): a hit answers the bytes of the read")
            XCTAssertEqual(second[i].body, uncached[i].body, "\(q): the same bytes as a server without the cache")
            XCTAssertEqual(second[i].header("ETag"), uncached[i].header("ETag"), q)
            XCTAssertEqual(second[i].header("X-Total-Count"), uncached[i].header("X-Total-Count"), q)
            XCTAssertEqual(second[i].header("Link"), uncached[i].header("Link"), q)
        }
        XCTAssertEqual(Set(first.map(\.body)).count, queries.count, "different queries, different answers")
        // The same query spelled otherwise (order, 0.0020 for 0.002, an unknown parameter) is a hit on its entry.
        let respelled = try h.get("/lesions?minVolumeML=0.0020&patient=FEW&unknown=1")
        XCTAssertEqual(respelled.body, first[1].body)
        XCTAssertEqual(try hits(), queries.count + 1)

        // Conditional GET.
        let tag = try XCTUnwrap(first[0].header("ETag"))
        let notModified = try h.request(URL(string: queries[0], relativeTo: h.base)!.absoluteURL, headers: ["If-None-Match": tag])
        XCTAssertEqual(notModified.status, 304)
        XCTAssertEqual(notModified.body.count, 0)
        XCTAssertEqual(try h.request(URL(string: queries[0], relativeTo: h.base)!.absoluteURL, headers: ["If-None-Match": "\"other\""]).status, 200)

        // Another process (this test, beside `serve`) commits: the next answers are read again and show it.
        let before = try hits()
        try HTTPLesionsTests.addRun(try StudyStore(path: database), patient: "FEW", run: 1, lesions: 2)
        let after = try h.get(queries[0])
        XCTAssertEqual(try hits(), before, "the commit invalidated the entry")
        XCTAssertEqual((try JSONSerialization.jsonObject(with: after.body) as? [Any])?.count, 5)
        XCTAssertNotEqual(after.header("ETag"), tag)
        XCTAssertEqual(try h.request(URL(string: queries[0], relativeTo: h.base)!.absoluteURL, headers: ["If-None-Match": tag]).status, 200,
                       "the old ETag no longer matches")
        h.stop()
    }

    /// Concurrent misses of one query share one read: with the read held inside the handler (at a FIFO,
    /// as a slow query would be), only one thread waits there, and every request gets its answer.
    func testConcurrentMissesOfOneQueryShareOneRead() throws {
        let h = try ServiceHarness(withPACS: false)
        try h.writeConfig()
        try HTTPLesionsTests.addRun(try StudyStore(path: h.scratch.appendingPathComponent("studies.sqlite").path), patient: "FEW", run: 0, lesions: 3)
        let fifo = h.scratch.appendingPathComponent("hold")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        try h.start(environment: ["SEGSTATION_FAULT": "http-lesions-read:wait=\(fifo.path)"])
        let pid = try XCTUnwrap(h.process?.processIdentifier)
        let requests = 4
        let bodies = Locked<[Data]>([])
        let group = DispatchGroup()
        for _ in 0..<requests {
            group.enter()
            DispatchQueue.global().async {
                let r = try? h.request(URL(string: "/lesions?patient=FEW", relativeTo: h.base)!.absoluteURL, timeout: 60)
                if let r, r.status == 200 { bodies.withLock { $0.append(r.body) } }
                group.leave()
            }
        }
        let deadline = Date().addingTimeInterval(20)
        while try HTTPLesionsTests.threadsWaitingOnFIFO(pid) < 1, Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        Thread.sleep(forTimeInterval: 1)   // time for the other requests to arrive (and, without sharing, to read)
        XCTAssertEqual(try HTTPLesionsTests.threadsWaitingOnFIFO(pid), 1, "one read for \(requests) identical requests")
        let released = Date().addingTimeInterval(30)
        while group.wait(timeout: .now() + 0.1) == .timedOut, Date() < released {
            let fd = open(fifo.path, O_WRONLY | O_NONBLOCK)   // releases the held read
            if fd >= 0 { close(fd) }
        }
        let answers = bodies.current
        XCTAssertEqual(answers.count, requests, "every request answered 200")
        XCTAssertEqual(Set(answers).count, 1, "with the same answer")
        XCTAssertEqual((try JSONSerialization.jsonObject(with: answers.first ?? Data()) as? [Any])?.count, 3)
        h.stop()
    }

    /// Sets `http.KEY` in the harness's configuration file.
    static func setHTTP(_ config: URL, _ key: String, _ value: Int) throws {
        var root = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any])
        var http = root["http"] as? [String: Any] ?? [:]
        http[key] = value
        root["http"] = http
        try JSONSerialization.data(withJSONObject: root).write(to: config)
    }
}
