import AirlockEngine
import CEL
import HTTPTypes
import Hummingbird
import NIOCore

/// An error answered as `application/problem+json` (RFC 9457): `type`, `title`, `status`,
/// `detail`, and `errors` when there are several problems. Every refusal of the API goes
/// through here, so clients see one shape.
struct Problem: Error, Sendable {
    var status: HTTPResponse.Status
    var type: String
    var title: String
    var detail: String
    var errors: [(path: String, message: String)] = []
    /// Extra members (the recorded mutation's id and view for an invalid mutation).
    var extra: [(String, Value)] = []
    /// Seconds after which the request may be tried again, sent as `Retry-After`.
    var retryAfter: Int?

    init(
        _ status: HTTPResponse.Status, type: String, title: String, detail: String,
        errors: [(path: String, message: String)] = [], extra: [(String, Value)] = []
    ) {
        self.status = status
        self.type = type
        self.title = title
        self.detail = detail
        self.errors = errors
        self.extra = extra
    }

    /// The problem for a gateway refusal.
    init(_ error: GatewayError) {
        let status: HTTPResponse.Status =
            switch error.kind {
            case .badRequest: .badRequest
            case .unauthenticated: .unauthorized
            case .forbidden: .forbidden
            case .notFound: .notFound
            case .conflict: .conflict
            case .invalidMutation, .invalidPolicy: .unprocessableContent
            case .tooManyRequests: .tooManyRequests
            default: .serviceUnavailable
            }
        var extra: [(String, Value)] = []
        if let view = error.mutation {
            extra.append(("id", .string(view.id)))
            extra.append(("mutation", view.jsonValue))
        }
        self.init(
            status, type: Self.typeURI(for: error.kind), title: error.title, detail: error.detail, errors: error.errors,
            extra: extra)
        retryAfter = error.retryAfter
    }

    static func typeURI(for kind: GatewayError.Kind) -> String {
        switch kind {
        case .badRequest: "urn:airlock:problem:bad-request"
        case .unauthenticated: "urn:airlock:problem:unauthenticated"
        case .forbidden: "urn:airlock:problem:forbidden"
        case .notFound: "urn:airlock:problem:not-found"
        case .conflict: "urn:airlock:problem:conflict"
        case .invalidMutation: "urn:airlock:problem:invalid-mutation"
        case .invalidPolicy: "urn:airlock:problem:invalid-policy"
        case .tooManyRequests: "urn:airlock:problem:too-many-requests"
        default: "urn:airlock:problem:unavailable"
        }
    }

    static func badRequest(_ detail: String, errors: [(path: String, message: String)] = []) -> Problem {
        Problem(.badRequest, type: "urn:airlock:problem:bad-request", title: "Bad request", detail: detail, errors: errors)
    }

    static func unauthenticated(_ detail: String) -> Problem {
        Problem(.unauthorized, type: "urn:airlock:problem:unauthenticated", title: "Unauthenticated", detail: detail)
    }

    static func notFound(_ detail: String) -> Problem {
        Problem(.notFound, type: "urn:airlock:problem:not-found", title: "Not found", detail: detail)
    }

    /// The problem's JSON body.
    var jsonValue: Value {
        var map = CELMap()
        map["type"] = .string(type)
        map["title"] = .string(title)
        map["status"] = .int(Int64(status.code))
        map["detail"] = .string(detail)
        if !errors.isEmpty {
            map["errors"] = .list(
                errors.map { .map(CELMap([(.string("path"), .string($0.path)), (.string("message"), .string($0.message))])) })
        }
        for (key, value) in extra { map[key] = value }
        return .map(map)
    }

    /// The response.
    var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"airlock\"" }
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(
            status: status, headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(string: jsonValue.jsonString() + "\n")))
    }
}

/// Answers JSON.
func jsonResponse(_ value: Value, status: HTTPResponse.Status = .ok) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: value.jsonString() + "\n")))
}
