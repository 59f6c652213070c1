import AirlockMCP
import CEL
import Foundation

/// The MCP tools' gateway over the HTTP API, as the principal of the client's key
/// (`AIRLOCK_KEY`): what `airlock mcp serve` on stdio and `airlock mcp proxy` use.
struct HTTPBackend: MCPBackend {
    let client: APIClient

    func propose(_ mutation: Value, idempotencyKey: String?) async throws -> MCPAnswer {
        try await answer { try await client.post("/v1/mutations", json: mutation, headers: idempotencyKey.map { ["Idempotency-Key": $0] } ?? [:]) }
    }

    func mutation(_ id: String, waitSeconds: Double?, from status: String?) async throws -> MCPAnswer {
        var query: [(String, String)] = []
        if let waitSeconds { query.append(("wait", String(format: "%.3f", waitSeconds))) }
        if let status { query.append(("status", status)) }
        let timeout = (waitSeconds ?? 0) + 30
        return try await answer { try await client.get("/v1/mutations/\(APIClient.pathSegment(id))", query: query, timeout: timeout) }
    }

    func resources() async throws -> MCPAnswer {
        try await answer { try await client.get("/v1/resources") }
    }

    func reportOutcome(_ id: String, executed: Bool, detail: String?) async throws -> MCPAnswer {
        var body = CELMap()
        body["status"] = .string(executed ? "executed" : "failed")
        if let detail { body["detail"] = .string(detail) }
        return try await answer { try await client.post("/v1/mutations/\(APIClient.pathSegment(id))/outcome", json: .map(body)) }
    }

    /// The server's answer, a refusal included (as its problem); a failure to reach it is thrown.
    private func answer(_ exchange: () async throws -> APIClient.Answer) async throws -> MCPAnswer {
        do {
            let answer = try await exchange()
            return MCPAnswer(status: answer.status, json: answer.json)
        } catch let error as ClientError {
            switch error {
            case .refused(let problem), .stale(_, let problem):
                let json = (try? Value(json: String(decoding: problem.body, as: UTF8.self))) ?? .map(CELMap([
                    (.string("title"), .string(problem.title)), (.string("detail"), .string(problem.detail)),
                ]))
                return MCPAnswer(status: problem.status, json: json)
            default:
                throw MCPBackendError(message: error.lines.joined(separator: " "))
            }
        }
    }
}

struct MCPBackendError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
