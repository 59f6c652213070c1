import AirlockTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore

/// Calls the server over HTTP/1.1, one connection per request, so that requests can run
/// concurrently (a long poll and the approval that ends it) and a refused request cannot
/// disturb the next.
struct APIClient: Sendable {
    let port: Int

    /// Sends a request. `json` is sent as `application/json` unless `headers` set a content type.
    func send(
        _ method: HTTPRequest.Method, _ path: String, key: String?, json: String? = nil, body: ByteBuffer? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> Reply {
        var headers = HTTPFields()
        if let key { headers[.authorization] = "Bearer \(key)" }
        var payload = body
        if let json {
            headers[.contentType] = "application/json"
            payload = ByteBuffer(string: json)
        }
        // A field given several times (cookies, which HTTPFields keeps one per field) is sent as given.
        for name in Set(extra.map(\.name)) { headers[name] = nil }
        for field in extra { headers.append(field) }
        let request = TestClient.Request(path, method: method, authority: "localhost", headers: headers, body: payload)
        let response = try await TestClient.withClient(
            host: "localhost", port: port, configuration: .init(timeout: .seconds(90))
        ) { client in
            try await client.execute(request)
        }
        let text = response.body.map { String(buffer: $0) } ?? ""
        return Reply(status: response.status, headers: response.headers, text: text)
    }

    func get(_ path: String, key: String?) async throws -> Reply {
        try await send(.get, path, key: key)
    }

    func post(_ path: String, key: String?, json: String, headers: HTTPFields = [:]) async throws -> Reply {
        try await send(.post, path, key: key, json: json, headers: headers)
    }

    /// Submits a mutation (`POST /v1/mutations`).
    func submit(_ mutation: String, key: String = TestServer.Key.agent, idempotencyKey: String? = nil) async throws
        -> Reply
    {
        var headers = HTTPFields()
        if let idempotencyKey { headers[HTTPField.Name("Idempotency-Key")!] = idempotencyKey }
        return try await post("/v1/mutations", key: key, json: mutation, headers: headers)
    }

    func approve(_ id: String, key: String, note: String? = nil) async throws -> Reply {
        try await post("/v1/mutations/\(id)/approve", key: key, json: note.map { #"{"note": "\#($0)"}"# } ?? "{}")
    }

    func reject(_ id: String, key: String, note: String?) async throws -> Reply {
        try await post("/v1/mutations/\(id)/reject", key: key, json: note.map { #"{"note": "\#($0)"}"# } ?? "{}")
    }
}

/// An answer of the server.
struct Reply: Sendable, CustomStringConvertible {
    var status: HTTPResponse.Status
    var headers: HTTPFields
    var text: String

    /// The body parsed as JSON (`JSON.missing` when it is not JSON).
    var json: JSON { JSON(text: text) }

    /// The media type, without parameters.
    var contentType: String {
        headers[.contentType]?.split(separator: ";").first.map(String.init) ?? ""
    }

    var description: String { "\(status.code) \(text)" }
}
