import Core
import Foundation
import Hummingbird
import Pipeline
import StudyStore

/// The HTTP API for viewers (docs/openapi.yaml): studies, runs, lesions, history, run artefacts,
/// jobs (with server-sent progress events), health and Prometheus metrics. JSON bodies have the same
/// schemas as the CLI's `--json` (compact: without the CLI's line breaks and indentation).
///
/// Database reads, their JSON encoding, artefact files and uploads run on `blocking` (a dedicated
/// thread pool), never on the cooperative pool that runs the connections (see `BlockingWork`); only the
/// response cache's data-version probe (one `PRAGMA`, microseconds) and its hits run on the connection's task
/// (`HTTPCachedReads`).
struct HTTPAPI: Sendable {
    let config: ServiceConfig
    let store: StudyStore
    let metrics: ServiceMetrics
    let events: ProgressHub
    let uploads: UploadIntake
    let blocking: BlockingWork
    /// Answers of GET /lesions and GET /runs/{id} (`HTTPCachedReads`), valid while `versions` reads the same.
    let cache: ResponseCache
    /// The database's change state; nil: every request reads the database (PostgreSQL, cache off).
    let versions: DataVersionProbe?
    /// Cache misses of one query in progress, shared by the requests that wait for them.
    let flights = ReadFlights()
    let health: @Sendable () -> HealthBody

    struct HealthBody: Codable, Sendable {
        var status: String
        var version: String
        var activeAssociations: Int
        var busyWorkers: Int
    }

    /// A study: what the database recorded (runs) and what the listener received.
    struct StudyBody: Codable, Sendable {
        var study: StudySummary?
        var runs: [RunSummary]
        var receivedSeries: [ReceivedSeriesRow]
    }

    /// Files of a run that can be downloaded, by URL name.
    static let artefactNames: [String: (ArtefactKind, String)] = [
        "mask.nii.gz": (.mask, "application/gzip"), "seg.dcm": (.seg, "application/dicom"), "sr.dcm": (.sr, "application/dicom"),
        "rt.dcm": (.rtstruct, "application/dicom"),
        "report.html": (.reportHTML, "text/html; charset=utf-8"), "report.pdf": (.reportPDF, "application/pdf"),
    ]

