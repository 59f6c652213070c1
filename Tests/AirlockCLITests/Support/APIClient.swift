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

    /// The ids of every mutation in `status`, following the list's cursor to its end.
    func mutationIDs(status: String, key: String) async throws -> Set<String> {
        var ids: Set<String> = []
        var cursor: String?
        repeat {
            let page = try await get("/v1/mutations?status=\(status)&limit=500" + (cursor.map { "&cursor=\($0)" } ?? ""), key: key)
            for item in page.json["items"].array { if let id = item["id"].string { ids.insert(id) } }
            cursor = page.json["next_cursor"].string
        } while cursor != nil
        return ids
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
