import Hummingbird

/// `limit` and `offset` of GET /lesions (docs/SERVICE.md, docs/openapi.yaml): at most `limit` rows
/// (default `defaultLimit`, at most `maximumLimit`) from row `offset` (from 0) of the full answer, in
/// its order. The body stays the CLI's `lesions --json` array; the headers tell the rest:
/// `X-Total-Count` (rows of the full answer) and, when rows remain, `Link: <...>; rel="next"` (RFC 8288)
/// with the same query and the next offset.
struct Paging: Sendable, Equatable {
    static let defaultLimit = 1000
    static let maximumLimit = 10_000

    /// Header names (`HTTPFields.Element` is swift-http-types' `HTTPField`, which Hummingbird does not re-export).
    static let totalCount = HTTPFields.Element.Name("X-Total-Count")!
    static let link = HTTPFields.Element.Name("Link")!

    var limit = Paging.defaultLimit
    var offset = 0

    /// The paging of a request; `.failure` names the parameter and its allowed range (400).
    static func parse(limit: String?, offset: String?) -> Result<Paging, PagingError> {
        var paging = Paging()
        if let limit {
            guard let n = Int(limit), (1...maximumLimit).contains(n) else {
                return .failure(PagingError(message: "limit must be an integer from 1 to \(maximumLimit)"))
            }
            paging.limit = n
        }
        if let offset {
            guard let n = Int(offset), n >= 0 else { return .failure(PagingError(message: "offset must be an integer >= 0")) }
            paging.offset = n
        }
        return .success(paging)
    }

    /// The rows of this page.
    func page<T>(_ rows: [T]) -> ArraySlice<T> {
        let start = min(offset, rows.count)
        return rows[start..<min(rows.count, start + limit)]
    }

    /// `X-Total-Count`, and `Link` to the next page when one remains (`path` and `query`: the request's).
    func headers(total: Int, path: String, query: [(String, String)]) -> HTTPFields {
        var fields: HTTPFields = [Self.totalCount: String(total)]
        let next = offset + limit
        if next < total {
            let kept = query.filter { $0.0 != "limit" && $0.0 != "offset" }.map { "\(Self.escape($0.0))=\(Self.escape($0.1))" }
            let q = (kept + ["limit=\(limit)", "offset=\(next)"]).joined(separator: "&")
            fields[Self.link] = "<\(path)?\(q)>; rel=\"next\""
        }
        return fields
    }

    /// Percent-encodes a query component (everything but RFC 3986's unreserved characters).
    static func escape(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return out
    }
}

struct PagingError: Error, Sendable { var message: String }
