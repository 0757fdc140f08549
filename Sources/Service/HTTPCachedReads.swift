import Foundation
import Hummingbird
import StudyStore

/// The routes answered through the response cache (GET /lesions, GET /runs/{id}): a request whose answer
/// is held for the database's current data version is answered from memory, on the connection's own
/// task; any other reads the database on `blocking`, and its answer is kept when `keep` says it depends on
/// the database alone. Concurrent misses of one query at one data version share one read (`ReadFlights`).
/// Answers carry an `ETag`; a request whose `If-None-Match` names it gets 304.
/// Without a probe (PostgreSQL, an in-memory store, the cache turned off, or a failing probe) every
/// request reads the database, as before.
extension HTTPAPI {
    /// What a cached route's database read gives.
    enum CachedRead: Sendable {
        /// A 200 JSON answer; `keep` false when it depends on more than the database (a running run's
        /// status looks at its process).
        case answer(ResponseCache.Answer, keep: Bool)
        /// Any other response (an error), never kept.
        case other(Response)
    }

    /// Answers `request` from the cache or from `read` (run on `blocking`); `headers` adds the
    /// answer's per-request headers (the page's `X-Total-Count` and `Link`) from its total.
    func cached(_ key: ResponseCache.Key, _ request: Request, headers: @escaping @Sendable (Int?) -> HTTPFields = { _ in [:] },
                read: @escaping @Sendable () throws -> CachedRead) async throws -> Response {
        // The version is read before the database: an answer read afterwards is at least this new.
        let version = cache.isEnabled ? try? versions?.current() : nil
        if let version, let answer = cache.lookup(key, version: version) {
            metrics.cacheHits.increment()
            return Self.respond(answer, to: request, headers: headers(answer.total))
        }
        metrics.cacheMisses.increment()
        func reply(_ result: CachedRead) -> Response {
            switch result {
            case .other(let response): return response
            case .answer(let answer, _): return Self.respond(answer, to: request, headers: headers(answer.total))
            }
        }
        guard let version else { return reply(try await readAndKeep(key, version: nil, read)) }
        switch await flights.join(key, version: version) {
        case .joined(let shared?):
            return reply(shared)
        case .joined(nil):
            return reply(try await readAndKeep(key, version: version, read))
        case .lead:
            let result: CachedRead
            do { result = try await readAndKeep(key, version: version, read) } catch {
                flights.land(key, version: version, nil)
                throw error
            }
            flights.land(key, version: version, result)
            return reply(result)
        }
    }

    /// Runs `read` on `blocking` and keeps its answer when it may be kept (before the waiters of its
    /// flight are woken, so that later requests find it in the cache).
    private func readAndKeep(_ key: ResponseCache.Key, version: Int64?, _ read: @escaping @Sendable () throws -> CachedRead) async throws -> CachedRead {
        let result = try await blocking.run(read)
        if case .answer(let answer, keep: true) = result, let version { cache.store(key, answer, version: version) }
        return result
    }

    /// 200 with the answer, or 304 (no body) when the request's `If-None-Match` names its ETag.
    /// `Cache-Control: private, no-cache`: a client may keep it but must revalidate (the data can change at
    /// any commit), and shared caches must not keep patient data.
    static func respond(_ answer: ResponseCache.Answer, to request: Request, headers extra: HTTPFields) -> Response {
        var headers: HTTPFields = [.eTag: answer.etag, .cacheControl: "private, no-cache"]
        if ConditionalGET.matches(ifNoneMatch: request.headers[.ifNoneMatch], etag: answer.etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers.append(contentsOf: extra)
        return APIResponse.response(answer.body, headers: headers)
    }

    /// GET /lesions: the filter, page and cache key of the query whose parameter values `q` gives, or a 400
    /// naming the parameter.
    static func lesionsQuery(_ q: (String) -> String?) -> Result<(LesionFilter, Paging, ResponseCache.Key), LesionsQueryError> {
        var filter = LesionFilter(patientID: q("patient"), label: q("label"), latestRunsOnly: q("latest") == "true")
        if let v = q("minVolumeML") {
            guard let d = Double(v), d.isFinite, d >= 0 else { return .failure(LesionsQueryError(message: "minVolumeML must be a number >= 0")) }
            filter.minVolumeML = d
        }
        if let v = q("run") {
            guard let id = Int64(v) else { return .failure(LesionsQueryError(message: "run must be an integer")) }
            filter.runID = id
        }
        let paging: Paging
        switch Paging.parse(limit: q("limit"), offset: q("offset")) {
        case .success(let p): paging = p
        case .failure(let e): return .failure(LesionsQueryError(message: e.message))
        }
        // -0.0 and 0.0 select the same rows: one key.
        let key = ResponseCache.Key.lesions(.init(
            patient: filter.patientID, label: filter.label, latest: filter.latestRunsOnly,
            minVolumeMLBits: filter.minVolumeML.map { ($0 == 0 ? 0 : $0).bitPattern }, run: filter.runID,
            limit: paging.limit, offset: paging.offset))
        return .success((filter, paging, key))
    }

    struct LesionsQueryError: Error, Sendable { var message: String }
}
