import AirlockTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore

/// Calls a spawned `airlock serve` over HTTP/1.1, one connection per request, so that a request
/// cut short by a kill cannot disturb the next.
struct APIClient: Sendable {
    let port: Int

    /// Sends a request with an optional bearer key and JSON body.
    func send(_ method: HTTPRequest.Method, _ path: String, key: String?, json: String? = nil) async throws -> Reply {
        var headers = HTTPFields()
        if let key { headers[.authorization] = "Bearer \(key)" }
        if json != nil { headers[.contentType] = "application/json" }
        let request = TestClient.Request(
            path, method: method, authority: "localhost", headers: headers, body: json.map { ByteBuffer(string: $0) })
        let response = try await TestClient.withClient(
            host: "localhost", port: port, configuration: .init(timeout: .seconds(90))
        ) { client in
            try await client.execute(request)
        }
        return Reply(status: response.status, text: response.body.map { String(buffer: $0) } ?? "")
    }

    func get(_ path: String, key: String?) async throws -> Reply {
        try await send(.get, path, key: key)
    }

    /// Submits a mutation (`POST /v1/mutations`).
    func submit(_ mutation: String, key: String) async throws -> Reply {
        try await send(.post, "/v1/mutations", key: key, json: mutation)
    }
}

/// An answer of the server.
struct Reply: Sendable, CustomStringConvertible {
    var status: HTTPResponse.Status
    var text: String

    /// The body parsed as JSON (`JSON.missing` when it is not JSON).
    var json: JSON { JSON(text: text) }

    var description: String { "\(status.code) \(text)" }
}
