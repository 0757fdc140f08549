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

/// JSON bodies and errors, encoded as the CLI's `--json` encodes them (`JSONFormat`: the same keys, sorted,
/// and values) but compact: no line breaks or indentation, which a viewer does not read and which made
/// large answers a third bigger and slower to encode.
enum APIResponse {
    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        response(jsonBody(value), status: status, headers: extra)
    }

    /// The body `json(_:)` sends for `value`.
    static func jsonBody<T: Encodable>(_ value: T) -> ByteBuffer {
        body((try? JSONFormat.encoder(pretty: false).encode(value)) ?? Data("{}".utf8))
    }

    /// The body of an array of rows that write themselves (`CompactJSONWritable`): the same bytes as
    /// `jsonBody(_:)`, faster.
    static func rowsBody<T: CompactJSONWritable>(_ rows: some Collection<T>) -> ByteBuffer {
        var writer = JSONFormat.CompactWriter(capacity: 1024 * (rows.count + 1))
        writer.beginArray()
        for row in rows { row.writeJSON(to: &writer) }
        writer.endArray()
        return body(writer.bytes)
    }

    /// `json` and a final line break.
    private static func body(_ json: some Collection<UInt8>) -> ByteBuffer {
        var bytes = ByteBuffer()
        bytes.reserveCapacity(json.count + 1)
        bytes.writeBytes(json)
        bytes.writeInteger(UInt8(ascii: "\n"))
        return bytes
    }

    /// A JSON response with `body`.
    static func response(_ body: ByteBuffer, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers.append(contentsOf: extra)
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }

    struct ErrorBody: Encodable { var error: String; var status: Int }

    static func error(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        json(ErrorBody(error: message, status: Int(status.code)), status: status, headers: headers)
    }
}
