import AirlockEngine
import CEL
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// How requests are read: the caller's identity, and bodies with their limits.
enum RequestReading {
    /// The principal named by the `Authorization: Bearer KEY` header, counted against its rate
    /// limit (429 with `Retry-After` past it).
    static func principal(_ request: Request, of gateway: Gateway) throws(Problem) -> Principal {
        let principal = try principal(request, in: gateway.principals)
        do {
            try gateway.admission.admit(principal)
        } catch {
            throw Problem(error)
        }
        return principal
    }

    /// The principal named by the `Authorization: Bearer KEY` header.
    static func principal(_ request: Request, in directory: PrincipalDirectory) throws(Problem) -> Principal {
        guard let header = request.headers[.authorization] else {
            throw .unauthenticated("this call needs an Authorization: Bearer KEY header")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw .unauthenticated("the Authorization header must be 'Bearer KEY'")
        }
        guard let principal = directory.authenticate(key: String(trimmingSpaces(parts[1]))) else {
            throw .unauthenticated("the bearer key is not known")
        }
        return principal
    }

    /// `text` without leading and trailing spaces and tabs (what HTTP calls optional whitespace).
    static func trimmingSpaces(_ text: Substring) -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return text[first...last]
    }

    /// The body's bytes, at most `limits.body_bytes` (413 past them).
    static func body(_ request: inout Request, limits: RequestLimits) async throws(Problem) -> ByteBuffer {
        do {
            return try await request.collectBody(upTo: limits.bodyBytes)
        } catch {
            throw Problem(
                .contentTooLarge, type: "urn:airlock:problem:too-large", title: "Body too large",
                detail: "request bodies are limited to \(sizeText(limits.bodyBytes)) (limits.body_bytes)")
        }
    }

    /// `1 MiB`, `64 KiB`, or `2048 bytes`.
    static func sizeText(_ bytes: Int) -> String {
        if bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }

    /// The body as text, at most `limits.body_bytes`.
    static func text(_ request: inout Request, limits: RequestLimits) async throws(Problem) -> String {
        let buffer = try await body(&request, limits: limits)
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw .badRequest("the body is not valid UTF-8")
        }
        return text
    }

    /// The body as a JSON object; the content type must be JSON.
    static func jsonObject(_ request: inout Request, limits: RequestLimits) async throws(Problem) -> Value {
        try requireJSONContentType(request)
        return try parseObject(try await text(&request, limits: limits), limits: limits)
    }

    /// The body as a JSON object, or nil when there is none (an empty body, whatever its
    /// content type: many clients send `Content-Type: application/json` on every request).
    static func optionalJSONObject(_ request: inout Request, limits: RequestLimits) async throws(Problem) -> Value? {
        let text = try await text(&request, limits: limits)
        guard !text.allSatisfy(\.isWhitespace) else { return nil }
        try requireJSONContentType(request)
        return try parseObject(text, limits: limits)
    }

    private static func requireJSONContentType(_ request: Request) throws(Problem) {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        let mediaType = type.split(separator: ";").first.map(trimmingSpaces) ?? ""
        guard mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json")) else {
            throw Problem(
                .unsupportedMediaType, type: "urn:airlock:problem:unsupported-media-type", title: "Unsupported media type",
                detail: "send the body as application/json (got '\(type.isEmpty ? "no Content-Type" : type)')")
        }
    }

    private static func parseObject(_ text: String, limits: RequestLimits) throws(Problem) -> Value {
        let value: Value
        do {
            value = try Value(json: text, limits: limits.json)
        } catch {
            // A bound of `limits:` names its setting, as the body size and the wait do.
            let setting: String? =
                switch error.limit {
                case .depth: "limits.json_depth"
                case .stringBytes: "limits.string_bytes"
                case .items: "limits.array_items"
                case nil: nil
                }
            if let setting {
                throw .badRequest("the body is past \(setting): \(error)", errors: [("body", "\(error) (\(setting))")])
            }
            throw .badRequest("the body is not valid JSON: \(error)", errors: [("body", error.description)])
        }
        guard case .map = value else { throw .badRequest("the body must be a JSON object") }
        return value
    }
}
