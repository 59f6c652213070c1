import AirlockCore
import AirlockEngine
import AirlockMCP
import CEL
import HTTPTypes

/// The MCP tools' gateway inside the server: the calls the HTTP API would make, as the principal
/// whose key opened the MCP session.
struct GatewayBackend: MCPBackend {
    let gateway: Gateway
    let principal: Principal

    func propose(_ mutation: Value, idempotencyKey: String?) async throws -> MCPAnswer {
        await answer(status: 201) {
            let submission = try await gateway.submit(mutation, by: principal, idempotencyKey: idempotencyKey)
            return submission.view.jsonValue
        }
    }

    func mutation(_ id: String, waitSeconds: Double?, from status: String?) async throws -> MCPAnswer {
        await answer {
            if let waitSeconds {
                let from = status.flatMap(MutationStatus.init(rawValue:))
                return try await gateway.waitForChange(of: id, from: from, seconds: waitSeconds, for: principal).jsonValue
            }
            return try await gateway.view(of: id, for: principal).jsonValue
        }
    }

    func resources() async throws -> MCPAnswer {
        await answer { try gateway.resourceCatalog(for: principal) }
    }

    func reportOutcome(_ id: String, executed: Bool, detail: String?) async throws -> MCPAnswer {
        await answer { try await gateway.reportOutcome(id, executed: executed, detail: detail, by: principal).jsonValue }
    }

    /// The value, or the problem the API would answer.
    private func answer(status: Int = 200, _ body: () async throws -> Value) async -> MCPAnswer {
        do {
            return MCPAnswer(status: status, json: try await body())
        } catch let error as GatewayError {
            let problem = Problem(error)
            return MCPAnswer(status: problem.status.code, json: problem.jsonValue)
        } catch {
            let problem = Problem(
                .internalServerError, type: "urn:airlock:problem:internal", title: "Internal error",
                detail: "the request failed unexpectedly; the server's log has the details")
            return MCPAnswer(status: problem.status.code, json: problem.jsonValue)
        }
    }
}