    func router() throws -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: LatencyMiddleware(metrics: metrics))
        router.add(middleware: BearerAuthMiddleware(tokens: try TokenFile(path: config.tokensFile)))
        router.get("/health") { _, _ in APIResponse.json(health()) }
        router.get("/metrics") { _, _ in
            let text = try await blocking.run { [metrics, store] in metrics.render(store: store) }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/studies") { request, _ in
            let q = request.uri.queryParameters
            var filter = StudyFilter(patientID: q["patient"].map(String.init), modality: q["modality"].map(String.init))
            if let since = q["since"] {
                guard let date = ISODate(dicomOrISO: String(since)) else { return APIResponse.error(.badRequest, "since must be YYYY-MM-DD or YYYYMMDD") }
                filter.since = date
            }
            return try await result { [filter] in try store.studies(filter) }
        }
        router.get("/studies/:uid") { _, context in
            let uid = try context.parameters.require("uid")
            guard Validate.isUID(uid) else { return APIResponse.error(.badRequest, "'uid' must be a DICOM UID (digits and dots, at most 64)") }
            return try await blocking.run {
                let study = try store.studies().first { $0.studyInstanceUID == uid }
                let runs = try store.runs(RunFilter(studyInstanceUID: uid))
                let received = try store.receivedSeries(studyInstanceUID: uid)
                guard study != nil || !received.isEmpty else { return APIResponse.error(.notFound, "no study with this UID") }
                return APIResponse.json(StudyBody(study: study, runs: runs, receivedSeries: received))
            }
        }
        router.get("/series") { _, _ in try await result { try store.receivedSeries() } }
        router.get("/runs") { request, _ in
            let q = request.uri.queryParameters
            var filter = RunFilter(patientID: q["patient"].map(String.init), studyInstanceUID: q["study"].map(String.init))
            if let s = q["status"] {
                guard let status = RunStatus(rawValue: String(s)) else { return APIResponse.error(.badRequest, "unknown run status '\(s)'") }
                filter.status = status
            }
            return try await result { [filter] in try store.runs(filter) }
        }
        router.get("/runs/:id") { request, context in
            guard let id = context.parameters.get("id", as: Int64.self) else { return APIResponse.error(.badRequest, "'id' must be an integer") }
            return try await cached(.run(id), request) {
                try Self.storeErrors {
                    let detail = try store.show(id)
                    // A running run's status looks at its process (it reads `incomplete` once that is gone):
                    // not the database's alone, so not kept.
                    let settled = detail.run.status != .running && detail.run.status != .incomplete
                    return .answer(ResponseCache.Answer(body: APIResponse.jsonBody(detail), total: nil), keep: settled)
                }
            }
        }
        router.get("/runs/:id/:file") { _, context in try await artefact(context) }
        router.get("/lesions") { request, _ in
            let q = request.uri.queryParameters
            let (filter, paging, key): (LesionFilter, Paging, ResponseCache.Key)
            switch Self.lesionsQuery({ q[Substring($0)].map(String.init) }) {
            case .success(let parsed): (filter, paging, key) = parsed
            case .failure(let e): return APIResponse.error(.badRequest, e.message)
            }
            let path = request.uri.path, query = q.map { (String($0.key), String($0.value)) }
            return try await cached(key, request, headers: { total in paging.headers(total: total ?? 0, path: path, query: query) }) { [filter] in
                FaultInjection.reach("http-lesions-read")
                return try Self.storeErrors {
                    let rows = try store.lesions(filter)
                    return .answer(ResponseCache.Answer(body: APIResponse.rowsBody(paging.page(rows)), total: rows.count), keep: true)
                }
            }
        }
        router.get("/patients/:id/history") { _, context in
            let id = try context.parameters.require("id")
            guard Validate.isPatientID(id) else { return APIResponse.error(.badRequest, "'id' must be 1-64 printable characters without '/' or '\\'") }
            return try await result { try store.history(patientID: id) }
        }
        router.get("/jobs") { request, _ in
            var state: JobState?
            if let s = request.uri.queryParameters["state"] {
                guard let parsed = JobState(rawValue: String(s)) else { return APIResponse.error(.badRequest, "unknown job state '\(s)'") }
                state = parsed
            }
            return try await result { [state] in try store.jobs(state: state) }
        }
        router.get("/jobs/:id") { _, context in
            guard let id = context.parameters.get("id", as: Int64.self) else { return APIResponse.error(.badRequest, "'id' must be an integer") }
            return try await blocking.run {
                guard let job = try store.job(id) else { return APIResponse.error(.notFound, "no job \(id)") }
                return APIResponse.json(job)
            }
        }
        router.get("/jobs/:id/events") { _, context in try await progressStream(context) }
        router.post("/jobs") { request, _ in try await uploads.accept(request, blocking: blocking) }
        return router
    }

    /// Runs a store query and encodes its answer on `blocking`; store errors become 404/400/500 JSON errors.
    func result<T: Encodable>(_ body: @escaping @Sendable () throws -> T) async throws -> Response {
        try await blocking.run { try Self.storeErrors { APIResponse.json(try body()) } }
    }

    /// `body`'s response, or a JSON error for a store error (404 not found, 400 invalid argument, else 500).
    static func storeErrors(_ body: () throws -> Response) throws -> Response {
        do { return try body() } catch let error as StoreError { return storeError(error) }
    }

    /// `body`'s answer, or a JSON error for a store error (as `storeErrors(_:)`).
    static func storeErrors(_ body: () throws -> CachedRead) throws -> CachedRead {
        do { return try body() } catch let error as StoreError { return .other(storeError(error)) }
    }

    /// The JSON error of a store error: 404 not found, 400 invalid argument, else 500.
    static func storeError(_ error: StoreError) -> Response {
        switch error.category {
        case .notFound: return APIResponse.error(.notFound, error.description)
        case .invalidArgument: return APIResponse.error(.badRequest, error.description)
        default: return APIResponse.error(.internalServerError, error.description)
        }
    }

    /// GET /runs/{id}/{file}: only the fixed artefact names; the path comes from the database, never from the URL.
    func artefact(_ context: BasicRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: Int64.self) else { return APIResponse.error(.badRequest, "'id' must be an integer") }
        let name = try context.parameters.require("file")
        guard let (kind, type) = Self.artefactNames[name] else {
            return APIResponse.error(.notFound, "no artefact '\(name)'; one of \(Self.artefactNames.keys.sorted().joined(separator: ", "))")
        }
        return try await blocking.run { [store] in
            let detail: RunDetail
            do { detail = try store.show(id) } catch let error as StoreError where error.category == .notFound {
                return APIResponse.error(.notFound, error.description)
            }
            guard let file = detail.artefacts.first(where: { $0.kind == kind }),
                  let data = FileManager.default.contents(atPath: file.path) else {
                return APIResponse.error(.notFound, "run \(id) has no \(name)")
            }
            return Response(status: .ok, headers: [.contentType: type, .contentDisposition: "attachment; filename=\"run-\(id)-\(name)\""],
                            body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    /// GET /jobs/{id}/events: the job's state now, then each progress event, until it ends.
    func progressStream(_ context: BasicRequestContext) async throws -> Response {
        guard let id = context.parameters.get("id", as: Int64.self) else { return APIResponse.error(.badRequest, "'id' must be an integer") }
        guard let job = try await blocking.run({ [store] in try store.job(id) }) else { return APIResponse.error(.notFound, "no job \(id)") }
        let stream = events.subscribe()
        let first = JobProgress(jobID: id, state: job.state.rawValue, phase: job.phase ?? job.state.rawValue, progress: job.progress)
        let body = ResponseBody { writer in
            func send(_ event: JobProgress) async throws {
                let json = String(decoding: try JSONEncoder().encode(event), as: UTF8.self)
                try await writer.write(ByteBuffer(string: "event: progress\ndata: \(json)\n\n"))
            }
            try await send(first)
            if !Self.isFinal(first.state) {
                for await event in stream where event.jobID == id {
                    try await send(event)
                    if Self.isFinal(event.state) { break }
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    static func isFinal(_ state: String) -> Bool { ["done", "failed", "cancelled"].contains(state) }
}

/// Path parameter rules (no traversal: identifiers never become paths).
enum Validate {
    static func isUID(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E } && !s.contains("..")
    }
    static func isPatientID(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && s.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != 0x2F && $0 != 0x5C } && s != "." && s != ".."
    }
}
