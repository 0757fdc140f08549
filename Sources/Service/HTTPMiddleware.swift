import Core
import Foundation
import Hummingbird
import StudyStore

/// Requires `Authorization: Bearer TOKEN` (its SHA-256 in the tokens file) on every route but /health.
struct BearerAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let tokens: TokenFile

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/health" { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
              tokens.accepts(String(header.dropFirst("Bearer ".count)).trimmingCharacters(in: .whitespaces)) else {
            return APIResponse.error(.unauthorized, "missing or unknown bearer token", headers: [.wwwAuthenticate: "Bearer"])
        }
        return try await next(request, context)
    }
}

/// Records the latency of every request in /metrics, labelled by the route's first path segment
/// (bounded label set: identifiers never become labels).
struct LatencyMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics
    static var known: Set<String> { ["health", "studies", "series", "runs", "lesions", "patients", "jobs", "metrics"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let first = request.uri.path.split(separator: "/").first.map(String.init) ?? ""
        let label = Self.known.contains(first) ? "/" + first : "other"
        do {
            let response = try await next(request, context)
            metrics.httpLatency(route: label, status: Int(response.status.code)).record(ContinuousClock.now - start)
            return response
        } catch let error as HTTPError {
            metrics.httpLatency(route: label, status: Int(error.status.code)).record(ContinuousClock.now - start)
            throw error
        }
    }
}

/// JSON bodies and errors, encoded as the CLI's `--json` encodes them.
enum APIResponse {
    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let text = (try? JSONFormat.encoder().encode(value)).map { String(decoding: $0, as: UTF8.self) + "\n" } ?? "{}"
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    struct ErrorBody: Encodable { var error: String; var status: Int }

    static func error(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        var response = json(ErrorBody(error: message, status: Int(status.code)), status: status)
        for field in headers { response.headers.append(field) }
        return response
    }
}
